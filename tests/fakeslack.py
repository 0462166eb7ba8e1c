"""A Slack-compatible Web API server on 127.0.0.1 for tests, driven by the real slack_sdk.WebClient.

It checks what Slack checks (bearer token, channel, JSON body, Block Kit limits) and can be told to
answer with faults: 429 with or without Retry-After, 500, Slack errors such as invalid_auth, slow
answers, and dropped connections.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Fault:
    method: str  # e.g. "chat.postMessage"
    status: int = 200
    error: str = ""  # a Slack error code answered with ok=false
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    after_success: bool = False  # do the work (post the message), then drop: "posted, but the client never knew"


class FakeSlack:
    def __init__(self, token: str = "xoxb-test-token-123", channels: tuple[str, ...] = ("C-ALERTS", "C-OTHER"),
                 private: tuple[str, ...] = ()) -> None:
        self.token = token
        self.channels = set(channels)
        # Each channel's name, as Slack shows it: C-ALERTS is #alerts. `private` ones the bot is not in are
        # missing from conversations.list, as Slack leaves them out.
        self.names = {c.removeprefix("C-").lower(): c for c in channels}
        self.private = set(private)
        self.messages: dict[str, list[dict[str, Any]]] = {c: [] for c in channels}
        self.uploads: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the view opened (views.open, views.update)
        self.ephemeral: list[dict[str, Any]] = []  # chat.postEphemeral: channel, user, text
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers, by id
        self.groups: dict[str, list[str]] = {}  # usergroups.users.list answers, by group id
        self.socket_url = ""  # what apps.connections.open hands a Socket Mode client
        self.app_token = ""
        self._ts = 1_700_000_000.0
        self._lock = threading.Lock()
        handler = _make_handler(self)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def posted(self, channel: str = "C-ALERTS") -> list[dict[str, Any]]:
        return list(self.messages.get(channel, []))

    def add_user(self, user_id: str, real_name: str) -> None:
        self.users[user_id] = {"id": user_id, "name": real_name.lower().replace(" ", "."), "real_name": real_name,
                               "profile": {"real_name": real_name, "display_name": real_name.split()[0]}}

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    # ---- the API -------------------------------------------------------------------------------------

    def next_fault(self, method: str) -> Fault | None:
        with self._lock:
            for n, fault in enumerate(self.faults):
                if fault.method == method:
                    return self.faults.pop(n)
        return None

    def new_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"{self._ts:.6f}"

    def channel_id(self, channel: str) -> str:
        """Posting takes an ID or a name (#alerts), as Slack does; the answer carries the ID."""
        return self.names.get(channel.lstrip("#"), channel) if not channel.startswith("C-") else channel

    def api(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            return self._post(dict(body, channel=self.channel_id(body.get("channel", ""))))
        if method == "chat.update":
            return self._update(body)
        if method == "views.open":
            return self._open_view(body, body.get("trigger_id", ""))
        if method == "views.update":
            return self._update_view(body)
        if method == "chat.postEphemeral":
            return self._ephemeral(body)
        if method == "users.info":
            user = self.users.get(body.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "usergroups.users.list":
            group = body.get("usergroup", "")
            return {"ok": True, "users": self.groups[group]} if group in self.groups else \
                {"ok": False, "error": "no_such_subteam"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "auth.test":
            return {"ok": True, "user": "rulewatch", "user_id": "U-BOT", "team": "Compliance", "team_id": "T1"}
        if method == "conversations.list":
            listed = [{"id": c, "name": n, "is_member": True} for n, c in sorted(self.names.items())
                      if c not in self.private]
            return {"ok": True, "channels": listed, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.info":
            wanted = body.get("channel", "")
            named = [{"id": c, "name": n} for n, c in self.names.items() if c == wanted]
            return {"ok": True, "channel": named[0]} if named else {"ok": False, "error": "channel_not_found"}
        if method == "conversations.history":
            channel = body.get("channel", "")
            if channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            limit = int(body.get("limit", 100))
            return {"ok": True, "messages": list(reversed(self.messages[channel]))[:limit], "has_more": False}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1}"
            self.uploads.append({"id": file_id, "filename": body.get("filename"), "length": body.get("length")})
            port = self.server.server_address[1]
            return {"ok": True, "upload_url": f"http://127.0.0.1:{port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(body["files"]) if isinstance(body.get("files"), str) else body.get("files", [])
            for f in files:
                for up in self.uploads:
                    if up["id"] == f["id"]:
                        up.update(title=f.get("title"), channel=body.get("channel_id"), thread_ts=body.get("thread_ts"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        """chat.update as Slack answers it: message_not_found for a ts the channel does not hold; blocks
        within the limits chat.postMessage checks."""
        channel, ts = body.get("channel", ""), body.get("ts", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        checked = self._checked_blocks(body)
        if isinstance(checked, dict):
            return checked
        with self._lock:
            message = next((m for m in self.messages[channel] if m["ts"] == ts), None)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.update(text=body.get("text", message["text"]), blocks=checked,
                           edits=message.get("edits", 0) + 1)
            if body.get("metadata"):
                metadata = body["metadata"]
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _open_view(self, body: dict[str, Any], trigger: str) -> dict[str, Any]:
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        if trigger.startswith("expired"):
            return {"ok": False, "error": "expired_trigger_id"}
        view = body.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict) or view.get("type") != "modal" or not view.get("title"):
            return {"ok": False, "error": "invalid_arguments"}
        if len(view.get("blocks") or []) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            view_id = f"V{len(self.views) + 1:04d}"
            stored = dict(view, id=view_id, hash=f"h{view_id}")
            self.views[view_id] = stored
        return {"ok": True, "view": stored}

    def _update_view(self, body: dict[str, Any]) -> dict[str, Any]:
        view_id = body.get("view_id", "")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        view = body.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        with self._lock:
            self.views[view_id] = dict(view, id=view_id, hash=f"h{view_id}u")
        return {"ok": True, "view": self.views[view_id]}

    def _ephemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, user = body.get("channel", ""), body.get("user", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not user:
            return {"ok": False, "error": "user_not_in_channel"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            self.ephemeral.append({"channel": channel, "user": user, "text": body.get("text", "")})
        return {"ok": True, "message_ts": self.new_ts()}

    def _checked_blocks(self, body: dict[str, Any]) -> list[dict[str, Any]] | dict[str, Any]:
        """The message's blocks, or Slack's refusal of them."""
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if len(blocks) > 50:
            return {"ok": False, "error": "invalid_blocks", "detail": "more than 50 blocks"}
        for block in blocks:
            text = (block.get("text") or {}).get("text", "")
            if block["type"] == "header" and len(text) > 150:
                return {"ok": False, "error": "invalid_blocks", "detail": "header text over 150"}
            if block["type"] == "section" and len(text) > 3000:
                return {"ok": False, "error": "invalid_blocks", "detail": "section text over 3000"}
            if block["type"] == "rich_text":
                problem = rich_text_problem(block)
                if problem:
                    return {"ok": False, "error": "invalid_blocks", "detail": problem}
            if block["type"] == "actions":
                problem = actions_problem(block)
                if problem:
                    return {"ok": False, "error": "invalid_blocks", "detail": problem}
        return list(blocks)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        blocks = self._checked_blocks(body)
        if isinstance(blocks, dict):
            return blocks
        if not body.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"type": "message", "ts": self.new_ts(), "text": body.get("text", ""), "blocks": blocks,
                   "thread_ts": body.get("thread_ts"), "metadata": metadata}
        with self._lock:
            self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}


def _make_handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            query = dict(parse_qsl(urlsplit(self.path).query))
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype and raw:
                query.update(json.loads(raw))
            elif raw and "form" in ctype:
                query.update(dict(parse_qsl(raw.decode())))
            elif raw:
                query["_raw"] = raw  # type: ignore[assignment]
            return query

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            body = self._body()
            if path.startswith("/upload/"):
                self._send(200, {"ok": True})
                return
            method = path.removeprefix("/api/")
            auth = self.headers.get("Authorization", "")
            slack.requests.append((method, body, dict(self.headers)))
            fault = slack.next_fault(method)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.drop and not fault.after_success:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            expected = slack.app_token if method == "apps.connections.open" else slack.token
            if auth != f"Bearer {expected}":
                self._send(200, {"ok": False, "error": "invalid_auth" if auth else "not_authed"})
                return
            if fault and fault.status != 200:
                self._send(fault.status, {"ok": False, "error": fault.error or "ratelimited"}, fault.headers)
                return
            if fault and fault.error:
                self._send(200, {"ok": False, "error": fault.error})
                return
            result = slack.api(method, body)
            if fault and fault.after_success:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self._send(200, result)

        do_POST = _handle
        do_GET = _handle

    return Handler


RICH_TEXT_CONTAINERS = {"rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"}
TEXT_STYLES = {"bold", "italic", "strike", "code", "underline", "highlight"}
RICH_TEXT_LIMIT = 4000  # characters of text in one rich_text block that this fake accepts


def rich_text_problem(block: dict[str, Any]) -> str:
    """What Slack would refuse in a rich_text block (or ""): the shape of its containers and text
    elements, their styles, and empty text (Slack answers invalid_blocks for a text element of "")."""
    containers = block.get("elements")
    if not isinstance(containers, list) or not containers:
        return "rich_text needs a non-empty elements list"
    total = 0
    for container in containers:
        if container.get("type") not in RICH_TEXT_CONTAINERS:
            return f"rich_text element type {container.get('type')!r}"
        for element in container.get("elements") or []:
            if element.get("type") != "text":
                return f"unexpected rich text element {element.get('type')!r}"
            text = element.get("text")
            if not isinstance(text, str) or not text:
                return "a rich text element with empty text"
            style = element.get("style", {})
            if not isinstance(style, dict) or set(style) - TEXT_STYLES or not all(v is True for v in style.values()):
                return f"bad style {style!r}"
            total += len(text)
    return f"rich_text over {RICH_TEXT_LIMIT} characters" if total > RICH_TEXT_LIMIT else ""


ACTION_ELEMENTS = {"button", "users_select", "datepicker", "static_select", "overflow"}


def actions_problem(block: dict[str, Any]) -> str:
    """What Slack would refuse in an actions block: more than 25 elements, an unknown element, a
    missing or repeated action_id, a button without text or with a value over 2000 characters."""
    elements = block.get("elements") or []
    if not elements or len(elements) > 25:
        return "actions needs 1 to 25 elements"
    if len(block.get("block_id", "")) > 255:
        return "block_id over 255 characters"
    seen: set[str] = set()
    for element in elements:
        if element.get("type") not in ACTION_ELEMENTS:
            return f"unexpected action element {element.get('type')!r}"
        action = element.get("action_id", "")
        if not action or len(action) > 255 or action in seen:
            return f"bad or repeated action_id {action!r}"
        seen.add(action)
        if element["type"] == "button" and (not (element.get("text") or {}).get("text")
                                            or len(element.get("value", "")) > 2000):
            return "a button without text, or with a value over 2000 characters"
    return ""
