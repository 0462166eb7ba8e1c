"""Triage in Slack, as Block Kit: the line that says where a rule stands and the controls that make
sense next, on every rule alert the bot posts (SLACK_TRIAGE_BUTTONS), and the modals that ask for a
reason or a closing note. Pure functions; the Slack app (rulewatch.slackapp) acts on the clicks.

Every control's action id is `triage:<what>`; the alert it is about is the actions block's id
(`triage:<alert id>`) and each button's value, so a click names its alert whatever else happened.
People are shown as Slack mentions when they were set from Slack ("Jane Doe (U0123)"), else as the
name given (escaped: a name typed at the command line cannot ping a channel).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from rulewatch.alerts.render import escape_mrkdwn

PREFIX = "triage:"
APPLICABLE, NOT_APPLICABLE, ASSIGN, SNOOZE, DONE = (f"{PREFIX}{what}" for what in
                                                    ("applicable", "not_applicable", "assign", "snooze", "done"))
ACTIONS = (APPLICABLE, NOT_APPLICABLE, ASSIGN, SNOOZE, DONE)
MODAL_CALLBACK = "triage:why"  # the modal asking for a not-applicable reason or a closing note
REASON_INPUT = "reason"
MUTE_INPUT = "mute"  # the not-applicable form's optional "mute similar" choice
MAX_MODAL_TEXT = 2000  # characters, as the triage use case accepts
DEFAULT_SNOOZE_DAYS = 14

# What makes sense next, by the rule's state: a closed rule has no controls until news reopens it.
NEXT: dict[str, tuple[str, ...]] = {
    "new": (APPLICABLE, NOT_APPLICABLE, ASSIGN, SNOOZE),
    "applicable": (ASSIGN, DONE, NOT_APPLICABLE, SNOOZE),
    "assigned": (DONE, ASSIGN, SNOOZE, NOT_APPLICABLE),
    "snoozed": (APPLICABLE, NOT_APPLICABLE, ASSIGN),
    "not_applicable": (APPLICABLE,),
    "done": (),
}
STATE_WORDS = {"new": "New: nobody has decided yet", "applicable": "Applicable", "not_applicable": "Not applicable",
               "assigned": "Assigned", "done": "Done", "snoozed": "Snoozed"}
_SLACK_PERSON = re.compile(r"\((?P<id>[UW][A-Z0-9]{2,30})\)$")


@dataclass(frozen=True, slots=True)
class TriageShown:
    """Where a rule stands, as its alert's message shows it."""

    state: str = "new"
    owner: str = ""
    by: str = ""
    via: str = ""
    at: str = ""  # ISO time of the decision
    reason: str = ""
    note: str = ""
    until: str | None = None  # the day a snooze ends


def slack_person(name: str, user_id: str) -> str:
    """How a Slack user is recorded (owner, actor): readable in the audit trail, and a mention here."""
    name = " ".join(name.split()) or user_id
    return f"{name} ({user_id})"


def slack_id(person: str) -> str:
    """The Slack user id of a person recorded from Slack ("Jane Doe (U0123)"); "" for a typed name."""
    found = _SLACK_PERSON.search(person)
    return found["id"] if found else ""


def mention(person: str) -> str:
    """A recorded person as Slack shows them: a mention for someone set from Slack, else their name."""
    user = slack_id(person)
    return f"<@{user}>" if user else escape_mrkdwn(person)


def _when(at: str, tz: tzinfo | None) -> str:
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return escape_mrkdwn(at)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if tz is not None else moment.strftime("%Y-%m-%d %H:%M UTC")


def status_text(shown: TriageShown, tz: tzinfo | None = None) -> str:
    """The rule's standing in one line of mrkdwn."""
    parts = [f"*Triage:* {STATE_WORDS.get(shown.state, escape_mrkdwn(shown.state))}"]
    if shown.state == "snoozed" and shown.until:
        parts[0] += f" until {escape_mrkdwn(shown.until)}"
    if shown.owner and shown.state in ("applicable", "assigned", "done", "snoozed"):
        parts.append(f"owner {mention(shown.owner)}")
    if shown.by:
        parts.append(f"set by {mention(shown.by)}" + (f" ({escape_mrkdwn(shown.via)})" if shown.via else ""))
    if shown.at:
        parts.append(_when(shown.at, tz))
    words = shown.reason or shown.note
    if words:
        parts.append(f"“{escape_mrkdwn(words[:300])}”")
    return " · ".join(parts)


