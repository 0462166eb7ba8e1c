"""What goes out besides a cycle's alerts: the outbox drained now, deadline reminders, daily digests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rulewatch.core.errors import UsageError

if TYPE_CHECKING:
    from rulewatch.alerts.deliver import DeliveryReport
    from rulewatch.alerts.reminders import RemindersSent
    from rulewatch.app import App
    from rulewatch.core.model import Alert


def deliver(app: App, resend: Sequence[int] = ()) -> DeliveryReport:
    """Send pending alerts now; `resend`: these alerts again, to every sink (an unknown id is an error
    and nothing is sent)."""
    from rulewatch.alerts.deliver import deliver_pending

    if resend:
        known = {alert.outbox_id for alert in app.store.outbox.by_id(list(resend))}
        missing = sorted(set(resend) - known)
        if missing:  # checked first: a typo in one id re-queues none of them
            raise UsageError(f"no alert #{', #'.join(map(str, missing))} (see `rulewatch alerts`)")
        app.store.outbox.resend(list(resend))
    return deliver_pending(app.store, app.sinks, lease_seconds=app.settings.delivery_lease)


def remind(app: App, today: date | None = None) -> RemindersSent:
    """Post the deadline reminders due `today` (the team's today by default), each once."""
    from rulewatch.alerts.reminders import send_reminders

    return send_reminders(app.store, app.sinks, today or app.settings.today(),
                          lease_seconds=app.settings.delivery_lease)


def digest(app: App) -> dict[str, str]:
    """Post each channel's digest of the last 24 hours, once per channel and day: channel -> outcome.
    With no sink configured there is nowhere to post: UsageError says what to set (a digest is not kept
    for later, as alerts are)."""
    from rulewatch.alerts.deliver import NO_SINK_HELP
    from rulewatch.alerts.digest import send_digests

    if not app.sinks:
        raise UsageError(f"no digest posted: {NO_SINK_HELP.replace('so they stay pending', 'so nothing is posted')}")
    return send_digests(app.store, app.sinks)


SAMPLE_TITLE = "rulewatch test: 银行业金融机构网络安全事件报告办法"


def sample_alert(app: App) -> Alert:
    """A sample alert made as a real one is (compared, judged, explained: severity, English line, key
    dates), from an amendment of a made-up rule taking effect in 30 days: what `slack-test` posts."""
    from rulewatch.config import Source
    from rulewatch.core.model import Alert, Block, Document
    from rulewatch.detection.compare import compare
    from rulewatch.detection.judge import judge
    from rulewatch.state import utcnow

    effective = (app.settings.today() + timedelta(days=30))
    when = f"{effective.year}年{effective.month}月{effective.day}日"

    def page(article_4: str) -> Document:
        return Document(kind="page", url="https://example.org/rulewatch-test", title=SAMPLE_TITLE, blocks=[
            Block(text="第一条 为规范银行业金融机构网络安全事件报告工作，制定本办法。", key="第一条"),
            Block(text=article_4, key="第四条")])

    old = page("第四条 发生重大网络安全事件的，应当在二十四小时内向监管部门报告。")
    new = page(f"第四条 发生重大网络安全事件的，应当在两小时内向监管部门报告。本办法自{when}起施行。")
    context = app.explain_context(Source(name="rulewatch-slack-test", url="https://example.org/rulewatch-test",
                                         publisher="rulewatch (a test post)"))
    verdict = judge(compare(old, new), old, new, app.taxonomy, context=context)
    now = utcnow()
    return Alert.entered(verdict.findings[0], source="rulewatch-slack-test", idempotency_key=f"slack-test:{now}",
                         detected_at=now)


def not_posted(results: dict[str, str]) -> dict[str, str]:
    """The channels whose digest was refused."""
    return {channel: outcome for channel, outcome in results.items() if outcome.startswith("not posted")}
