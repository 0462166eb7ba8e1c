"""Triage from Slack, the use case behind `rulewatch slack-app`: what a click or a modal asks, who may
ask it, and the alert's message as it should read afterwards. No Slack client here: the app
(rulewatch.slackapp) verifies requests, calls these, and talks to Slack.

A click names its alert (alerts.triage_blocks.alert_id_of); it is honoured only on a message where
rulewatch delivered that alert (a click elsewhere is refused), only from someone allowed to triage
(RULEWATCH_TRIAGERS, else anyone in the channel, who is the only one who sees the message), and it is
recorded through the same use case as the command line's (services.triage.decide), so a double click or
a modal submitted twice records one event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, tzinfo

from rulewatch.alerts.render import SlackMessage, render_slack
from rulewatch.alerts.triage_blocks import (
    APPLICABLE,
    ASSIGN,
    DONE,
    NOT_APPLICABLE,
    SNOOZE,
    TriageShown,
    triage_blocks,
)
from rulewatch.core.env import Env
from rulewatch.core.errors import SettingsError
from rulewatch.core.model import Alert
from rulewatch.core.reference import NO_DEFAULT, Variable
from rulewatch.services.triage import Asked, TriageError, decide, standing_of
from rulewatch.state import Store
from rulewatch.state.decisions import Decision

SIGNING_SECRET = "SLACK_SIGNING_SECRET"
APP_TOKEN = "SLACK_APP_TOKEN"
TRIAGERS = "RULEWATCH_TRIAGERS"
VARIABLES = (
    Variable(SIGNING_SECRET, NO_DEFAULT, "`rulewatch slack-app` over HTTP: the app's signing secret; every "
             "request's signature is checked with it"),
    Variable(APP_TOKEN, NO_DEFAULT, "`rulewatch slack-app --socket`: the app-level token (`xapp-…`, scope "
             "`connections:write`)"),
    Variable(TRIAGERS, "anyone in the alert's channel", "Slack user (`U…`) and user-group (`S…`) ids allowed "
             "to triage, comma-separated"),
)

STATE_OF = {APPLICABLE: "applicable", NOT_APPLICABLE: "not_applicable", ASSIGN: "assigned", SNOOZE: "snoozed",
            DONE: "done"}
ASKS_WHY = (NOT_APPLICABLE, DONE)  # these open a modal; the submission decides
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,30}$")


class Refused(TriageError):
    """A click that is not honoured; its message is what the person who clicked is told."""


@dataclass(frozen=True, slots=True)
class Triagers:
    """Who may triage: these users and the members of these user groups; everyone when both are empty."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Env) -> Triagers:
        raw = [part.strip() for part in env.get(TRIAGERS, "").split(",") if part.strip()]
        bad = [p for p in raw if not (_USER_ID.match(p) or _GROUP_ID.match(p))]
        if bad:
            raise SettingsError(f"{TRIAGERS}: {', '.join(repr(b) for b in bad[:3])} is not a Slack user id (U…, W…) "
                                "or user-group id (S…)")
        return cls(frozenset(p for p in raw if _USER_ID.match(p)), frozenset(p for p in raw if _GROUP_ID.match(p)))

    @property
    def everyone(self) -> bool:
        return not self.users and not self.groups

    def allows(self, user_id: str, members_of: Callable[[str], Iterable[str]]) -> bool:
        """Whether `user_id` may triage; `members_of(group)` lists a user group's members (asked of
        Slack only when the user is not named directly)."""
        if self.everyone or user_id in self.users:
            return True
        return any(user_id in set(members_of(group)) for group in sorted(self.groups))


@dataclass(frozen=True, slots=True)
class Click:
    """What someone asked of an alert's message: a control's action, or a modal's submission."""

    action: str
    alert_id: int
    actor: str  # as recorded: "Jane Doe (U0123)"
    channel: str
    ts: str  # the message clicked
    owner: str = ""  # assign: the person chosen, as recorded
    until: date | None = None  # snooze: the day chosen
    words: str = ""  # not applicable: the reason; done: the closing note


def check_place(store: Store, alert_id: int, channel: str, ts: str) -> Alert:
    """The alert a click names, when the click came from a message where rulewatch delivered it;
    Refused otherwise (no such alert, or a message that is not that alert's)."""
    found = store.outbox.by_id([alert_id])
    if not found:
        raise Refused(f"alert #{alert_id} is no longer in rulewatch's outbox: nothing was recorded")
    places = {(d.channel, d.ts) for d in store.outbox.deliveries_by_alert([alert_id]).get(alert_id, [])
              if d.sink == "slack" and d.ts}
    if (channel, ts) not in places:
        raise Refused(f"this message is not where rulewatch posted alert #{alert_id}: nothing was recorded")
    return found[0]


def record_click(store: Store, click: Click, today: date) -> Decision | None:
    """Record what the click asks (the decision, or None when the rule already stood so)."""
    state = STATE_OF.get(click.action)
    if state is None:
        raise Refused(f"{click.action!r} is not a triage action")
    asked = Asked(click.alert_id, state, click.actor, via="slack", owner=click.owner,
                  reason=click.words if state == "not_applicable" else "",
                  note=click.words if state == "done" else "", until=click.until)
    return decide(store, asked, today)


def shown(store: Store, alert_id: int, today: date) -> TriageShown:
    """Where the rule an alert is about stands today, as its message shows it."""
    found = standing_of(store, alert_id, today)
    if found is None:
        return TriageShown()
    row = found.row
    return TriageShown(found.state, row.owner, row.updated_by, row.updated_via, row.updated_at, row.reason,
                       row.note, row.snoozed_until if found.state == "snoozed" else None)


def refreshed(store: Store, alert: Alert, today: date, tz: tzinfo | None = None) -> SlackMessage:
    """The alert's message as it should read now: its text, where its rule stands, and what can be
    done next (chat.update sends it)."""
    return render_slack(alert, tz, triage_blocks(alert.outbox_id, shown(store, alert.outbox_id, today), today, tz))
