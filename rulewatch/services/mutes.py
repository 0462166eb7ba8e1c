"""Mutes, the use case: when the team finds an alert not applicable, it may mute similar ones (from
the same source: alerts matching only the same terms, or list items titled in the same shape), list
the mutes with what they caught, and remove one. Front ends: the Slack app's "not applicable" form,
and `rulewatch mutes`."""

from __future__ import annotations

from typing import Literal

from rulewatch.core.errors import UsageError
from rulewatch.core.model import Alert
from rulewatch.core.mute import MUTABLE_KINDS, NEVER_MUTED_SEVERITIES, Mute, title_shape
from rulewatch.services.triage import MAX_NAME, MAX_TEXT
from rulewatch.state import Store
from rulewatch.state.mutes import MuteRow

MuteBy = Literal["terms", "title"]
MUTE_BY: tuple[MuteBy, ...] = ("terms", "title")


class MuteError(UsageError):
    """A mute that cannot be set or removed as asked (names the alert or mute, and why)."""


LIST_ITEM_KINDS = ("new_item", "changed_item", "removed_item")


def _refusal(alert: Alert, by: str) -> str:
    """Why alerts like `alert` cannot be muted `by` terms or title ("" when they can): the one check
    behind both the refusal and the choices offered."""
    if alert.kind not in MUTABLE_KINDS:
        return f"alert #{alert.id} is a {alert.kind.replace('_', ' ')}: only alerts about rules can be muted"
    if alert.severity in NEVER_MUTED_SEVERITIES:
        return f"alert #{alert.id} is rated {alert.severity}: alerts rated high are never muted"
    if by == "terms":
        return "" if alert.matched_terms else f"alert #{alert.id} matched no watched term: mute by title instead"
    if by == "title":
        return "" if alert.kind in LIST_ITEM_KINDS else \
            f"alert #{alert.id} is about a page, not a list item: mute by terms instead"
    return f"{by!r}: mute by one of {', '.join(MUTE_BY)}"


def _mute(alert: Alert, by: MuteBy) -> Mute:
    if by == "terms":
        return Mute(0, alert.source, terms=tuple(sorted(set(alert.matched_terms))))
    return Mute(0, alert.source, title_pattern=title_shape(alert.title))


def mute_like(store: Store, alert_id: int, by: MuteBy, who: str, via: str, reason: str) -> MuteRow:
    """Mute alerts like `alert_id` from its source: those matching only its terms (`terms`), or list
    items titled in its shape (`title`). The mute as recorded."""
    who, reason = " ".join(who.split())[:MAX_NAME], " ".join(reason.split())[:MAX_TEXT]
    if not who:
        raise MuteError("say who mutes (--by NAME): the mute records it")
    found = store.outbox.by_id([alert_id])
    if not found:
        raise MuteError(f"there is no alert #{alert_id}")
    refused = _refusal(found[0], by)
    if refused:
        raise MuteError(refused)
    mute_id = store.mutes.add(_mute(found[0], by), reason, who, via, alert_id)
    row = store.mutes.get(mute_id)
    assert row is not None
    return row


def mute_choices(alert: Alert) -> list[tuple[MuteBy, str]]:
    """The ways alerts like this one can be muted, in words (none for what is never muted)."""
    words = {"terms": f"From {alert.source}, alerts matching only: {', '.join(sorted(set(alert.matched_terms)))}",
             "title": f"From {alert.source}, items titled like: {title_shape(alert.title)}"}
    return [(by, words[by]) for by in MUTE_BY if not _refusal(alert, by)]


def mutes(store: Store, include_removed: bool = False) -> list[MuteRow]:
    """The mutes in force (and removed ones, when asked), oldest first, with what each caught."""
    return store.mutes.rows(include_removed)


def unmute(store: Store, mute_id: int, who: str) -> MuteRow:
    """Remove a mute: alerts like those it caught are posted again from now on (those it caught stay
    recorded as muted: `rulewatch deliver --resend ID` posts one)."""
    who = " ".join(who.split())[:MAX_NAME]
    if not who:
        raise MuteError("say who removes the mute (--by NAME)")
    if not store.mutes.remove(mute_id, who):
        found = store.mutes.get(mute_id)
        raise MuteError(f"there is no mute #{mute_id}" if found is None else
                        f"mute #{mute_id} was removed already ({found.removed_at}, by {found.removed_by})")
    row = store.mutes.get(mute_id)
    assert row is not None
    return row
