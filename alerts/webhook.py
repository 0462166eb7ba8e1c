"""A generic JSON webhook sink: rulewatch's own JSON, or the text message of a chat bot that takes a
JSON webhook (WeCom, DingTalk, Feishu/Lark), optionally signed.

Settings:
- RULEWATCH_WEBHOOK_URL: where to POST (enables the sink);
- RULEWATCH_WEBHOOK_FORMAT: `rulewatch` (default), `wecom`, `dingtalk` or `feishu`;
- RULEWATCH_WEBHOOK_SECRET: signs each request. `rulewatch`: headers X-Rulewatch-Timestamp and
  X-Rulewatch-Signature = "sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<body>"); `dingtalk` and
  `feishu`: the bot's own "signature" security setting (WeCom has none).

A webhook cannot be asked whether a post went through, so a post whose answer was lost is sent again:
the body's `key` (the alert's idempotency key) lets a receiver drop the second copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from urllib.parse import quote

import urllib3

from rulewatch.alerts.deliver import Delivered
from rulewatch.alerts.limits import AnswerCut, post
from rulewatch.alerts.message import Message, alert_message
from rulewatch.alerts.render import text_message
from rulewatch.core.env import TIMEZONE_VARIABLE, Env, secret_url, timezone
from rulewatch.core.errors import AlertRefused, DeliveryError, PermanentDeliveryError, SettingsError
from rulewatch.core.model import Alert
from rulewatch.core.secret import Secret

DEFAULT_WEBHOOK_TIMEOUT = 15.0  # seconds for connect plus answer
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410})  # configuration, not a passing fault
MESSAGE_STATUSES = frozenset({413, 422})  # this body refused (too large, unprocessable): skip the one alert
MAX_BODY_BYTES = 256 * 1024  # of rulewatch's own JSON: a diff of a whole rewritten rule is cut to fit
MAX_ANSWER_BYTES = 64 * 1024  # of a webhook's answer read (a bot's answer is a line of JSON)
SIGNATURE_HEADER = "X-Rulewatch-Signature"
TIMESTAMP_HEADER = "X-Rulewatch-Timestamp"
# Bots' "too many messages" codes (WeCom, DingTalk, Feishu): a later run may send, unlike other refusals.
BOT_RATE_LIMITS = frozenset({"45009", "130101", "9499", "11232"})
NO_SECRET = Secret("")
CHAT_FOOTER = "— rulewatch"  # also the keyword for bots whose security setting is "custom keywords"


@dataclass(frozen=True, slots=True)
class Request:
    """What one format sends: the URL (some bots sign in the query), headers and the JSON body."""

    url: str
    headers: dict[str, str]
    body: bytes


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _clip_bytes(text: str, limit: int) -> str:
    """Text cut to at most `limit` UTF-8 bytes, on a character boundary, with a note when cut."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    note = "\n… (cut; `rulewatch alerts` has the whole alert)"
    return raw[: limit - len(note.encode())].decode(errors="ignore") + note


def _fitted(payload: dict[str, Any], limit: int) -> bytes:
    """The payload as JSON of at most `limit` bytes: its longest texts (the diff, the added and removed
    text) are cut, each with a note, and `"cut": true` says so; the fields that identify it stay."""
    body = _json(payload)
    while len(body) > limit:
        texts: list[tuple[int, str, str]] = [(len(v), k, "") for k, v in payload.items() if isinstance(v, str)]
        found = payload.get("alert")
        inner: dict[str, Any] = found if isinstance(found, dict) else {}
        texts += [(len(v), k, "alert") for k, v in inner.items() if isinstance(v, str)]
        size, key, where = max(texts)
        target = inner if where else payload
        target[key] = _clip_bytes(target[key], max(200, len(target[key].encode()) - (len(body) - limit) - 64))
        payload["cut"] = True
        if len(target[key]) >= size:  # nothing left to cut: send what is there, the receiver may refuse
            break
        body = _json(payload)
    return body


def _chat_text(message: Message, limit: int) -> str:
    """The message as a bot's text, within `limit` bytes; the footer (a bot's keyword) always stays."""
    footer = "\n" + CHAT_FOOTER
    return _clip_bytes(text_message(message).rstrip(), limit - len(footer.encode())) + footer


def rulewatch_format(url: str, message: Message, alert: Alert | None, secret: Secret, now: float) -> Request:
    """rulewatch's own JSON: the event, the alert's fields as `alerts --json` prints them, and a text
    rendering. Signed with an HMAC header when a secret is set."""
    payload: dict[str, Any] = {"event": message.event, "key": message.key, "headline": message.headline,
                               "text": text_message(message)}
    if alert is not None:
        payload["alert"] = alert.to_json()
    body = _fitted(payload, MAX_BODY_BYTES)
    headers = {}
    if secret:
        stamp = str(int(now))
        digest = hmac.new(secret.reveal().encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"sha256={digest}"}
    return Request(url, headers, body)


def wecom_format(url: str, message: Message, alert: Alert | None, secret: Secret, now: float) -> Request:
    """WeCom (企业微信) group bot: a text message (at most 2,048 bytes)."""
    return Request(url, {}, _json({"msgtype": "text", "text": {"content": _chat_text(message, 2048)}}))


