"""Triage, the use case every front end calls (the CLI today; the Slack app and the web workspace next):
decide what a rule means for the team, list the decisions, read the audit trail.

A rule's decision goes `new` → `applicable` or `not_applicable` (with a reason) → `assigned` (an owner) →
`done` (a closing note); `snoozed` until a day, after which it shows as `new` again. Decisions hang on
the rule an alert is about (state.rules), so a later alert about it (an amendment, the final of a
draft) reopens the decision, and the audit trail says which alert did.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date

from rulewatch.core.errors import UsageError
from rulewatch.state import Store
from rulewatch.state.decisions import NEW, Decision
from rulewatch.state.triage import TriageRow

STATES = (NEW, "applicable", "not_applicable", "assigned", "done", "snoozed")
KEEPS_OWNER = ("applicable", "assigned", "done", "snoozed")
CHANNELS = ("cli", "slack", "web")  # through what a person decides
MAX_TEXT = 2000  # characters of a reason or note
MAX_NAME = 200  # characters of an actor's or owner's name


class TriageError(UsageError):
    """A decision that cannot be recorded as asked (names the alert, the state or the missing field)."""


@dataclass(frozen=True, slots=True)
class Asked:
    """A decision as someone asks for it."""

    alert_id: int
    state: str
    by: str
    via: str = "cli"
    owner: str = ""
    reason: str = ""
    note: str = ""
    until: date | None = None


def _clean(text: str, limit: int, what: str) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        raise TriageError(f"{what} is longer than {limit} characters")
    return text


def _checked(asked: Asked, today: date) -> Asked:
    """The decision with its text tidied, or TriageError saying what is missing or wrong."""
    if asked.state not in STATES:
        raise TriageError(f"{asked.state!r} is not a triage state (one of: {', '.join(STATES)})")
    if asked.via not in CHANNELS:
        raise TriageError(f"{asked.via!r} is not a way to decide (one of: {', '.join(CHANNELS)})")
    by = _clean(asked.by, MAX_NAME, "the name of who decides")
    if not by:
        raise TriageError("say who decides (--by NAME): the audit trail records it")
    owner, reason, note = (_clean(asked.owner, MAX_NAME, "the owner"), _clean(asked.reason, MAX_TEXT, "the reason"),
                           _clean(asked.note, MAX_TEXT, "the note"))
    needs = {"not_applicable": ("a reason (--reason)", reason), "assigned": ("an owner (--owner)", owner),
             "done": ("a closing note (--note)", note)}
    if asked.state in needs and not needs[asked.state][1]:
        raise TriageError(f"{asked.state} needs {needs[asked.state][0]}")
    if asked.state == "snoozed":
        if asked.until is None:
            raise TriageError("snoozed needs a day it comes back (--until YYYY-MM-DD)")
        if asked.until <= today:
            raise TriageError(f"snoozed until {asked.until.isoformat()}: that day is not after today ({today})")
    elif asked.until is not None:
        raise TriageError("--until goes with snoozed only")
    return replace(asked, by=by, owner=owner, reason=reason, note=note)


def decide(store: Store, asked: Asked, today: date) -> Decision | None:
    """Record a decision about the rule alert `asked.alert_id` is about: the decision as recorded, or
    None when the rule already stood so (a double click records nothing twice)."""
    asked = _checked(asked, today)
    rule_of = store.rules.rule_of([asked.alert_id])
    if asked.alert_id not in rule_of:
        known = store.outbox.by_id([asked.alert_id])
        if not known:
            raise TriageError(f"there is no alert #{asked.alert_id}")
        raise TriageError(f"alert #{asked.alert_id} ({known[0].kind}) is about no rule: there is nothing to triage")
    # An owner stays with the rule while it is worked on (closing it keeps who owned it); a rule sent
    # back to new, or found not applicable, has none. The owner kept is read under the rule's lock.
    return store.triage.decide(Decision(
        rule_of[asked.alert_id], asked.alert_id, asked.by, asked.via, "", asked.state, asked.owner, asked.reason,
        asked.note, asked.until.isoformat() if asked.until else None),
        keep_owner=not asked.owner and asked.state in KEEPS_OWNER)


@dataclass(frozen=True, slots=True)
class Standing:
    """A rule's decision as the team sees it today: a snooze that ended shows as new again."""

    row: TriageRow
    state: str

    def to_json(self) -> dict[str, object]:
        r = self.row
        return {"alert_id": r.alert_id, "rule_id": r.rule_id, "rule": r.name, "state": self.state,
                "owner": r.owner or None, "updated_by": r.updated_by or None, "updated_at": r.updated_at or None,
                "reason": r.reason or None, "note": r.note or None, "snoozed_until": r.snoozed_until}


def state_today(state: str, snoozed_until: str | None, today: date) -> str:
    """A rule's stored state as it stands today: a snooze that ended shows as new again."""
    return NEW if state == "snoozed" and (snoozed_until or "") <= today.isoformat() else state


def _today(row: TriageRow, today: date) -> str:
    return state_today(row.state, row.snoozed_until, today)


def rule_standing(store: Store, alert_id: int, today: date) -> tuple[int | None, Standing | None]:
    """The rule an alert is filed under (None: it is about no rule) and where that rule stands today."""
    rule_of = store.rules.rule_of([alert_id])
    if alert_id not in rule_of:
        return None, None
    row = store.triage.row(rule_of[alert_id])
    return rule_of[alert_id], (Standing(row, _today(row, today)) if row is not None else None)


def standing_of(store: Store, alert_id: int, today: date) -> Standing | None:
    """Where the rule an alert is about stands today; None when the alert is about no rule."""
    return rule_standing(store, alert_id, today)[1]


def standing(store: Store, today: date, state: str = "", owner: str = "") -> list[Standing]:
    """Every rule's decision today, most recently active first; only `state` and `owner`'s when given."""
    if state and state not in STATES:
        raise TriageError(f"{state!r} is not a triage state (one of: {', '.join(STATES)})")
    found = []
    for row in store.triage.rows():
        now = _today(row, today)
        if (not state or now == state) and (not owner or row.owner == owner):
            found.append(Standing(row, now))
    return found


AUDIT_COLUMNS = ("id", "at", "actor", "via", "rule_id", "alert_id", "from", "to", "owner", "reason", "note",
                 "snoozed_until")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a reason typed as =HYPERLINK(...) must not run there."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def audit_csv(events: list[Decision]) -> str:
    """The audit trail as CSV, for a spreadsheet or an auditor (text that reads as a formula is quoted)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, AUDIT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in events:
        writer.writerow({k: _cell(v) for k, v in e.to_json().items()})
    return out.getvalue()


def audit(store: Store, since: date | None = None) -> list[Decision]:
    """Every decision recorded, oldest first (since a day, when given)."""
    return store.triage.events(since.isoformat() if since else "")
