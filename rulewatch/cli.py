"""The `rulewatch` command line. It wires the stages in-process; flows/ wires the same ones into Prefect.

Exit codes: 0 success, 1 some source failed (the others were still checked), 2 bad configuration.
Imports stay lazy: a cycle must not pay for Prefect or Slack unless it uses them.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.calendar import DEFAULT_HORIZON_DAYS
from alerts.feed import DEFAULT_FEED_ENTRIES
from core.errors import ConfigError, SettingsError, StateError, TaxonomyError, UsageError
from rulewatch import __version__
from rulewatch.app import App
from rulewatch.config import Source
from rulewatch.partition import Partition, PartitionError
from rulewatch.settings import Settings

if TYPE_CHECKING:
    from alerts.deliver import DeliveryReport

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_CONFIG = 0, 1, 2
DEFAULT_SOURCES = "sources.yaml"


def _app() -> App:
    """The app for a command: the console may stand in for a sink only when a person reads the output."""
    return App.from_env(interactive=sys.stdout.isatty())


def cmd_run(args: argparse.Namespace) -> int:
    with _app() as app:
        sources = app.load_sources(args.sources, args.only or ())
        if args.partition is not None:
            sources = args.partition.select(sources)
        if args.check_schedules:
            return _check_schedules(sources, args.deployments)
        if not sources:
            where = f" in partition {args.partition}" if args.partition else ""
            print(f"{args.sources}: no sources to check{where}")
            return EXIT_OK
        if args.prefect:  # only when asked: PREFECT_API_URL alone does not make a cycle a flow run
            return _run_through_prefect(args)
        if not args.no_deliver:
            _ = app.sinks  # a sink's settings error stops the run before it records anything
        return _run_here(app, sources, args)


def _needs_prefect(what: str) -> None:
    """A clear error, instead of an ImportError, where Prefect (an extra) is not installed."""
    try:
        import prefect  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"{what} needs Prefect: pip install 'rulewatch[prefect]' (`make` installs it)") from exc


def _run_through_prefect(args: argparse.Namespace) -> int:
    _needs_prefect("run --prefect")
    from flows.check import check_sources

    state = check_sources(sources_file=str(args.sources), only=list(args.only or []), deliver=not args.no_deliver,
                          partition=str(args.partition) if args.partition else None, return_state=True)
    result = state.result(raise_on_failure=False)
    if not isinstance(result, dict):  # the flow itself crashed: its exception is the result
        print(f"the flow run ended {state.name}: {state.message or result}", file=sys.stderr)
        return EXIT_SOURCE_FAILED
    if state.is_failed() and state.message:
        print(f"the flow run failed: {state.message}", file=sys.stderr)
    for name in result["failed"]:
        print(f"FAIL {name} (see the flow run's log)")
    print(f"{result['checked']} of {result['checked'] + len(result['failed'])} sources checked through Prefect, "
          f"{len(result['failed'])} failed, {len(result['alerts'])} new alert(s)")
    return EXIT_SOURCE_FAILED if state.is_failed() else EXIT_OK


_stdout_gone = threading.Event()  # the reader of stdout went away (`rulewatch run | head`)


def say(text: str) -> None:
    """Print a line of a command's progress. A reader that went away stops the printing, never the
    work: the cycle goes on recording and delivering (console alerts then stay pending: nobody saw
    them)."""
    if _stdout_gone.is_set():
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _stdout_gone.set()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's exit flush cannot fail on a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run_here(app: App, sources: list[Source], args: argparse.Namespace) -> int:
    from alerts.deliver import deliver_pending
    from rulewatch.runner import SourceOutcome, run_cycle

    def show(outcome: SourceOutcome) -> None:
        if args.quiet:
            return
        if outcome.status == "failed":
            say(f"FAIL {outcome.name}: {outcome.error}")
        else:
            alerts = f" -> {len(outcome.alert_ids)} alert(s)" if outcome.alert_ids else ""
            say(f"ok   {outcome.name}: {outcome.status}; {outcome.summary}{alerts}")

    report = run_cycle(app, sources, on_outcome=show)
    refused = False
    if not args.no_deliver:
        delivery = deliver_pending(app.store, app.sinks, lease_seconds=app.settings.delivery_lease)
        _report_delivery(delivery)
        # With no sink at all the cycle still did its work (its alerts wait, as stderr says); a sink
        # that refused is a failure to fix.
        refused = bool(delivery.failed)
    checked = len(report.outcomes) - len(report.failed)
    say(f"{checked} of {len(report.outcomes)} sources checked, {len(report.failed)} failed, "
        f"{len(report.alert_ids)} new alert(s)")
    if report.failed and len(report.failed) == len(report.outcomes) and all(
        o.error.startswith(("connection", "timeout")) for o in report.failed
    ):
        say("No source could be reached: is this machine offline? `rulewatch demo` (or `make demo`) "
            "shows rulewatch at work on a bundled local replay.")
    return EXIT_SOURCE_FAILED if report.failed or refused else EXIT_OK


def _report_delivery(report: DeliveryReport) -> bool:
    """Say on stderr what stays pending and why; True when nothing does."""
    from alerts.deliver import NO_SINK_HELP

    if report.unsent:
        print(f"{report.unsent} alert(s): {NO_SINK_HELP}", file=sys.stderr)
    for channel, why in report.stopped_channels.items():
        print(f"alerts for {channel} stay pending: {why}", file=sys.stderr)
    return report.ok


def cmd_alerts(args: argparse.Namespace) -> int:
    with _app() as app:
        records = app.store.alerts(pending_only=args.pending, limit=args.limit, source=args.source)
        tz = app.settings.timezone
    if args.json:
        _print_json([r.to_json() for r in records])
        return EXIT_OK
    from alerts.render import render_console

    if not records:
        print("no pending alerts" if args.pending else "no alerts recorded")
    for r in records:
        state = f"delivered {r.delivered_at} to {r.delivered_channel}" if r.delivered_at else "PENDING"
        if not r.delivered_at and r.last_error:
            state += f" after {r.attempts} attempt(s): {r.last_error}"
        print(f"#{r.id} [{state}]")
        print(render_console(r, tz, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    return EXIT_OK


def cmd_calendar(args: argparse.Namespace) -> int:
    """The coming comment deadlines, effective dates and compliance deadlines of watched rules."""
    from alerts.calendar import deadlines, describe, to_ics, upcoming

    with _app() as app:
        today = app.settings.today()
        coming = upcoming(deadlines(app.store.alerts_with_key_dates()), today, args.days)
    if args.ics:
        data = to_ics(coming, datetime.now(UTC))
        if args.ics == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(args.ics).write_bytes(data)
            print(f"{len(coming)} deadline(s) written to {args.ics}")
        return EXIT_OK
    if args.json:
        _print_json([d.to_json() for d in coming])
        return EXIT_OK
    if not coming:
        print(f"no deadlines in the next {args.days} days")
    for d in coming:
        print(describe(d, today))
        if d.url:
            print(f"    {d.url}")
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    """The newest alerts as an Atom feed, for tools that ingest RSS/Atom."""
    from alerts.feed import atom_feed, feed_alerts, write_feed

    with _app() as app:
        data = atom_feed(feed_alerts(app.store, args.limit), datetime.now(UTC), args.self_url)
    if args.output:
        write_feed(Path(args.output), data)
        print(f"feed written to {args.output}")
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """Every stored version's text that holds QUERY, with when it appeared and when it went."""
    with _app() as app:
        since = args.since.isoformat() if args.since else ""
        hits = app.store.search(args.query, source=args.source or "", since=since, limit=args.limit)
        behind = app.store.unindexed_sources(args.source or "")
    if behind:  # on stderr: --json output stays the hits alone
        shown = ", ".join(behind[:3]) + (f" and {len(behind) - 3} more" if len(behind) > 3 else "")
        print(f"note: early versions of {shown} were stored before search existed and are not searched yet; "
              "`rulewatch db reindex-search` indexes them", file=sys.stderr)
    if args.json:
        _print_json([h.to_json() for h in hits])
        return EXIT_OK
    if not hits:
        print(f"no stored text holds {args.query!r}")
    for hit in hits:
        life = f"since {hit.first_seen[:10]}" if hit.gone_at is None else \
            f"{hit.first_seen[:10]} to {hit.gone_at[:10]} (gone)"
        print(f"{hit.source:<20} {life}\n    {hit.context(args.query)}")
    return EXIT_OK


