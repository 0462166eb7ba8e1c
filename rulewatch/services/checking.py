"""One monitoring cycle as a use case: check the chosen sources, record what changed, deliver, and say
what the run's result means (its problems, in words, and its exit code)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rulewatch.alerts.deliver import DeliveryReport
    from rulewatch.app import App
    from rulewatch.config import Source
    from rulewatch.runner import CycleReport, SourceOutcome

EXIT_OK, EXIT_FAILED = 0, 1
OFFLINE_HINT = ("No source could be reached: is this machine offline? `rulewatch demo` (or `make demo`) "
                "shows rulewatch at work on a bundled local replay.")


def delivery_problems(report: DeliveryReport) -> list[str]:
    """What delivery left undone, one line each; none when every alert went out."""
    from rulewatch.alerts.deliver import NO_SINK_HELP

    problems = []
    if report.unsent:
        problems.append(f"{report.unsent} alert(s): {NO_SINK_HELP}")
    problems += [f"alerts for {channel} stay pending: {why}" for channel, why in report.stopped_channels.items()]
    return problems


@dataclass
class CheckResult:
    """What a check run did. `delivery` is None when it was asked not to deliver."""

    report: CycleReport
    delivery: DeliveryReport | None = None
    notes: list[str] = field(default_factory=list)  # what a person should know beside the counts

    @property
    def failed(self) -> list[SourceOutcome]:
        return self.report.failed

    @property
    def checked(self) -> int:
        return len(self.report.outcomes) - len(self.report.failed)

    @property
    def refused(self) -> bool:
        """A sink refused alerts (with no sink at all the cycle still did its work: alerts wait)."""
        return self.delivery is not None and bool(self.delivery.failed)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.report.failed or self.refused else EXIT_OK

    def summary(self) -> str:
        return (f"{self.checked} of {len(self.report.outcomes)} sources checked, {len(self.report.failed)} failed, "
                f"{len(self.report.alert_ids)} new alert(s)")


def check(app: App, sources: list[Source], *, deliver: bool = True,
          on_outcome: Callable[[SourceOutcome], None] | None = None) -> CheckResult:
    """Check `sources` once (concurrently, politely), record each result, then deliver what is pending."""
    from rulewatch.alerts.deliver import deliver_pending
    from rulewatch.runner import run_cycle

    if deliver:
        _ = app.sinks  # a sink's settings error stops the run before it records anything
    result = CheckResult(run_cycle(app, sources, on_outcome=on_outcome))
    if deliver:
        result.delivery = deliver_pending(app.store, app.sinks, lease_seconds=app.settings.delivery_lease)
    failed = result.report.failed
    if failed and len(failed) == len(result.report.outcomes) and all(
            o.error.startswith(("connection", "timeout")) for o in failed):
        result.notes.append(OFFLINE_HINT)
    return result
