"""Commands that record and read what the team decided: triage (list, set) and the audit trail."""

from __future__ import annotations

import argparse
import sys

from rulewatch.cli.base import EXIT_OK, EXIT_SOURCE_FAILED, Command, iso_day, open_app, print_json, text
from rulewatch.services.triage import STATES, Asked, audit, audit_csv, decide, standing


class Triage(Command):
    """Decide what a rule means for the team, and list the decisions."""

    name = "triage"
    help = "decide about a rule (applicable, not applicable, assigned, done, snoozed) or list the decisions"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="every rule's decision, most recently active first")
        listing.add_argument("--state", choices=STATES, help="only rules in this state")
        listing.add_argument("--owner", type=text, help="only this owner's rules")
        listing.add_argument("--json", action="store_true", help="print a JSON array")
        setting = sub.add_parser("set", help="record a decision about the rule an alert is about")
        setting.add_argument("alert", type=int, help="an alert id (from `rulewatch alerts`)")
        setting.add_argument("state", choices=STATES)
        setting.add_argument("--by", type=text, required=True, help="who decides (the audit trail records it)")
        setting.add_argument("--owner", type=text, default="", help="assigned: who owns the rule")
        setting.add_argument("--reason", type=text, default="", help="not_applicable: why")
        setting.add_argument("--note", type=text, default="", help="done: the closing note")
        setting.add_argument("--until", type=iso_day, help="snoozed: the day it comes back (YYYY-MM-DD)")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            today = app.settings.today()
            if args.action == "set":
                recorded = decide(app.store, Asked(args.alert, args.state, args.by, "cli", args.owner, args.reason,
                                                   args.note, args.until), today)
                if recorded is None:
                    print(f"alert #{args.alert}: its rule is already {args.state}; nothing recorded")
                else:
                    print(f"alert #{args.alert}: rule {recorded.rule_id} {recorded.from_state} -> {recorded.to_state}"
                          f" by {recorded.by_line()} (event {recorded.id})")
                return EXIT_OK
            rows = standing(app.store, today, args.state or "", args.owner or "")
        if args.json:
            print_json([r.to_json() for r in rows])
            return EXIT_OK
        if not rows:
            print("no rule matches")
        for r in rows:
            said = r.row.reason or r.row.note
            extra = f" until {r.row.snoozed_until}" if r.state == "snoozed" else ""
            who = f" ({r.row.owner})" if r.row.owner else ""
            by = f" — {r.row.updated_by} {r.row.updated_at[:16]}" if r.row.updated_by else ""
            print(f"#{r.row.alert_id:<6} {r.state:<15}{who}{extra} {r.row.name}{by}")
            if said:
                print(f"        {said}")
        return EXIT_OK


class Audit(Command):
    """The audit trail: every triage decision, who made it, when, through what, and why."""

    name = "audit"
    help = "every triage decision recorded: who, when, through what, from which state to which, and why"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--since", type=iso_day, help="only decisions from this day (YYYY-MM-DD)")
        shape = parser.add_mutually_exclusive_group()
        shape.add_argument("--json", action="store_true", help="print a JSON array")
        shape.add_argument("--csv", action="store_true", help="print CSV (for a spreadsheet or an auditor)")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            events = audit(app.store, args.since)
        if args.json:
            print_json([e.to_json() for e in events])
            return EXIT_OK
        if args.csv:
            sys.stdout.write(audit_csv(events))
            return EXIT_OK
        if not events:
            print("no decision recorded")
        for e in events:
            said = e.reason or e.note
            owner = f" [{e.owner}]" if e.owner else ""
            print(f"{e.at[:19]}  {e.actor} ({e.via})  rule {e.rule_id} alert #{e.alert_id}: "
                  f"{e.from_state} -> {e.to_state}{owner}" + (f": {said}" if said else ""))
        return EXIT_OK


class Evidence(Command):
    """Evidence a reviewer can check: write a bundle for an alert's rule, or verify one."""

    name = "evidence"
    help = "write an evidence bundle (snapshots, change, deliveries, decisions, SHA-256 manifest) or verify one"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("alert", nargs="?", type=int, help="an alert id: its rule's alerts are included")
        parser.add_argument("--out", metavar="DIR", help="the new folder to write the bundle into")
        parser.add_argument("--alert-only", action="store_true", help="only this alert, not its rule's others")
        parser.add_argument("--verify", metavar="DIR", help="check a bundle against its manifest (exit 1 if not)")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if args.verify and (args.alert is not None or args.out):
            parser.error("--verify DIR takes no alert and no --out")
        if not args.verify and (args.alert is None or not args.out):
            parser.error("give an alert id and --out DIR (or --verify DIR)")

    def run(self, args: argparse.Namespace) -> int:
        from pathlib import Path

        from rulewatch.services.evidence import verify_bundle, write_bundle

        if args.verify:
            result = verify_bundle(Path(args.verify))
            for label, names in (("changed", result.changed), ("missing", result.missing), ("added", result.added)):
                for name in names:
                    print(f"{label}: {name}", file=sys.stderr)
            print(f"{args.verify}: {'intact' if result.ok else 'NOT intact'} (manifest sha256 {result.digest})")
            return EXIT_OK if result.ok else EXIT_SOURCE_FAILED
        with open_app() as app:
            bundle = write_bundle(app.store, args.alert, Path(args.out), whole_rule=not args.alert_only)
        alerts = ", ".join(f"#{i}" for i in bundle.alert_ids)
        print(f"{args.out}: {len(bundle.files)} files for alert(s) {alerts}; manifest sha256 {bundle.digest} "
              f"(note it down: `rulewatch evidence --verify {args.out}` checks the rest)")
        return EXIT_OK