def cmd_dossier(args: argparse.Namespace) -> int:
    """A rule's life: draft, comment deadline, final, amendments, repeal, and the draft-vs-final diff."""
    from alerts.render import PLAIN_MARKS
    from rulewatch.lineage import closest_rules, dossier, rule_alerts

    with _app() as app:
        rules = rule_alerts(app.store)
        found = dossier(app.store, args.rule, rules)
        loose = closest_rules(rules, args.rule) if found is None else []
    if found is None:
        hint = ("did you mean: " + "; ".join(loose)) if loose else \
            "try words of its name, or an alert id from `rulewatch alerts`"
        print(f"no alert is about {args.rule!r} ({hint})", file=sys.stderr)
        return EXIT_SOURCE_FAILED
    if found.closest:
        print(f"no rule is named {args.rule!r}; the closest: {found.closest}", file=sys.stderr)
    if args.json:
        _print_json(found.to_json())
        return EXIT_OK
    print(f"=== {found.name}")
    for event in found.events:
        print(f"{event.day}  {event.what:<18} {event.title}  [{event.source} #{event.alert_id}]")
    for link in found.links:
        print(f"linked: draft #{link['draft_alert_id']} -> final #{link['final_alert_id']} "
              f"by {link['method']} (score {link['score']})")
    if found.summary:
        (rem_open, rem_close), (add_open, add_close) = PLAIN_MARKS
        print(f"draft vs final: {found.summary}")
        print("".join(f"{rem_open}{r.text}{rem_close}" if r.op == "removed" else f"{add_open}{r.text}{add_close}"
                      if r.op == "added" else r.text for r in found.draft_vs_final))
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    with _app() as app:
        store = app.store
        state = store.source_state(args.name)
        if state is None:
            raise UsageError(f"no history for {args.name!r}: it has not been checked yet")
        if args.json:
            _print_json({
                "source": {k: v for k, v in asdict(state).items() if k != "shape_history"},
                "snapshots": [asdict(s) for s in store.snapshots(args.name)],
                "changes": [asdict(c) for c in store.changes(args.name)],
                "checks": [{"checked_at": at, "outcome": outcome, "detail": detail}
                           for at, outcome, detail in store.recent_checks(args.name, 20)],
            })
            return EXIT_OK
        print(f"{state.name}  {state.url}")
        failing = state.consecutive_failures
        print(f"  last checked {state.last_checked_at}, last success {state.last_success_at}"
              + (f", {failing} consecutive failure(s): {state.last_error}" if failing else ""))
        print("snapshots:")
        for s in store.snapshots(args.name):
            print(f"  #{s.id}  {s.taken_at}  {s.kind:<5} {s.blocks:>4} blocks {s.items:>4} items"
                  f"  {s.size:>7} B  {s.title[:60]}")
        changes = store.changes(args.name)
        if changes:
            print("changes:")
        for c in changes:
            flag = "relevant" if c.relevant else "not relevant"
            print(f"  #{c.old_snapshot_id} -> #{c.new_snapshot_id}  {c.detected_at}  {flag}: {c.summary}")
        print("recent checks:")
        for at, outcome, detail in store.recent_checks(args.name, 10):
            print(f"  {at}  {outcome:<12} {detail[:100]}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from detection.compare import compare

    with _app() as app:
        store = app.store
        snaps = store.snapshots(args.name)
        if not snaps and store.source_state(args.name) is None:
            raise UsageError(f"no source {args.name!r} has been checked (see `rulewatch sources`)")
        if args.old is None:
            if len(snaps) < 2:
                raise UsageError(f"{args.name!r} has {len(snaps)} snapshot(s); a diff needs two")
            old_id, new_id = snaps[-2].id, snaps[-1].id
        else:
            old_id, new_id = args.old, args.new
            known = {s.id for s in snaps}
            for sid in (old_id, new_id):
                if sid not in known:
                    raise UsageError(
                        f"snapshot #{sid} is not one of {args.name!r}'s (see `rulewatch history {args.name}`)"
                    )
        old, new = store.document(old_id), store.document(new_id)
    change = compare(old, new)
    if args.json:
        _print_json({"source": args.name, "old_snapshot": old_id, "new_snapshot": new_id, "summary": change.summary(),
                     "substantive": change.substantive, "change": change.to_json()})
        return EXIT_OK
    print(f"{args.name}: snapshot #{old_id} -> #{new_id}: {change.summary()}")
    if change.title:
        print(f"  title: {change.title[0]!r} -> {change.title[1]!r}")
    for t in change.text:
        label = f" [{t.key}]" if t.key else ""
        print(f"@@ text {t.kind}{label}")
        for line in t.old.splitlines() if t.kind != "added" else []:
            print(f"- {line}")
        for line in t.new.splitlines() if t.kind != "removed" else []:
            print(f"+ {line}")
        if t.kind == "changed":
            print(f"  changed: {' | '.join(t.removed_fragments)} -> {' | '.join(t.added_fragments)}")
    for i in change.items:
        print(f"@@ item {i.kind}: {i.item.title}  {i.item.url}")
        for name, old_v, new_v in i.fields:
            print(f"  {name}: {old_v!r} -> {new_v!r}")
    for ign in change.ignored:
        print(f"   (ignored {ign.what}: {ign.why})")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    with _app() as app:
        sources = app.load_sources(args.sources)
        if not args.json:
            print(f"{args.sources}: {len(sources)} source(s)")
        if args.check:
            return _check_sources(app, sources)
    schedules = _schedules(sources, args.deployments)
    if args.json:
        _print_json([dict(s.model_dump(mode="json", exclude_defaults=True), name=s.name, url=s.url, group=s.group,
                          kind=s.kind, schedule=(schedules or {}).get(s.name)) for s in sources])
        return EXIT_OK
    for s in sources:
        extra = f"  [{s.kind}]" if s.kind != "auto" else ""
        print(f"  {s.name:<28} {s.url}{extra}")
        if s.description:
            print(f"  {'':<28} {s.description}")
        if schedules is not None:
            print(f"  {'':<28} group {s.group}: {schedules[s.name]}")
    return EXIT_OK


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1))


