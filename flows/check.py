"""Prefect flows: the same stages as `rulewatch run`, visible in the Prefect UI.

Task granularity follows Prefect's per-task cost (milliseconds each, plus server work): sources are
batched into at most MAX_BATCHES tasks, grouped by host so that one host's politeness gate lives in
one place. Each batch is a task that opens the app and runs the cycle's runner over its sources
(checked with a thread pool, recorded in batch transactions); events, artifacts and delivery happen in
the flow itself.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.states import Failed, State

from rulewatch.alerts.deliver import DeliveryReport
from rulewatch.alerts.render import diff_text, headline
from rulewatch.app import App
from rulewatch.config import Source
from rulewatch.core.errors import DeliveryError, UsageError
from rulewatch.core.model import Alert
from rulewatch.partition import Partition
from rulewatch.runner import SourceOutcome, run_cycle
from rulewatch.scrapers.urls import host_of
from rulewatch.services.checking import delivery_problems
from rulewatch.services.selection import select_sources
from rulewatch.services.sending import deliver as send_pending
from rulewatch.services.sending import digest, not_posted, remind


class RunFailed(Exception):
    """A run that did its work and has something to report (a source failed, an alert stayed pending):
    the flow ends Failed with this as its data, so Prefect has an exception to resolve (a plain dict made
    it log a TypeError's traceback) and the run's result stays readable as `.result`."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message, result)  # both in args: the exception pickles whole

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def result(self) -> Any:
        return self.args[1]

    def __str__(self) -> str:
        return self.message


def _failed(message: str, result: Any = None) -> State:
    return Failed(message=message, data=RunFailed(message, result))


class _ReasonOnly(logging.Filter):
    """Prefect's engine logs a failed run's end again with a traceback ("Engine execution exited with
    unexpected exception"), after the run's own "Finished in state Failed(reason)" line: for a RunFailed
    there is nothing more to say, so that record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        raised = record.exc_info[1] if record.exc_info else None
        return not isinstance(raised, RunFailed)


_REASON_ONLY = _ReasonOnly()
for _name in ("prefect.flow_runs", "prefect.engine"):
    logging.getLogger(_name).addFilter(_REASON_ONLY)  # the same filter object: added once

MAX_BATCHES = 4
CHANGE_EVENT = "rulewatch.change.detected"  # one per alert, for automations that match a source or topic
CYCLE_EVENT = "rulewatch.cycle.alerted"  # one per run that recorded alerts: what triggers delivery


def batches(sources: list[Source], n: int = MAX_BATCHES) -> list[list[Source]]:
    """Sources split into at most `n` batches; one host's sources always share a batch."""
    by_host: dict[str, list[Source]] = defaultdict(list)
    for s in sources:
        by_host[host_of(s.url)].append(s)
    out: list[list[Source]] = [[] for _ in range(min(n, len(by_host)) or 1)]
    for group in sorted(by_host.values(), key=len, reverse=True):
        min(out, key=len).extend(group)
    return [b for b in out if b]


@task(name="check-batch", cache_policy=NO_CACHE)
def check_batch(sources: list[Source]) -> list[SourceOutcome]:
    """Check a batch of sources and record the results. A task takes plain data and opens the app
    itself, so it can run wherever the task runner puts it."""
    with App.from_env() as app:
        return run_cycle(app, sources).outcomes


def _emit(alert: Alert) -> None:
    emit_event(
        event=CHANGE_EVENT,
        resource={"prefect.resource.id": f"rulewatch.source.{alert.source}", "prefect.resource.name": alert.source},
        payload={"alert_id": alert.id, "kind": alert.kind, "title": alert.title, "topics": list(alert.topics),
                 "url": alert.url},
    )


def _emit_cycle(alerts: list[Alert]) -> None:
    """One event for the run's alerts: a burst of changes starts one delivery run, not one per alert."""
    emit_event(
        event=CYCLE_EVENT,
        resource={"prefect.resource.id": f"rulewatch.cycle.{_deployment_key()}"},
        payload={"alerts": len(alerts), "alert_ids": [a.id for a in alerts]},
    )


def _deployment_key() -> str:
    """The run's deployment as an artifact-key part (letters, digits, dashes); "adhoc" outside one."""
    from prefect.runtime import deployment

    name = str(deployment.name or "adhoc").lower()
    return "".join(c if c.isalnum() else "-" for c in name)


def _publish(outcomes: list[SourceOutcome], alerts: list[Alert]) -> None:
    # A stable key per deployment: the UI keeps each deployment's latest cycle table under one name.
    key = _deployment_key()
    create_table_artifact(
        key="rulewatch-cycle" if key == "adhoc" else f"rulewatch-cycle-{key}",
        table=[{"source": o.name, "status": o.status, "kind": o.kind, "change": o.error or o.summary,
                "alerts": len(o.alert_ids)} for o in outcomes],
        description="rulewatch: one row per source checked in this run",
    )
    for alert in alerts:
        body = "\n".join([
            f"# {headline(alert)}", "",
            f"**source** {alert.source} · **topics** {', '.join(alert.topics)} · "
            f"**matched** {', '.join(alert.matched_terms[:8])}", "", f"[{alert.url}]({alert.url})", "",
            "```diff", diff_text(alert).rstrip(), "```",
        ])
        create_markdown_artifact(markdown=body, description=f"rulewatch alert {alert.id}: {alert.kind}")


@flow(name="check-sources")
def check_sources(
    sources_file: str = "sources.yaml", only: list[str] | None = None, group: str | None = None, deliver: bool = True,
    groups: list[str] | None = None, partition: str | None = None,
) -> dict[str, Any] | State:
    """Check sources once: record snapshots, changes and alerts; emit an event per alert; deliver.
    Sources that failed, or alerts that could not be delivered, end the run Failed (red in the UI, and
    matched by automations), with the result still attached. `partition` ("k/n") checks only part k
    of n of the chosen sources, so that n runs on any workers share one cycle (check-sources-spread)."""
    logger = get_run_logger()
    part = Partition.parse(partition) if partition else None  # a malformed value fails before any work
    with App.from_env() as app:
        wanted = sorted(set(groups or []) | ({group} if group is not None else set()))
        # A name the sources file lacks fails the run, naming it, as the CLI refuses it.
        sources = select_sources(app, sources_file, only or (), wanted, part)
        if part is not None:
            logger.info("partition %s: %d source(s)", part, len(sources))
        futures = [check_batch.submit(batch) for batch in batches(sources)]
        outcomes: list[SourceOutcome] = []
        for future in futures:
            for outcome in future.result():
                outcomes.append(outcome)
                if outcome.status == "failed":
                    logger.warning("%s failed: %s", outcome.name, outcome.error)
                else:
                    logger.info("%s: %s; %s", outcome.name, outcome.status, outcome.summary)
        new_ids = sorted({a for o in outcomes for a in o.alert_ids})
        alerts = app.store.outbox.by_id(new_ids)
        for alert in alerts:
            _emit(alert)
        if alerts:
            _emit_cycle(alerts)
        _publish(outcomes, alerts)
        problems = []
        if deliver:
            problems += _delivery_problems(send_pending(app), logger)
    failed = [o.name for o in outcomes if o.status == "failed"]
    result = {"checked": len(outcomes) - len(failed), "failed": failed, "alerts": new_ids}
    if failed:
        problems.insert(0, f"{len(failed)} of {len(outcomes)} source(s) failed: {', '.join(failed)}")
    return _failed("; ".join(problems), result) if problems else result


def _delivery_problems(report: DeliveryReport, logger: Any) -> list[str]:
    """What delivery left undone, each logged as an error; nothing when all went out."""
    problems = delivery_problems(report)
    for problem in problems:
        logger.error("%s", problem)
    sent = ", ".join(f"{n} to {sink}" for sink, n in report.sent.items()) or "none"
    logger.info("delivered %d alert(s) (%s)", len(report.delivered), sent)
    return problems


@flow(name="deliver-alerts")
def deliver_alerts() -> dict[str, Any] | State:
    """Drain the outbox. Idempotent: triggered by events and on a fallback schedule, racing is harmless.
    Fails when alerts stay pending (no sink configured on this worker, or a sink refused)."""
    with App.from_env() as app:
        report = send_pending(app)
    problems = _delivery_problems(report, get_run_logger())
    result = {"delivered": report.delivered, "failed": sorted(report.failed)}
    return _failed("; ".join(problems), result) if problems else result


@flow(name="deadline-reminders")
def deadline_reminders() -> dict[str, Any] | State:
    """Remind each rule's thread 7 days and 1 day before its deadlines (each reminder once)."""
    with App.from_env() as app:
        sent = remind(app)
    problems = _delivery_problems(sent.delivery, get_run_logger())
    result = {"due": sent.due, "added": sent.added, "delivered": sent.delivery.delivered}
    return _failed("; ".join(problems), result) if problems else result


@flow(name="daily-digest")
def daily_digest() -> dict[str, str] | State:
    """Post each channel's digest of the last 24 hours (once per channel and day)."""
    with App.from_env() as app:
        try:
            results = digest(app)
        except UsageError as exc:  # no sink configured on this worker
            return _failed(str(exc))
    refused = not_posted(results)
    return _failed("; ".join(f"{c}: {r}" for c, r in refused.items()), results) if refused else results


@flow(name="catalog-check")
def catalog_check(sources_file: str = "sources.yaml", post: bool = True) -> dict[str, Any] | State:
    """Read every source once (nothing recorded) and post a short report of the entries that broke
    (0 items, a shell, a challenge page, a list read as a page) to each sink's default channel. Ends
    Failed when one broke, so the UI and automations show it the week it happens."""
    from rulewatch.services.sourcecheck import BROKEN, WARN, read_all, report

    logger = get_run_logger()
    with App.from_env() as app:
        readings = list(read_all(app, app.load_sources(sources_file)))
        message = report(readings, app.settings.today().isoformat())
        create_table_artifact(
            key="rulewatch-catalog-check",
            table=[{"source": r.name, "verdict": r.verdict, "read": r.summary, "problem": r.problem} for r in readings],
            description="rulewatch: what each source gave when read once, and the verdict",
        )
        broken = [r.name for r in readings if r.verdict == BROKEN]
        doubtful = [r.name for r in readings if r.verdict == WARN]
        posted = []
        if post and (broken or doubtful):
            for sink in app.sinks:
                try:
                    sink.post(sink.default_channel, message)
                    posted.append(sink.name)
                except DeliveryError as exc:
                    logger.error("the catalog report was not posted to %s: %s", sink.name, exc)
    logger.info("%s", message.headline)
    result = {"read": len(readings), "broken": broken, "doubtful": doubtful, "posted_to": posted}
    return _failed(message.headline, result) if broken else result
