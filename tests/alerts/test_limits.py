"""Every answer rulewatch waits for has one total deadline and one size cap: a dripping webhook, an
endless translation command, a command that leaves children behind, a cycle of slow translations."""

from __future__ import annotations

import os
import sys
import time
from http.server import BaseHTTPRequestHandler

import pytest
import urllib3

from rulewatch.alerts.limits import AnswerCut, post, run_command
from rulewatch.alerts.translate import Translator
from rulewatch.core.errors import DeliveryError
from rulewatch.core.model import Alert
from tests.faultserver import FaultServer


def _drip_forever(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(200):  # bounded: the server stops with the test
        try:
            h.wfile.write(b"x")
            h.wfile.flush()
        except OSError:
            return
        time.sleep(0.1)


def test_a_dripping_answer_is_cut_at_the_total_deadline() -> None:
    server = FaultServer()
    server.routes["/hook"] = _drip_forever
    try:
        started = time.monotonic()
        with pytest.raises(AnswerCut, match="still arriving"):
            post(urllib3.PoolManager(retries=False), server.url("/hook"), b"{}", {}, timeout=1.0, cap=1 << 20)
        assert time.monotonic() - started < 3.0  # the deadline plus at most one read's wait
    finally:
        server.stop()


def test_a_dripping_webhook_holds_delivery_no_longer_than_its_timeout() -> None:
    from rulewatch.alerts.webhook import JsonWebhookSink

    server = FaultServer()
    server.routes["/hook"] = _drip_forever
    try:
        sink = JsonWebhookSink(server.url("/hook"), timeout=1.0)
        alert = Alert(kind="new_item", title="关于网络安全审查的公告", url="https://x.example/a", source="s",
                      idempotency_key="k1")
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="answer cut"):
            sink.send(alert, None, False)
        assert time.monotonic() - started < 3.0
    finally:
        server.stop()


def test_an_endless_command_is_cut_at_the_cap_and_killed() -> None:
    started = time.monotonic()
    with pytest.raises(AnswerCut, match="passed 65536 bytes"):
        run_command(["yes", "translation"], b"", timeout=10, cap=65536)
    assert time.monotonic() - started < 5


def test_a_command_that_leaves_a_child_running_takes_it_along() -> None:
    script = "import subprocess; subprocess.Popen(['sleep', '30']); print('ok')"
    code, out = run_command([sys.executable, "-c", script], b"", timeout=10, cap=1024)
    assert code == 0 and out.strip() == b"ok"
    time.sleep(0.2)
    children = [line for line in os.popen("ps -eo pid,ppid,args").read().splitlines()
                if line.split()[-2:] == ["sleep", "30"] and line.split()[1] == "1"]
    assert children == []  # no orphaned `sleep 30` adopted by init


def test_a_slow_command_is_killed_at_its_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(AnswerCut, match="more than 0.5 s"):
        run_command(["sleep", "20"], b"", timeout=0.5, cap=1024)
    assert time.monotonic() - started < 3


def test_translation_stops_for_the_run_once_its_budget_is_spent() -> None:
    calls: list[str] = []

    def slow(text: str) -> str:
        calls.append(text)
        time.sleep(0.4)
        return "Operators shall report within two hours."

    translator = Translator(slow, budget=1.0)
    alerts = [Alert(kind="changed_text", title="办法", url="https://x.example/", source="s",
                    added=f"第{n}条 运营者应当在两小时内报告。") for n in range(6)]
    translated = [translator.explain(a).machine_translation for a in alerts]
    assert len(calls) == 3 and translated[:3] == ["Operators shall report within two hours."] * 3
    assert translated[3:] == ["", "", ""] and translator.resting()
