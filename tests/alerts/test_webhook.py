"""The JSON webhook sink against a real HTTP server on 127.0.0.1, and fan-out to several sinks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fakeslack import FakeSlack
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from rulewatch.alerts.deliver import deliver_pending
from rulewatch.alerts.sinks import SINKS, make_sinks
from rulewatch.alerts.slack import SlackSink, make_web_client
from rulewatch.alerts.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, JsonWebhookSink
from rulewatch.core.errors import SettingsError
from rulewatch.core.model import Document, Item
from rulewatch.core.secret import Secret
from rulewatch.detection.compare import compare
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"
TAX = Taxonomy.load()
NOW = 1_790_000_000.0


def add_alert(store: Store, title: str = "关于政府采购信息技术产品的通知") -> None:
    old = Document(kind="list", url="http://x/list", items=[Item(id="a", title="基线通知", url="http://x/a")])
    new = Document(kind="list", url="http://x/list", items=[Item(id="b", title=title, url="http://x/b"), *old.items])
    store.record_success(name="src", url="http://x/list", document=old, etag="", last_modified="", change=None,
                         verdict=None)
    change = compare(old, new)
    store.record_success(name="src", url="http://x/list", document=new, etag="", last_modified="", change=change,
                         verdict=judge(change, old, new, TAX))


class Receiver:
    """Records what the webhook was sent, and answers as told."""

    def __init__(self, server: HTTPServer) -> None:
        self.requests: list[Request] = []
        self.answers: list[Response] = []
        server.expect_request("/hook", method="POST").respond_with_handler(self._handle)
        self.url = server.url_for("/hook")

    def _handle(self, request: Request) -> Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else Response("ok")

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(r.get_data()) for r in self.requests]


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Iterator[Receiver]:
    yield Receiver(httpserver)


def test_rulewatch_format_carries_the_alert_and_a_verifiable_signature(store: Store, receiver: Receiver) -> None:
    add_alert(store)
    sink = JsonWebhookSink(receiver.url, "rulewatch", Secret("s3cret"), clock=lambda: NOW)
    report = deliver_pending(store, sink)
    assert len(report.delivered) == 1 and store.outbox.alerts(pending_only=True) == []
    (request,) = receiver.requests
    body = json.loads(request.get_data())
    assert body["event"] == "rulewatch_alert" and body["key"].startswith("src:change:")
    assert body["alert"]["title"] == "关于政府采购信息技术产品的通知" and body["alert"]["kind"] == "new_item"
    assert "New: " in body["headline"] and "关于政府采购" in body["text"]
    stamp = request.headers[TIMESTAMP_HEADER]
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + request.get_data(), hashlib.sha256).hexdigest()
    assert stamp == str(int(NOW)) and request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert request.headers["Content-Type"].startswith("application/json")


def test_unsigned_when_no_secret(store: Store, receiver: Receiver) -> None:
    add_alert(store)
    deliver_pending(store, JsonWebhookSink(receiver.url))
    assert SIGNATURE_HEADER not in receiver.requests[0].headers


@pytest.mark.parametrize("form", ["wecom", "dingtalk", "feishu"])
def test_chat_bot_formats_send_a_text_message(store: Store, receiver: Receiver, form: str) -> None:
    add_alert(store, "关于政府采购" + "信息技术产品" * 400 + "的通知")  # longer than a WeCom message
    secret = Secret("") if form == "wecom" else Secret("bot-secret")
    deliver_pending(store, JsonWebhookSink(receiver.url, form, secret, clock=lambda: NOW))
    (request,) = receiver.requests
    body = json.loads(request.get_data())
    if form == "feishu":
        text = body["content"]["text"]
        mac = hmac.new(f"{int(NOW)}\nbot-secret".encode(), b"", hashlib.sha256).digest()
        assert body["msg_type"] == "text" and body["sign"] == base64.b64encode(mac).decode()
    else:
        text = body["text"]["content"]
        assert body["msgtype"] == "text"
    if form == "dingtalk":
        query = parse_qs(urlsplit(request.url).query)
        stamp = str(int(NOW * 1000))
        mac = hmac.new(b"bot-secret", f"{stamp}\nbot-secret".encode(), hashlib.sha256).digest()
        assert query["timestamp"] == [stamp] and query["sign"] == [base64.b64encode(mac).decode()]
    assert text.startswith("=== ") and "New: 关于政府采购" in text.splitlines()[0] and text.rstrip().endswith("rulewatch")
    if form == "wecom":
        assert len(text.encode()) <= 2048 and "(cut;" in text


def test_a_bot_refusal_inside_a_200_leaves_the_alert_pending(store: Store, receiver: Receiver) -> None:
    add_alert(store)
    receiver.answers.append(Response(json.dumps({"errcode": 310000, "errmsg": "keywords not in content"})))
    report = deliver_pending(store, JsonWebhookSink(receiver.url, "dingtalk"))
    assert report.delivered == [] and "310000" in next(iter(report.stopped_channels.values()))
    receiver.answers.append(Response(json.dumps({"errcode": 45009, "errmsg": "api freq out of limit"})))
    report = deliver_pending(store, JsonWebhookSink(receiver.url, "wecom"))
    assert report.delivered == [] and "rate-limited" in next(iter(report.failed.values()))
    assert deliver_pending(store, JsonWebhookSink(receiver.url, "wecom")).delivered != []


@pytest.mark.parametrize("status, permanent", [(404, True), (403, True), (500, False), (503, False)])
def test_http_errors_keep_the_alert(store: Store, receiver: Receiver, status: int, permanent: bool) -> None:
    add_alert(store)
    receiver.answers.append(Response("no", status=status))
    report = deliver_pending(store, JsonWebhookSink(receiver.url))
    assert report.delivered == [] and len(store.outbox.alerts(pending_only=True)) == 1
    assert ("refused" in report.failed[1]) is permanent


def test_fan_out_records_each_sink_and_never_posts_twice(store: Store, receiver: Receiver) -> None:
    add_alert(store)
    with FakeSlack(TOKEN) as slack:
        sinks = [SlackSink(make_web_client(TOKEN, slack.base_url), "C-ALERTS"), JsonWebhookSink(receiver.url)]
        receiver.answers.append(Response("down", status=502))
        first = deliver_pending(store, sinks)
        assert first.delivered == [] and first.sent == {"slack": 1, "webhook": 0}
        assert len(slack.posted()) == 1 and len(store.outbox.alerts(pending_only=True)) == 1  # the webhook still owes it
        second = deliver_pending(store, sinks)
        assert second.delivered == [1] and second.sent == {"slack": 0, "webhook": 1}
        assert len(slack.posted()) == 1 and len(receiver.requests) == 2
        (alert,) = store.outbox.alerts()
        slack_delivery = store.outbox.deliveries([1])[(1, "slack")]
        assert alert.delivered_at and (slack_delivery.channel, slack_delivery.ts) == ("C-ALERTS", slack.posted()[0]["ts"])
        assert set(store.outbox.deliveries([1])) == {(1, "slack"), (1, "webhook")}
        assert deliver_pending(store, sinks).sent == {"slack": 0, "webhook": 0}


def test_every_configured_sink_is_made_and_the_console_only_alone() -> None:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "C1", "RULEWATCH_WEBHOOK_URL": "https://hooks.example/x"}
    assert [s.name for s in make_sinks(env)] == ["slack", "webhook"]
    assert [s.name for s in make_sinks({"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"})] == ["slack-webhook"]
    assert [s.name for s in make_sinks({}, interactive=True)] == ["console"]


@pytest.mark.parametrize("env, variable", [
    ({"RULEWATCH_WEBHOOK_URL": "ftp://x/hook"}, "RULEWATCH_WEBHOOK_URL"),
    ({"RULEWATCH_WEBHOOK_URL": "https://x/hook", "RULEWATCH_WEBHOOK_FORMAT": "telegram"}, "RULEWATCH_WEBHOOK_FORMAT"),
    ({"RULEWATCH_WEBHOOK_URL": "https://x/hook", "RULEWATCH_WEBHOOK_FORMAT": "wecom",
      "RULEWATCH_WEBHOOK_SECRET": "s"}, "RULEWATCH_WEBHOOK_SECRET"),
])
def test_bad_webhook_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        make_sinks(env)


def test_the_readme_documents_every_sink() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = "\n".join((root / name).read_text(encoding="utf-8") for name in ("README.md", "docs/reference.md"))
    for kind in SINKS:
        sink_class = kind.load()
        assert sink_class.name == kind.name and sink_class.__doc__, f"sink {kind.name!r}: name or docstring"
        assert f"`{kind.name}`" in readme, f"the docs do not document the sink {kind.name!r}"
        for variable in kind.variables:
            assert f"`{variable.name}`" in readme, f"the docs do not document {variable.name}"


def test_the_console_is_a_sink_only_when_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_sinks({}) == []  # a worker, cron: nobody reads stdout
    assert [s.name for s in make_sinks({}, interactive=True)] == ["console"]  # a person at a terminal
    assert [s.name for s in make_sinks({"RULEWATCH_SINK": "console"})] == ["console"]
    env = {"RULEWATCH_WEBHOOK_URL": "https://hooks.example/x"}
    assert [s.name for s in make_sinks(env, interactive=True)] == ["webhook"]
    assert [s.name for s in make_sinks(dict(env, RULEWATCH_SINK="console"))] == ["webhook", "console"]
    with pytest.raises(SettingsError, match="RULEWATCH_SINK='slack'"):
        make_sinks({"RULEWATCH_SINK": "slack"})


@pytest.mark.parametrize("env, missing", [
    ({"SLACK_BOT_TOKEN": TOKEN}, "SLACK_CHANNEL"),
    ({"SLACK_CHANNEL": "#compliance"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "C1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"},
     "SLACK_WEBHOOK_URL and SLACK_BOT_TOKEN"),
])
def test_a_half_configuration_is_an_error_naming_the_variable(env: dict[str, str], missing: str) -> None:
    with pytest.raises(SettingsError, match=missing):
        make_sinks(env)


def test_no_sink_leaves_alerts_pending_and_says_so(store: Store) -> None:
    add_alert(store)
    report = deliver_pending(store, [])
    assert report.unsent == 1 and not report.ok and len(store.outbox.alerts(pending_only=True)) == 1


@pytest.mark.parametrize("answer", [b'{"code":200,"msg":"success"}', b'{"code":"200","msg":"ok"}',
                                    b'{"errcode":0,"errmsg":"ok"}', b'{"code":1,"msg":"success"}'])
def test_a_gateway_saying_success_is_a_delivery(answer: bytes) -> None:
    """A 200 answer of `{"code": 200, "msg": "success"}` was read as a refusal and re-sent every run."""
    from rulewatch.alerts.webhook import _bot_refusal

    assert _bot_refusal(answer) == ("", "")
    assert _bot_refusal(b'{"code":19001,"msg":"invalid signature"}')[1] == "19001"


def test_one_alert_the_webhook_refuses_does_not_hold_the_others(store: Store, receiver: Receiver) -> None:
    """A webhook answering 413 to one large body left every later alert pending over 3 runs."""
    add_alert(store, "关于政府采购信息技术产品的通知")
    add_alert(store, "关于网络安全审查的公告")
    add_alert(store, "关于数据出境安全评估的通知")
    first, *others = store.outbox.alerts(pending_only=True, newest_first=False)
    assert others
    for _run in range(2):
        receiver.answers.append(Response("payload too large", status=413))  # the oldest, each run
        report = deliver_pending(store, JsonWebhookSink(receiver.url))
        assert list(report.failed) == [first.id] and "refused this alert: HTTP 413" in report.failed[first.id]
        assert report.stopped_channels == {}
    assert [a.id for a in store.outbox.alerts(pending_only=True)] == [first.id]  # the others went on the first run
    assert len(receiver.requests) == 1 + len(others) + 1  # the refused one tried on each run, the rest once


def test_a_huge_alert_is_cut_to_the_webhooks_body_cap(store: Store, receiver: Receiver) -> None:
    from rulewatch.alerts.webhook import MAX_BODY_BYTES

    add_alert(store, "关于政府采购信息技术产品的通知" + "第一条 供应商应当提供源代码。" * 20_000)
    report = deliver_pending(store, JsonWebhookSink(receiver.url))
    assert report.delivered != []
    (request,) = receiver.requests
    body = request.get_data()
    assert len(body) <= MAX_BODY_BYTES
    payload = json.loads(body)
    assert payload["cut"] is True and payload["key"] and payload["alert"]["id"] and payload["alert"]["url"]
    assert "(cut; `rulewatch alerts` has the whole alert)" in json.dumps(payload, ensure_ascii=False)
