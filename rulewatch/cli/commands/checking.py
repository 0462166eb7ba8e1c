"""Commands that check sources: `run` (one cycle) and `sources` (list them, or read each once)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rulewatch.app import App
from rulewatch.cli.base import (
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    Command,
    add_sources_argument,
    open_app,
    partition,
    print_json,
    report_delivery,
    say,
)
from rulewatch.cli.plugins import plugin
from rulewatch.config import Source
from rulewatch.core.errors import UsageError

if TYPE_CHECKING:
    from rulewatch.runner import SourceOutcome


class Run(Command):
    """Check every source once, record changes and deliver alerts."""

    name = "run"
    help = "check every source once, record changes, deliver alerts"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        add_sources_argument(parser)
        parser.add_argument("--only", nargs="+", metavar="NAME", help="check only these sources")
        parser.add_argument("--prefect", action="store_true",
                            help="run through the Prefect flow (shown in the Prefect UI)")
        parser.add_argument("--no-deliver", action="store_true", help="record alerts but leave them pending")
        parser.add_argument("--partition", type=partition, metavar="K/N",
                            help="check only part K of N (by a stable hash of each source's name): run N of these, "
                                 "on any processes or machines sharing the state database, to spread one cycle "
                                 "over them")
        parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
        parser.add_argument("--check-schedules", action="store_true",
                            help="check nothing; warn about sources that no deployment in prefect.yaml schedules "
                                 "(exit 1)")
        parser.add_argument("--deployments", default="prefect.yaml", metavar="FILE", help="the deployments file")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.services.checking import check
        from rulewatch.services.selection import select_sources

        with open_app() as app:
            sources = select_sources(app, args.sources, args.only or (), partition=args.partition)
            if args.check_schedules:
                return check_schedules(sources, args.deployments)
            if not sources:
                where = f" in partition {args.partition}" if args.partition else ""
                print(f"{args.sources}: no sources to check{where}")
                return EXIT_OK
            if args.prefect:  # only when asked: PREFECT_API_URL alone does not make a cycle a flow run
                return self._through_prefect(args)

            def show(outcome: SourceOutcome) -> None:
                if args.quiet:
                    return
                if outcome.status == "failed":
                    say(f"FAIL {outcome.name}: {outcome.error}")
                else:
                    alerts = f" -> {len(outcome.alert_ids)} alert(s)" if outcome.alert_ids else ""
                    say(f"ok   {outcome.name}: {outcome.status}; {outcome.summary}{alerts}")

            result = check(app, sources, deliver=not args.no_deliver, on_outcome=show)
            if result.delivery is not None:
                report_delivery(result.delivery)
            say(result.summary())
            for note in result.notes:
                say(note)
            return result.exit_code

    def _through_prefect(self, args: argparse.Namespace) -> int:
        run = plugin("prefect", "run --prefect").run_check(
            sources_file=str(args.sources), only=list(args.only or []), deliver=not args.no_deliver,
            partition=str(args.partition) if args.partition else None)
        if run.result is None:  # the flow itself crashed
            print(f"the flow run ended {run.state}: {run.message}", file=sys.stderr)
            return EXIT_SOURCE_FAILED
        if run.failed and run.message:
            print(f"the flow run failed: {run.message}", file=sys.stderr)
        for name in run.result["failed"]:
            print(f"FAIL {name} (see the flow run's log)")
        print(f"{run.result['checked']} of {run.result['checked'] + len(run.result['failed'])} sources checked "
              f"through Prefect, {len(run.result['failed'])} failed, {len(run.result['alerts'])} new alert(s)")
        return EXIT_SOURCE_FAILED if run.failed else EXIT_OK


def schedules_of(sources: list[Source], prefect_yaml: str) -> dict[str, str] | None:
    """Source name -> what schedules its checks, from prefect.yaml; None when there is no such file."""
    from rulewatch.schedules import coverage, describe, load_deployments

    if not Path(prefect_yaml).is_file():
        return None
    covered = coverage(sources, load_deployments(prefect_yaml))
    return {name: describe(deployments) for name, deployments in covered.items()}


def check_schedules(sources: list[Source], prefect_yaml: str) -> int:
    """Warn about every source that no scheduled deployment checks; exit 1 when there is one."""
    schedules = schedules_of(sources, prefect_yaml)
    if schedules is None:
        raise UsageError(f"{prefect_yaml}: no such file: the deployments that schedule checks are declared there")
    missing = [name for name, text in schedules.items() if text.startswith("NOT SCHEDULED")]
    for name in missing:
        print(f"WARNING {name}: no deployment in {prefect_yaml} checks its group; it is never checked on a "
              "schedule (give it a covered group, or add the group to a deployment's `groups`)", file=sys.stderr)
    print(f"{len(sources) - len(missing)} of {len(sources)} sources are checked on a schedule")
    return EXIT_SOURCE_FAILED if missing else EXIT_OK


_MARKS = {"ok": "ok  ", "warn": "WARN", "broken": "FAIL"}


class Sources(Command):
    """Validate and list the sources, with what schedules each; `--check` reads each once."""

    name = "sources"
    help = "validate and list the configured sources"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        add_sources_argument(parser)
        parser.add_argument("--check", action="store_true",
                            help="read each source once and show what was extracted, with a verdict")
        parser.add_argument("--deployments", default="prefect.yaml", metavar="FILE",
                            help="the deployments file whose schedules are shown (default prefect.yaml)")
        parser.add_argument("--json", action="store_true", help="print the sources as a JSON array")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            sources = app.load_sources(args.sources)
            if not args.json:
                print(f"{args.sources}: {len(sources)} source(s)")
            if args.check:
                return self._read_each(app, sources)
        schedules = schedules_of(sources, args.deployments)
        if args.json:
            print_json([dict(s.model_dump(mode="json", exclude_defaults=True), name=s.name, url=s.url, group=s.group,
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

    @staticmethod
    def _read_each(app: App, sources: list[Source]) -> int:
        """Read each source once and show what it gave and the verdict on it (nothing is recorded)."""
        from rulewatch.services.sourcecheck import BROKEN, read_all, summary

        readings = []
        for reading in read_all(app, sources):
            readings.append(reading)
            why = f" ({reading.problem})" if reading.problem and reading.document is not None else ""
            print(f"{_MARKS[reading.verdict]} {reading.name}: {reading.summary}{why}")
            for line in reading.samples:
                print(f"     {line}")
        print(summary(readings))
        return EXIT_SOURCE_FAILED if any(r.verdict == BROKEN for r in readings) else EXIT_OK
