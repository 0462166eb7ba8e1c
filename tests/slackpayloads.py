"""Slack's interactive requests as Slack sends them: block_actions and view_submission payloads, form
encoded and signed with slack_sdk's own signature tools, posted to a Slack app on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def click(alert_id: int, action: str, user: str, channel: str, ts: str, **extra: Any) -> dict[str, Any]:
    """A block_actions payload: `user` clicked `action` on the message (channel, ts) of `alert_id`."""
    element: dict[str, Any] = {"action_id": action, "block_id": f"triage:{alert_id}", "action_ts": f"{time.time():.6f}"}
    if action.endswith(("applicable", "done")):
        element.update(type="button", value=str(alert_id))
    element.update(extra)
    return {
        "type": "block_actions", "team": {"id": "T1", "domain": "compliance"}, "api_app_id": "A1",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"}, "token": "legacy-verification",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{int(time.time())}.1.{alert_id}", "channel": {"id": channel, "name": "alerts"},
        "message": {"type": "message", "ts": ts}, "response_url": "http://127.0.0.1:9/unused",
        "actions": [element],
    }


def submission(view: dict[str, Any], user: str, reason: str, mute: str = "") -> dict[str, Any]:
    """A view_submission payload: `user` typed `reason` into the modal `view` (as views.open returned it),
    and chose to mute similar alerts `mute` ("terms", "title") or not ("")."""
    values: dict[str, Any] = {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    if mute:
        values["mute"] = {"mute": {"type": "radio_buttons", "selected_option": {"value": mute}}}
    return {
        "type": "view_submission", "team": {"id": "T1", "domain": "compliance"}, "api_app_id": "A1",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"}, "token": "legacy-verification",
        "trigger_id": f"{int(time.time())}.2", "view": dict(view, state={"values": values}),
    }


def signed(payload: dict[str, Any], secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(at if at is not None else time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                           "X-Slack-Signature": signature}


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def send(url: str, payload: dict[str, Any], secret: str = SECRET, at: float | None = None) -> tuple[int, bytes]:
    return post(url, *signed(payload, secret, at))
