"""An optional machine translation of an alert's changed Chinese sentences, by a service the team
already uses: an OpenAI-compatible chat API (RULEWATCH_TRANSLATE_URL) or a command
(RULEWATCH_TRANSLATE_COMMAND, text on stdin, English on stdout). Off unless one is set.

The translation is labelled as machine translation wherever it is shown, and it never holds an alert
back for long: each request has a timeout (RULEWATCH_TRANSLATE_TIMEOUT, 5 s by default), and after
MAX_FAILURES failures in a row the translator rests for the rest of the cycle. A failure leaves the
alert as it was (the offline English line stays).
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

import urllib3

from rulewatch.alerts.limits import AnswerCut, post, run_command
from rulewatch.core.env import number
from rulewatch.core.errors import SettingsError, TranslationError
from rulewatch.core.model import Finding
from rulewatch.core.reference import NO_DEFAULT, Variable
from rulewatch.core.secret import Secret
from rulewatch.core.text import CJK_CHARACTER, without_controls

log = logging.getLogger("rulewatch.translate")

DEFAULT_TRANSLATE_TIMEOUT = 5.0
MAX_TRANSLATE_TIMEOUT = 60.0
MAX_SOURCE_CHARS = 2000  # of changed text sent for translation
MAX_TRANSLATION_CHARS = 4000  # of a translation kept
MAX_FAILURES = 3  # in a row, before the translator rests for the cycle
MAX_ANSWER_BYTES = 256 * 1024  # of a service's answer or a command's output read (the translation kept is less)
DEFAULT_TRANSLATE_BUDGET = 60.0  # seconds of translating per run (cycle): past it, alerts go untranslated
VARIABLES: tuple[Variable, ...] = (
    Variable("RULEWATCH_TRANSLATE_URL", NO_DEFAULT,
             "optional machine translation by an OpenAI-compatible API: its base URL (…/v1)"),
    Variable("RULEWATCH_TRANSLATE_MODEL", NO_DEFAULT, "the model that API translates with (needed with the URL)"),
    Variable("RULEWATCH_TRANSLATE_API_KEY", NO_DEFAULT, "that API's key, when it wants one"),
    Variable("RULEWATCH_TRANSLATE_COMMAND", NO_DEFAULT, "optional machine translation by a command (stdin → stdout)"),
    Variable("RULEWATCH_TRANSLATE_TIMEOUT", f"`{DEFAULT_TRANSLATE_TIMEOUT:g}`",
             f"seconds one translation may take in all, its answer read included (at most "
             f"{MAX_TRANSLATE_TIMEOUT:g}); a command past it is killed with every process it started"),
    Variable("RULEWATCH_TRANSLATE_BUDGET", f"`{DEFAULT_TRANSLATE_BUDGET:g}`",
             "seconds of translating per run (cycle): past it, the run's other alerts go without a machine "
             "translation (at most 3600)"),
)
SYSTEM_PROMPT = ("Translate the user's Chinese regulatory text into plain English. Keep article numbers, "
                 "numbers, units and dates exact. Reply with the translation only.")


class Translate(Protocol):
    def __call__(self, text: str) -> str: ...


class OpenAICompatible:
    """POST {url}/chat/completions, as OpenAI, vLLM, Ollama and most gateways answer it."""

    def __init__(self, url: str, model: str, api_key: Secret, timeout: float) -> None:
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model = model
        self._key = api_key
        self._timeout = timeout
        self._http = urllib3.PoolManager(retries=False)

    def __call__(self, text: str) -> str:
        body = json.dumps({"model": self.model, "temperature": 0, "messages": [
            {"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]}).encode()
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        try:
            status, data = post(self._http, self.endpoint, body, headers, self._timeout, MAX_ANSWER_BYTES)
        except urllib3.exceptions.HTTPError as exc:
            raise TranslationError(f"translation service unreachable: {type(exc).__name__}") from exc
        except AnswerCut as exc:
            raise TranslationError(f"translation service: {exc}") from exc
        if status != 200:
            raise TranslationError(f"translation service answered HTTP {status}")
        try:
            return str(json.loads(data)["choices"][0]["message"]["content"]).strip()
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TranslationError("translation service answered without choices[0].message.content") from exc


class Command:
    """Runs a command with the text on stdin; its stdout is the translation."""

    def __init__(self, argv: list[str], timeout: float) -> None:
        self.argv = argv
        self.timeout = timeout

    def __call__(self, text: str) -> str:
        try:
            status, out = run_command(self.argv, text.encode(), self.timeout, MAX_ANSWER_BYTES)
        except AnswerCut as exc:
            raise TranslationError(f"translation command: {exc}") from exc
        except OSError as exc:
            raise TranslationError(f"translation command could not run: {exc}") from exc
        if status != 0:
            raise TranslationError(f"translation command exited with {status}")
        return out.decode("utf-8", errors="replace").strip()


class Translator:
    """Translates alerts' changed Chinese text, resting after MAX_FAILURES failures in a row, and for
    good once `budget` seconds went to translating in this run (30 alerts at the timeout each would
    otherwise hold a cycle for minutes)."""

    def __init__(self, translate: Translate, budget: float = DEFAULT_TRANSLATE_BUDGET) -> None:
        self._translate = translate
        self._failures = 0
        self._lock = threading.Lock()
        self._budget = budget
        self._spent = 0.0

    def resting(self) -> bool:
        return self._failures >= MAX_FAILURES or self._spent >= self._budget

    def explain(self, alert: Finding) -> Finding:
        """The finding with its machine translation, or as it was when there is nothing to translate or
        the service fails (logged, never raised)."""
        text = source_text(alert)
        if not text or self.resting():
            return alert
        started = time.monotonic()
        try:
            english = self._translate(text)
        except TranslationError as exc:
            with self._lock:
                self._failures += 1
                self._spent += time.monotonic() - started
            log.warning("%s: no machine translation: %s", alert.url or alert.title, exc)
            return alert
        with self._lock:
            self._spent += time.monotonic() - started
            if self._spent >= self._budget:
                log.warning("machine translation stops for this run: %.0f s of its %.0f s budget spent",
                            self._spent, self._budget)
        with self._lock:
            self._failures = 0
        # A translation is another service's text: no control characters (an ESC would drive a terminal).
        english = without_controls(english[:MAX_TRANSLATION_CHARS]).strip()
        return replace(alert, machine_translation=english) if english else alert


def source_text(alert: Finding) -> str:
    """What to translate: the changed sentences as they read now (or the new item's text), if Chinese."""
    if alert.change_inline:
        text = "".join(r.text for r in alert.change_inline if r.op != "removed")
    else:
        text = alert.added or alert.removed
    text = text[:MAX_SOURCE_CHARS].strip()
    return text if CJK_CHARACTER.search(text) else ""


def translator_from_env(env: Mapping[str, str]) -> Translator | None:
    """The configured translator, or None (the default: no text leaves the machine)."""
    url = env.get("RULEWATCH_TRANSLATE_URL", "").strip()
    command = env.get("RULEWATCH_TRANSLATE_COMMAND", "").strip()
    if url and command:
        raise SettingsError("set RULEWATCH_TRANSLATE_URL or RULEWATCH_TRANSLATE_COMMAND, not both")
    timeout = number(env, "RULEWATCH_TRANSLATE_TIMEOUT", DEFAULT_TRANSLATE_TIMEOUT, minimum=0.1,
                     maximum=MAX_TRANSLATE_TIMEOUT)
    budget = number(env, "RULEWATCH_TRANSLATE_BUDGET", DEFAULT_TRANSLATE_BUDGET, minimum=1, maximum=3600)
    if url:
        if not url.startswith(("http://", "https://")):
            raise SettingsError("RULEWATCH_TRANSLATE_URL must be an http(s) URL (the API base, e.g. .../v1)")
        model = env.get("RULEWATCH_TRANSLATE_MODEL", "").strip()
        if not model:
            raise SettingsError("RULEWATCH_TRANSLATE_URL is set but RULEWATCH_TRANSLATE_MODEL is not")
        return Translator(OpenAICompatible(url, model, Secret(env.get("RULEWATCH_TRANSLATE_API_KEY", "").strip()),
                                           timeout), budget)
    if command:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise SettingsError(f"RULEWATCH_TRANSLATE_COMMAND cannot be split into words: {exc}") from exc
        return Translator(Command(argv, timeout), budget)
    return None