def _schedules(sources: list[Source], prefect_yaml: str) -> dict[str, str] | None:
    """Source name -> what schedules its checks, from prefect.yaml; None when there is no such file."""
    from rulewatch.schedules import coverage, describe, load_deployments

    if not Path(prefect_yaml).is_file():
        return None
    covered = coverage(sources, load_deployments(prefect_yaml))
    return {name: describe(deployments) for name, deployments in covered.items()}


def _check_schedules(sources: list[Source], prefect_yaml: str) -> int:
    """Warn about every source that no scheduled deployment checks; exit 1 when there is one."""
    schedules = _schedules(sources, prefect_yaml)
    if schedules is None:
        raise UsageError(f"{prefect_yaml}: no such file: the deployments that schedule checks are declared there")
    missing = [name for name, text in schedules.items() if text.startswith("NOT SCHEDULED")]
    for name in missing:
        print(f"WARNING {name}: no deployment in {prefect_yaml} checks its group; it is never checked on a "
              "schedule (give it a covered group, or add the group to a deployment's `groups`)", file=sys.stderr)
    print(f"{len(sources) - len(missing)} of {len(sources)} sources are checked on a schedule")
    return EXIT_SOURCE_FAILED if missing else EXIT_OK


_MARKS = {"ok": "ok  ", "warn": "WARN", "broken": "FAIL"}


