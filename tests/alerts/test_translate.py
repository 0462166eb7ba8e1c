"""The optional translation hook, against a fake OpenAI-compatible server on 127.0.0.1 and a command:
labelled output, bounded waits, and an alert never lost or held back by a failing service."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest
from fakeopenai import FakeOpenAI

from rulewatch.alerts.render import render_console
from rulewatch.alerts.translate import (
    MAX_FAILURES,
    Command,
    OpenAICompatible,
    Translator,
    source_text,
    translator_from_env,
)
from rulewatch.core.errors import SettingsError, TranslationError
from rulewatch.core.model import Alert, InlineRun
from rulewatch.core.secret import Secret

RUNS = (InlineRun("第八条 应当在", "same"), InlineRun("二十四", "removed"), InlineRun("两", "added"),
        InlineRun("小时内报告。", "same"))
ALERT = Alert(kind="changed_text", title="网络安全事件报告办法", url="http://x/r", change_inline=RUNS,
              added="第八条 应当在两小时内报告。", removed="第八条 应当在二十四小时内报告。")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def test_the_changed_sentence_is_translated_and_labelled(fake: FakeOpenAI) -> None:
    translator = Translator(OpenAICompatible(fake.url, "qwen", Secret("sk-test"), timeout=5))
    alert = translator.explain(ALERT)
    assert alert.machine_translation == "Art. 8: report within two hours."
    (request,) = fake.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "qwen" and request["body"]["messages"][-1]["content"] == "第八条 应当在两小时内报告。"
    assert "Machine translation (not reviewed):\nArt. 8: report within two hours." in render_console(alert)


@pytest.mark.parametrize("mode", ["error", "nonsense", "stall"])
def test_a_failing_service_leaves_the_alert_as_it_was(fake: FakeOpenAI, mode: str) -> None:
    fake.mode = mode
    translate = OpenAICompatible(fake.url, "m", Secret(""), timeout=0.5)
    with pytest.raises(TranslationError):
        translate("第八条")
    started = time.monotonic()
    assert Translator(translate).explain(ALERT) == ALERT
    assert time.monotonic() - started < 4  # the 0.5 s timeout, not the 5 s stall, bounds the wait


def test_after_repeated_failures_the_translator_rests(fake: FakeOpenAI) -> None:
    fake.mode = "error"
    translator = Translator(OpenAICompatible(fake.url, "m", Secret(""), timeout=2))
    for _ in range(MAX_FAILURES + 3):
        assert translator.explain(ALERT) == ALERT
    assert len(fake.requests) == MAX_FAILURES and translator.resting()


def test_english_text_is_not_sent(fake: FakeOpenAI) -> None:
    english = Alert(kind="new_item", title="Rule", url="u", added="Banks shall report within 72 hours.")
    assert source_text(english) == ""
    assert Translator(OpenAICompatible(fake.url, "m", Secret(""), timeout=2)).explain(english) == english
    assert fake.requests == []


def test_a_command_translates_from_stdin() -> None:
    upper = Command([sys.executable, "-c", "import sys; print('EN: ' + sys.stdin.read())"], timeout=10)
    assert Translator(upper).explain(ALERT).machine_translation == "EN: 第八条 应当在两小时内报告。"
    slow = Command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    with pytest.raises(TranslationError, match="more than 0.3 s"):
        slow("第八条")
    with pytest.raises(TranslationError, match="exited with 3"):
        Command([sys.executable, "-c", "raise SystemExit(3)"], timeout=10)("第八条")


def test_settings() -> None:
    assert translator_from_env({}) is None  # off by default: no text leaves the machine
    assert translator_from_env({"RULEWATCH_TRANSLATE_COMMAND": "trans -b :en"}) is not None
    for env, says in [
        ({"RULEWATCH_TRANSLATE_URL": "http://h/v1"}, "RULEWATCH_TRANSLATE_MODEL is not"),
        ({"RULEWATCH_TRANSLATE_URL": "ftp://h", "RULEWATCH_TRANSLATE_MODEL": "m"}, "http"),
        ({"RULEWATCH_TRANSLATE_URL": "http://h", "RULEWATCH_TRANSLATE_COMMAND": "x"}, "not both"),
        ({"RULEWATCH_TRANSLATE_COMMAND": "x", "RULEWATCH_TRANSLATE_TIMEOUT": "600"}, "at most 60"),
    ]:
        with pytest.raises(SettingsError, match=says):
            translator_from_env(env)


def test_a_translation_carries_no_control_characters() -> None:
    from rulewatch.alerts.translate import Translator
    from rulewatch.core.model import Alert

    class Escaping:
        def __call__(self, text: str) -> str:
            return "\x1b[2J\x1b]0;owned\x07Operators shall report\x9b31m within two hours."

    translator = Translator(Escaping())  # type: ignore[arg-type]
    alert = Alert(kind="changed_text", title="办法", url="https://x.example/", added="第四条 运营者应当在两小时内报告。", source="s")
    english = translator.explain(alert).machine_translation
    assert english and "\x1b" not in english and "\x07" not in english and "\x9b" not in english
    assert "Operators shall report" in english