def _button(action: str, text: str, alert_id: int, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action, "value": str(alert_id),
                              "text": {"type": "plain_text", "text": text}}
    if style:
        button["style"] = style
    return button


def _control(action: str, alert_id: int, shown: TriageShown, today: date) -> dict[str, Any]:
    if action == ASSIGN:
        control: dict[str, Any] = {"type": "users_select", "action_id": ASSIGN,
                                   "placeholder": {"type": "plain_text", "text": "Assign an owner"}}
        if slack_id(shown.owner):
            control["initial_user"] = slack_id(shown.owner)
        return control
    if action == SNOOZE:
        return {"type": "datepicker", "action_id": SNOOZE,
                "initial_date": (today + timedelta(days=DEFAULT_SNOOZE_DAYS)).isoformat(),
                "placeholder": {"type": "plain_text", "text": "Snooze until"}}
    words = {APPLICABLE: ("Applicable", "primary"), NOT_APPLICABLE: ("Not applicable", ""), DONE: ("Done", "primary")}
    text, style = words[action]
    return _button(action, text, alert_id, style)


def triage_blocks(alert_id: int, shown: TriageShown, today: date, tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """The standing line and the controls for an alert's message: two blocks (one when closed)."""
    blocks: list[dict[str, Any]] = [{"type": "context", "block_id": f"triage-status:{alert_id}",
                                     "elements": [{"type": "mrkdwn", "text": status_text(shown, tz)}]}]
    controls = [_control(action, alert_id, shown, today) for action in NEXT.get(shown.state, NEXT["new"])]
    if controls:
        blocks.append({"type": "actions", "block_id": f"{PREFIX}{alert_id}", "elements": controls})
    return blocks


def alert_id_of(block_id: str, value: str = "") -> int | None:
    """The alert a click is about: its button's value, else its actions block's id; None when neither
    names one (a forged or foreign payload)."""
    for text in (value, block_id.removeprefix(PREFIX) if block_id.startswith(PREFIX) else ""):
        if text.isdigit() and len(text) < 19:
            return int(text)
    return None


def reason_modal(state: str, alert_id: int, title: str, private_metadata: str,
                 mute_choices: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The modal that asks why a rule is not applicable, or how it was closed; a not-applicable one
    also offers to mute similar alerts (`mute_choices`: value and words of each way to)."""
    asking = "Why does this rule not apply to us?" if state == "not_applicable" else "How was it closed?"
    return {
        "type": "modal", "callback_id": MODAL_CALLBACK, "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Not applicable" if state == "not_applicable" else "Done"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*#{alert_id}* {escape_mrkdwn(title[:500])}"}},
            {"type": "input", "block_id": REASON_INPUT, "label": {"type": "plain_text", "text": asking},
             "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": True,
                         "max_length": MAX_MODAL_TEXT}},
            *([_mute_block(mute_choices)] if state == "not_applicable" and mute_choices else []),
        ],
    }


def _mute_block(choices: Sequence[tuple[str, str]]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": words[:75]}, "value": value} for value, words in choices]
    return {"type": "input", "block_id": MUTE_INPUT, "optional": True,
            "label": {"type": "plain_text", "text": "Mute similar alerts?"},
            "hint": {"type": "plain_text", "text": "Muted alerts are still recorded (rulewatch mutes, rulewatch "
                                                   "alerts); alerts rated high are never muted."},
            "element": {"type": "radio_buttons", "action_id": MUTE_INPUT, "options": options}}


def modal_mute(values: dict[str, Any]) -> str:
    """The "mute similar" choice made in the form ("" for none)."""
    chosen = ((values.get(MUTE_INPUT) or {}).get(MUTE_INPUT) or {}).get("selected_option") or {}
    return str(chosen.get("value") or "")


def modal_reason(values: dict[str, Any]) -> str:
    """The text typed into the modal's input (from a view_submission's state.values)."""
    return str(((values.get(REASON_INPUT) or {}).get(REASON_INPUT) or {}).get("value") or "")