def dingtalk_format(url: str, message: Message, alert: Alert | None, secret: Secret, now: float) -> Request:
    """DingTalk (钉钉) custom bot: a text message; with a secret, the bot's signature in the query."""
    if secret:
        stamp = str(int(now * 1000))
        mac = hmac.new(secret.reveal().encode(), f"{stamp}\n{secret.reveal()}".encode(), hashlib.sha256).digest()
        url += f"{'&' if '?' in url else '?'}timestamp={stamp}&sign={quote(base64.b64encode(mac).decode(), safe='')}"
    return Request(url, {}, _json({"msgtype": "text", "text": {"content": _chat_text(message, 18_000)}}))


def feishu_format(url: str, message: Message, alert: Alert | None, secret: Secret, now: float) -> Request:
    """Feishu / Lark (飞书) custom bot: a text message; with a secret, the bot's signature in the body."""
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": _chat_text(message, 28_000)}}
    if secret:
        stamp = str(int(now))
        mac = hmac.new(f"{stamp}\n{secret.reveal()}".encode(), b"", hashlib.sha256).digest()
        payload = {"timestamp": stamp, "sign": base64.b64encode(mac).decode(), **payload}
    return Request(url, {}, _json(payload))


Format = Callable[[str, Message, "Alert | None", Secret, float], Request]
FORMATS: dict[str, Format] = {
    "rulewatch": rulewatch_format, "wecom": wecom_format, "dingtalk": dingtalk_format, "feishu": feishu_format,
}


class JsonWebhookSink:
    """Posts each alert as JSON to a URL (see the module's docstring for its settings)."""

    name = "webhook"
    default_channel = "json-webhook"
    threads = False

    def __init__(self, url: str, form: str = "rulewatch", secret: Secret = NO_SECRET,
                 timeout: float = DEFAULT_WEBHOOK_TIMEOUT, clock: Callable[[], float] = time.time,
                 tz: tzinfo | None = None) -> None:
        self._url = Secret(url)
        self.tz = tz  # the team's time zone, for the times the text shows
        self._format = FORMATS[form]
        self.form = form
        self._secret = secret
        self._clock = clock
        self._timeout = timeout
        self._http = urllib3.PoolManager(retries=False)

    @classmethod
    def from_env(cls, env: Env) -> JsonWebhookSink | None:
        url = secret_url(env, "RULEWATCH_WEBHOOK_URL")
        if not url:
            return None
        form = env.get("RULEWATCH_WEBHOOK_FORMAT", "").strip().lower() or "rulewatch"
        if form not in FORMATS:
            raise SettingsError(f"RULEWATCH_WEBHOOK_FORMAT={form!r} is not one of {', '.join(FORMATS)}")
        secret = env.get("RULEWATCH_WEBHOOK_SECRET", "").strip()
        if form == "wecom" and secret:
            raise SettingsError("RULEWATCH_WEBHOOK_SECRET: WeCom bots take no signature; unset it")
        return cls(url, form, Secret(secret), tz=timezone(env, TIMEZONE_VARIABLE))

    def __repr__(self) -> str:
        return f"JsonWebhookSink(format={self.form!r}, url='***')"

    def channel_for(self, alert: Alert) -> str:
        return self.default_channel

    def send(self, alert: Alert, thread_ts: str | None, retry: bool) -> Delivered:
        return self._post(alert_message(alert, self.tz), alert)

    def post(self, channel: str, message: Message) -> Delivered:
        return self._post(message, None)

    def _post(self, message: Message, alert: Alert | None) -> Delivered:
        request = self._format(self._url.reveal(), message, alert, self._secret, self._clock())
        headers = {"Content-Type": "application/json; charset=utf-8", **request.headers}
        try:
            status, answer = post(self._http, request.url, request.body, headers, self._timeout, MAX_ANSWER_BYTES)
        except urllib3.exceptions.HTTPError as exc:
            # The URL may hold a bot's key: name only the kind of failure.
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        except AnswerCut as exc:  # it may have taken the alert: sent again later, its key lets the receiver drop it
            raise DeliveryError(f"webhook answer cut: {exc}") from exc
        if status in MESSAGE_STATUSES:
            raise AlertRefused(f"webhook refused this alert: HTTP {status}", self.default_channel)
        if status in PERMANENT_STATUSES:
            raise PermanentDeliveryError(f"webhook refused: HTTP {status}", self.default_channel)
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook answered HTTP {status}")
        refusal, code = _bot_refusal(answer)
        if code in BOT_RATE_LIMITS:
            raise DeliveryError(f"webhook rate-limited: {refusal}")
        if refusal:
            raise PermanentDeliveryError(f"webhook refused: {refusal}", self.default_channel)
        return Delivered(self.default_channel, "")


def _bot_refusal(body: bytes) -> tuple[str, str]:
    """A chat bot's refusal inside a 200 answer (`errcode`/`code` not 0: bad key, keyword, signature,
    or too many messages), and its code; ("", "") when it took the message."""
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return "", ""
    if not isinstance(answer, dict):
        return "", ""
    for code, text in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if code in answer and str(answer[code]) not in _SUCCESS_CODES \
                and str(answer.get(text, "")).strip().lower() not in _SUCCESS_WORDS:
            return f"{code} {answer[code]}: {str(answer.get(text, ''))[:200]}", str(answer[code])
    return "", ""


# How bots and gateways say they took a message: code 0, or an HTTP-style 200, or a word of success
# (`{"code": 200, "msg": "success"}` is a delivery, not a refusal to resend every run).
_SUCCESS_CODES = frozenset({"0", "200"})
_SUCCESS_WORDS = frozenset({"success", "ok", "succeed", "succeeded", "成功", "操作成功"})
