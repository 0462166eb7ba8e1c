"""The Slack app's listeners: a click on an alert's triage controls, and the modal that asks why.

Each listener acknowledges first (Slack wants an answer within 3 seconds), then checks who clicked and
where, records through the use case, and updates the alert's message so the channel sees where the
rule stands and who set it. A refusal is said to the person who clicked, and to nobody else.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt import App as BoltApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from rulewatch.alerts.render import escape_mrkdwn
from rulewatch.alerts.triage_blocks import (
    ACTIONS,
    ASSIGN,
    MODAL_CALLBACK,
    NOT_APPLICABLE,
    REASON_INPUT,
    SNOOZE,
    alert_id_of,
    mention,
    modal_mute,
    modal_reason,
    reason_modal,
    slack_person,
)
from rulewatch.app import App
from rulewatch.core.errors import StateError, UsageError
from rulewatch.core.model import Alert
from rulewatch.services.mutes import MUTE_BY, mute_choices, mute_like
from rulewatch.services.slack_triage import (
    ASKS_WHY,
    Click,
    Refused,
    Triagers,
    check_place,
    record_click,
    refreshed,
)
from rulewatch.services.triage import MAX_TEXT, TriageError

log = logging.getLogger("rulewatch.slackapp")
MAX_PEOPLE_CACHED = 1000


class TriageDesk:
    """Answers triage clicks for one store, with one bot."""

    def __init__(self, app: App, triagers: Triagers) -> None:
        self.app = app
        self.store = app.store
        self.triagers = triagers
        self._people: dict[str, str] = {}

    def register(self, bolt: BoltApp) -> None:
        for action in ACTIONS:
            bolt.action(action)(self.on_ask_why if action in ASKS_WHY else self.on_click)
        bolt.view(MODAL_CALLBACK)(self.on_why)

    # ---- listeners ------------------------------------------------------------------------------

    def on_click(self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user, channel, ts = _who_where(body)
        try:
            alert = self._checked(client, user, action, channel, ts)
            click = Click(action["action_id"], alert.outbox_id, self._person(client, user), channel, ts,
                          owner=self._owner(client, action), until=_day(action))
            decision = record_click(self.store, click, self._today())
        except TriageError as exc:
            self._tell(client, channel, user, str(exc))
            return
        except StateError as exc:
            self._unwritable(client, channel, user, exc)
            return
        self._refresh(client, alert, channel, ts)
        if decision is not None and click.action == ASSIGN:
            self._say_in_thread(client, channel, ts, f"{mention(decision.owner)} now owns this rule "
                                                     f"(assigned by {mention(decision.actor)}).")

    def on_ask_why(self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user, channel, ts = _who_where(body)
        try:
            alert = self._checked(client, user, action, channel, ts)
        except TriageError as exc:
            self._tell(client, channel, user, str(exc))
            return
        state = "not_applicable" if action["action_id"].endswith("not_applicable") else "done"
        where = json.dumps({"alert": alert.outbox_id, "action": action["action_id"], "channel": channel, "ts": ts})
        try:
            client.views_open(trigger_id=body.get("trigger_id", ""),
                              view=reason_modal(state, alert.outbox_id, alert.title, where, mute_choices(alert)))
        except (SlackApiError, SlackClientError) as exc:
            self._tell(client, channel, user, f"the form could not open ({_error(exc)}): click again")

    def on_why(self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = (view.get("state") or {}).get("values") or {}
        words = " ".join(modal_reason(values).split())
        if not words:
            ack(response_action="errors", errors={REASON_INPUT: "Say why: the audit trail keeps it."})
            return
        if len(words) > MAX_TEXT:
            ack(response_action="errors", errors={REASON_INPUT: f"At most {MAX_TEXT} characters."})
            return
        ack()
        user = str((body.get("user") or {}).get("id") or "")
        where = _where(view.get("private_metadata", ""))
        if where is None:
            log.warning("a triage form came back without the message it was opened from: ignored")
            return
        alert_id, action, channel, ts = where
        try:
            alert = self._checked(client, user, {"action_id": action, "value": str(alert_id)}, channel, ts)
            click = Click(action, alert.outbox_id, self._person(client, user), channel, ts, words=words)
            decision = record_click(self.store, click, self._today())
            how = modal_mute(values) if action == NOT_APPLICABLE else ""
            muted = mute_like(self.store, alert.outbox_id, how, click.actor, "slack", words) \
                if how in MUTE_BY and decision is not None else None  # a form submitted twice mutes once
        except UsageError as exc:  # refused, or a decision or mute that cannot be made as asked
            self._tell(client, channel, user, str(exc))
            return
        except StateError as exc:
            self._unwritable(client, channel, user, exc)
            return
        self._refresh(client, alert, channel, ts)
        if muted is not None:
            self._tell(client, channel, user, f"Muted (mute #{muted.mute.id}): {muted.mute.what}. Such alerts are "
                                              "recorded, not posted; `rulewatch mutes remove` undoes it.")

    # ---- checks and answers ---------------------------------------------------------------------

    def _checked(self, client: WebClient, user: str, action: dict[str, Any], channel: str, ts: str) -> Alert:
        """The alert a click is about, when the person may triage and the click came from its message."""
        if not user or not channel or not ts:
            raise Refused("this click did not come from an alert's message: nothing was recorded")
        if not self.triagers.allows(user, lambda group: _members(client, group)):
            raise Refused("you are not among those who triage rulewatch's alerts (RULEWATCH_TRIAGERS); "
                          "ask your compliance lead: nothing was recorded")
        alert_id = alert_id_of(str(action.get("block_id") or ""), str(action.get("value") or ""))
        if alert_id is None:
            raise Refused("this control names no alert: nothing was recorded")
        return check_place(self.store, alert_id, channel, ts)

    def _today(self) -> date:
        return self.app.settings.today()

    def _refresh(self, client: WebClient, alert: Alert, channel: str, ts: str) -> None:
        message = refreshed(self.store, alert, self._today(), self.app.settings.timezone)
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks,
                               metadata=message.metadata)
        except (SlackApiError, SlackClientError) as exc:  # recorded already: the message catches up next click
            log.warning("alert %s: its message could not be updated: %s", alert.outbox_id, _error(exc))

    def _tell(self, client: WebClient, channel: str, user: str, text: str) -> None:
        if not channel or not user:
            log.warning("a refused click could not be answered: %s", text)
            return
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=escape_mrkdwn(text))
        except (SlackApiError, SlackClientError) as exc:
            log.warning("a refused click could not be answered (%s): %s", _error(exc), text)

    def _unwritable(self, client: WebClient, channel: str, user: str, exc: StateError) -> None:
        """The database refused the write (a newer release upgraded it, a full disk): the person is told
        nothing was recorded; the details, which name the database, go to the log."""
        log.error("a triage click could not be recorded: %s", exc)
        self._tell(client, channel, user, "Not recorded: rulewatch cannot write to its database now. An "
                                          "administrator finds why in the Slack app's log.")

    def _say_in_thread(self, client: WebClient, channel: str, ts: str, text: str) -> None:
        try:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=text, unfurl_links=False, link_names=False)
        except (SlackApiError, SlackClientError) as exc:
            log.warning("the thread line could not be posted: %s", _error(exc))

    def _person(self, client: WebClient, user_id: str) -> str:
        """A Slack user as the audit trail records them: their name and id (users.info, cached)."""
        if user_id not in self._people:
            name = ""
            try:
                info = client.users_info(user=user_id).get("user") or {}
                profile = info.get("profile") or {}
                name = str(info.get("real_name") or profile.get("real_name") or info.get("name") or "")
            except (SlackApiError, SlackClientError) as exc:
                log.warning("users.info %s: %s", user_id, _error(exc))
            if len(self._people) >= MAX_PEOPLE_CACHED:
                self._people.clear()
            self._people[user_id] = slack_person(name, user_id)
        return self._people[user_id]

    def _owner(self, client: WebClient, action: dict[str, Any]) -> str:
        chosen = str(action.get("selected_user") or "")
        if action.get("action_id") == ASSIGN and not chosen:
            raise Refused("choose the person who owns the rule")
        return self._person(client, chosen) if chosen else ""


def _who_where(body: dict[str, Any]) -> tuple[str, str, str]:
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
    return str((body.get("user") or {}).get("id") or ""), channel, ts


def _day(action: dict[str, Any]) -> date | None:
    if action.get("action_id") != SNOOZE:
        return None
    try:
        return date.fromisoformat(str(action.get("selected_date") or ""))
    except ValueError as exc:
        raise Refused("choose the day the rule comes back") from exc


def _where(metadata: str) -> tuple[int, str, str, str] | None:
    """The alert, action and message a modal was opened for (its private_metadata, which we wrote)."""
    try:
        found = json.loads(metadata)
        alert_id, action, channel, ts = found["alert"], found["action"], found["channel"], found["ts"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(alert_id, int) or action not in ASKS_WHY or not all(isinstance(v, str) for v in (channel, ts)):
        return None
    return alert_id, action, channel, ts


def _members(client: WebClient, group: str) -> list[str]:
    try:
        return [str(u) for u in client.usergroups_users_list(usergroup=group).get("users") or []]
    except (SlackApiError, SlackClientError) as exc:
        log.warning("user group %s: its members could not be read (%s): its members may not triage", group,
                    _error(exc))
        return []


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__