def _check_sources(app: App, sources: list[Source]) -> int:
    """Read each source once and show what it gave and the verdict on it (nothing is recorded)."""
    from rulewatch.sourcecheck import BROKEN, read_all, summary

    readings = []
    for reading in read_all(app, sources):
        readings.append(reading)
        why = f" ({reading.problem})" if reading.problem and reading.document is not None else ""
        print(f"{_MARKS[reading.verdict]} {reading.name}: {reading.summary}{why}")
        for line in reading.samples:
            print(f"     {line}")
    print(summary(readings))
    return EXIT_SOURCE_FAILED if any(r.verdict == BROKEN for r in readings) else EXIT_OK


def cmd_deliver(args: argparse.Namespace) -> int:
    from alerts.deliver import deliver_pending

    with _app() as app:
        if args.resend:
            found = app.store.resend(args.resend)
            missing = sorted(set(args.resend) - set(found))
            if missing:
                raise UsageError(f"no alert #{', #'.join(map(str, missing))} (see `rulewatch alerts`)")
            print(f"alert(s) #{', #'.join(map(str, found))} will be sent again")
        report = deliver_pending(app.store, app.sinks, lease_seconds=app.settings.delivery_lease)
    pending = len(report.failed) + report.unsent
    print(f"{len(report.delivered)} alert(s) delivered, {pending} left pending")
    return EXIT_OK if _report_delivery(report) else EXIT_SOURCE_FAILED


