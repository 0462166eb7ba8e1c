"""What goes out besides a cycle's alerts: the outbox drained now, deadline reminders, daily digests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from core.errors import UsageError

if TYPE_CHECKING:
    from alerts.deliver import DeliveryReport
    from alerts.reminders import RemindersSent
    from rulewatch.app import App


def deliver(app: App, resend: Sequence[int] = ()) -> DeliveryReport:
    """Send pending alerts now; `resend`: these alerts again, to every sink (an unknown id is an error
    and nothing is sent)."""
    from alerts.deliver import deliver_pending

    if resend:
        found = app.store.resend(list(resend))
        missing = sorted(set(resend) - set(found))
        if missing:
            raise UsageError(f"no alert #{', #'.join(map(str, missing))} (see `rulewatch alerts`)")
    return deliver_pending(app.store, app.sinks, lease_seconds=app.settings.delivery_lease)


def remind(app: App, today: date | None = None) -> RemindersSent:
    """Post the deadline reminders due `today` (the team's today by default), each once."""
    from alerts.reminders import send_reminders

    return send_reminders(app.store, app.sinks, today or app.settings.today(),
                          lease_seconds=app.settings.delivery_lease)


def digest(app: App) -> dict[str, str]:
    """Post each channel's digest of the last 24 hours, once per channel and day: channel -> outcome.
    With no sink configured there is nowhere to post: UsageError says what to set (a digest is not kept
    for later, as alerts are)."""
    from alerts.deliver import NO_SINK_HELP
    from alerts.digest import send_digests

    if not app.sinks:
        raise UsageError(f"no digest posted: {NO_SINK_HELP.replace('so they stay pending', 'so nothing is posted')}")
    return send_digests(app.store, app.sinks)


def not_posted(results: dict[str, str]) -> dict[str, str]:
    """The channels whose digest was refused."""
    return {channel: outcome for channel, outcome in results.items() if outcome.startswith("not posted")}