def cmd_digest(args: argparse.Namespace) -> int:
    from alerts.digest import send_digests

    with _app() as app:
        results = send_digests(app.store, app.sinks)
    for channel, outcome in results.items():
        print(f"digest for {channel}: {outcome}")
    return EXIT_SOURCE_FAILED if any(o.startswith("not posted") for o in results.values()) else EXIT_OK


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from exc


def cmd_remind(args: argparse.Namespace) -> int:
    """Post today's deadline reminders (the `reminders` deployment runs this daily)."""
    from alerts.reminders import send_reminders

    with _app() as app:
        today = args.today or app.settings.today()
        sent = send_reminders(app.store, app.sinks, today, lease_seconds=app.settings.delivery_lease)
    print(f"{sent.due} reminder(s) due, {sent.added} new; {len(sent.delivery.delivered)} alert(s) delivered")
    return EXIT_OK if _report_delivery(sent.delivery) else EXIT_SOURCE_FAILED


def cmd_serve(args: argparse.Namespace) -> int:
    _needs_prefect("serve")
    from flows.serve import serve_all

    with _app() as app:
        app.load_sources(args.sources)  # fail early, with a clear message, on a bad sources file
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            "serve needs a Prefect server for its schedules (a temporary one runs no scheduler): start "
            "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api, or use Prefect Cloud"
        )
    serve_all(sources_file=str(Path(args.sources).absolute()), timezone=args.timezone)
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from state import migrate
    from state.store import make_engine

    settings = Settings.from_env()
    settings.ensure_home()
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    if args.action == "current":
        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as conn:
                print(f"{where}: {migrate.status(conn).describe()}")
        finally:
            engine.dispose()
        return EXIT_OK
    if args.action == "reindex-search":
        with App(settings) as app:
            sources, versions = app.store.reindex_search([args.source] if args.source else None)
        print(f"{where}: search rebuilt from {versions} stored version(s) of {sources} source(s)")
        return EXIT_OK
    with App(settings) as app:
        store = app.store  # opening the store upgrades the schema
        done = {"current": "nothing to do", "created": "created", "upgraded": "upgraded"}[store.schema_action]
        print(f"{where}: was {store.schema_before.describe()}; {done}: now at revision {migrate.SCHEMA_HEAD}")
    return EXIT_OK


def cmd_slack_test(args: argparse.Namespace) -> int:
    """Check the token, resolve the channel and post a sample alert in the real format."""
    from alerts.slack import SlackSink
    from core.errors import DeliveryError
    from core.model import Alert
    from state import utcnow

    with _app() as app:
        slack = [s for s in app.sinks if isinstance(s, SlackSink)]
        if not slack:
            raise UsageError("no Slack bot is configured: set SLACK_BOT_TOKEN and SLACK_CHANNEL (README, Slack)")
        sink = slack[0]
        now = utcnow()
        sample = Alert(
            kind="changed_text", title="rulewatch test: 银行业金融机构网络安全事件报告办法", url="https://example.org/",
            topics=("cybersecurity",), matched_terms=("网络安全事件",), article="第四条",
            removed="第四条 发生重大网络安全事件的，应当在二十四小时内向监管部门报告。",
            added="第四条 发生重大网络安全事件的，应当在两小时内向监管部门报告。",
            source="rulewatch-slack-test", idempotency_key=f"slack-test:{now}", detected_at=now)
        try:
            who = sink.check_auth()
            print(f"token: ok, {who}")
            channel = sink.default_channel
            print(f"channel: {sink.configured_channel} is {channel}")
            delivered = sink.send(sample, None, False)
        except DeliveryError as exc:
            print(f"slack-test failed: {exc}", file=sys.stderr)
            return EXIT_SOURCE_FAILED
    print(f"posted: a sample alert in {delivered.channel} (message {delivered.ts})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from rulewatch.demo import run_demo

    return run_demo(slack=args.slack)


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{raw} is negative")
    return value


def _partition(raw: str) -> Partition:
    try:
        return Partition.parse(raw)
    except PartitionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rulewatch",
        description="Watch regulators and the press for changes to IT procurement and cybersecurity rules.",
    )
    parser.add_argument("--version", action="version", version=f"rulewatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # -v works after the command too (`rulewatch run -v`); SUPPRESS keeps a -v given before it.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log what happens to stderr")
    sub.add_parser = functools.partial(sub.add_parser, parents=[verbose])  # type: ignore[method-assign]
    sources_default = os.environ.get("RULEWATCH_SOURCES", DEFAULT_SOURCES)

    p = sub.add_parser("run", help="check every source once, record changes, deliver alerts")
    p.add_argument("--sources", default=sources_default, help=f"sources file (default {sources_default})")
    p.add_argument("--only", nargs="+", metavar="NAME", help="check only these sources")
    p.add_argument("--prefect", action="store_true", help="run through the Prefect flow (shown in the Prefect UI)")
    p.add_argument("--no-deliver", action="store_true", help="record alerts but leave them pending")
    p.add_argument("--partition", type=_partition, metavar="K/N",
                   help="check only part K of N (by a stable hash of each source's name): run N of these, on any "
                        "processes or machines sharing the state database, to spread one cycle over them")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    p.add_argument("--check-schedules", action="store_true",
                   help="check nothing; warn about sources that no deployment in prefect.yaml schedules (exit 1)")
    p.add_argument("--deployments", default="prefect.yaml", metavar="FILE", help="the deployments file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("alerts", help="list recorded alerts, newest first")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--pending", action="store_true", help="only alerts not yet delivered, and why")
    p.add_argument("--source", metavar="NAME", help="only this source's alerts")
    p.add_argument("--limit", type=_count, help="at most this many (0: none)")
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("calendar", help="coming comment deadlines and effective dates (--ics: an iCalendar file)")
    p.add_argument("--days", type=int, default=DEFAULT_HORIZON_DAYS, help="how far ahead to look (default 90)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--ics", metavar="FILE", help="write an iCalendar file to subscribe to ('-': standard output)")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser("feed", help="the newest alerts as an Atom feed (RULEWATCH_FEED_FILE: rewritten by each cycle)")
    p.add_argument("--atom", action="store_true", help="Atom 1.0 (the one format; accepted for clarity)")
    p.add_argument("--limit", type=int, default=DEFAULT_FEED_ENTRIES, help="entries (default 50)")
    p.add_argument("--output", metavar="FILE", help="write the feed to FILE (default: standard output)")
    p.add_argument("--self-url", default="", help="the URL the feed is published at (its rel=self link)")
    p.set_defaults(func=cmd_feed)

    p = sub.add_parser("search", help="find text in every stored version, with when it appeared and went")
    p.add_argument("query", help="the text to find (Chinese terms of two characters or more, any case in English)")
    p.add_argument("--source", help="only this source")
    p.add_argument("--since", type=_iso_day, metavar="YYYY-MM-DD", help="only text still there on or after this day")
    p.add_argument("--limit", type=int, default=50, help="hits (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("dossier", help="a rule's life: draft, deadline, final, amendments, and draft-vs-final diff")
    p.add_argument("rule", help="words of the rule's name, or an alert id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_dossier)

    p = sub.add_parser("history", help="a source's snapshots, changes and recent checks")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("diff", help="the difference between two snapshots (default: the last two)")
    p.add_argument("name")
    p.add_argument("old", nargs="?", type=int, help="old snapshot id")
    p.add_argument("new", nargs="?", type=int, help="new snapshot id")
    p.add_argument("--json", action="store_true", help="print the change as a JSON object")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("sources", help="validate and list the configured sources")
    p.add_argument("--sources", default=sources_default, help=f"sources file (default {sources_default})")
    p.add_argument("--check", action="store_true", help="fetch each source once and show what was extracted")
    p.add_argument("--deployments", default="prefect.yaml", metavar="FILE",
                   help="the deployments file whose schedules are shown (default prefect.yaml)")
    p.add_argument("--json", action="store_true", help="print the sources as a JSON array")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("deliver", help="send pending alerts now")
    p.add_argument("--resend", nargs="+", type=int, metavar="ID", help="send these alerts again (to every sink)")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("digest", help="post today's digest (changes, sources in error, recoveries) per channel")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("remind", help="post today's deadline reminders (7 days and 1 day before), each once")
    p.add_argument("--today", metavar="YYYY-MM-DD", type=_iso_day, help="the day to remind as of (default: today)")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("serve", help="run the scheduled checks, delivery and digest in this process (Prefect serve)")
    p.add_argument("--sources", default=sources_default, help=f"sources file (default {sources_default})")
    p.add_argument("--timezone", default=os.environ.get("RULEWATCH_TIMEZONE", ""),
                   help="timezone of the cron schedules (default: RULEWATCH_TIMEZONE, else prefect.yaml's)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("slack-test", help="check the Slack token and channel, and post a sample alert")
    p.set_defaults(func=cmd_slack_test)

    p = sub.add_parser("db", help="the database schema: `current` shows its revision, `upgrade` upgrades it, "
                                  "`reindex-search` indexes every stored version for search again")
    p.add_argument("action", choices=("current", "upgrade", "reindex-search"))
    p.add_argument("--source", help="reindex-search: only this source")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("demo", help="an offline showcase on a bundled local replay of regulator pages")
    p.add_argument("--slack", action="store_true", help="send the demo's alerts to the configured Slack")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "diff" and (args.old is None) != (args.new is None):
        parser.error("diff takes both OLD and NEW snapshot ids, or neither")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code = int(args.func(args))
        if _stdout_gone.is_set():
            _silence_stdout()
        return code
    except (ConfigError, SettingsError, StateError, TaxonomyError, UsageError) as exc:
        print(f"rulewatch: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("rulewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`rulewatch history x | head`): stop quietly, as other commands do. What
        # was recorded stays recorded; stdout is pointed at /dev/null so the exit flush cannot fail again.
        _silence_stdout()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
