"""Commands that read what was recorded: alerts, calendar, feed, search, dossier, history, diff."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rulewatch.alerts.calendar import DEFAULT_HORIZON_DAYS
from rulewatch.alerts.feed import DEFAULT_FEED_ENTRIES
from rulewatch.cli.base import (
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    Command,
    count,
    iso_day,
    local_time,
    open_app,
    print_json,
    text,
)
from rulewatch.core.errors import UsageError

if TYPE_CHECKING:
    from rulewatch.lineage import SeveralRules


class Alerts(Command):
    """The alerts recorded, newest first."""

    name = "alerts"
    help = "list recorded alerts, newest first"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON array")
        parser.add_argument("--pending", action="store_true", help="only alerts not yet delivered, and why")
        parser.add_argument("--source", metavar="NAME", help="only this source's alerts")
        parser.add_argument("--limit", type=count, help="at most this many (0: none)")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            records = app.store.outbox.alerts(pending_only=args.pending, limit=args.limit, source=args.source)
            deliveries = app.store.outbox.deliveries_by_alert([r.outbox_id for r in records])
            tz = app.settings.timezone
        if args.json:
            print_json([r.to_json([d.to_json() for d in deliveries[r.outbox_id]]) for r in records])
            return EXIT_OK
        from rulewatch.alerts.render import render_console

        if not records:
            print("no pending alerts" if args.pending else "no alerts recorded")
        for r in records:
            where = ", ".join(f"{d.sink} {d.where}".strip() for d in deliveries[r.outbox_id] if d.delivered_at)
            state = f"delivered {r.delivered_at} to {where}" if r.delivered_at else \
                f"MUTED by mute #{r.muted_by}: recorded, not posted" if r.muted_by is not None else "PENDING"
            if not r.delivered_at and r.last_error:
                state += f" after {r.attempts} attempt(s): {r.last_error}"
            print(f"#{r.id} [{state}]")
            print(render_console(r, tz, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
        return EXIT_OK


class Calendar(Command):
    """The coming comment deadlines, effective dates and compliance deadlines of watched rules."""

    name = "calendar"
    help = "coming comment deadlines and effective dates (--ics: an iCalendar file)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--days", type=count, default=DEFAULT_HORIZON_DAYS,
                            help="how far ahead to look (default 90)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--ics", metavar="FILE",
                            help="write an iCalendar file to subscribe to ('-': standard output)")

    def run(self, args: argparse.Namespace) -> int:
        """The coming comment deadlines, effective dates and compliance deadlines of watched rules."""
        from rulewatch.alerts.calendar import describe, rule_deadlines, to_ics, upcoming

        with open_app() as app:
            today = app.settings.today()
            coming = upcoming(rule_deadlines(app.store), today, args.days)
        if args.ics:
            data = to_ics(coming, datetime.now(UTC))
            if args.ics == "-":
                sys.stdout.buffer.write(data)
            else:
                Path(args.ics).write_bytes(data)
                print(f"{len(coming)} deadline(s) written to {args.ics}")
            return EXIT_OK
        if args.json:
            print_json([d.to_json() for d in coming])
            return EXIT_OK
        if not coming:
            print(f"no deadlines in the next {args.days} days")
        for d in coming:
            print(describe(d, today))
            if d.url:
                print(f"    {d.url}")
        return EXIT_OK


class Feed(Command):
    """The newest alerts as an Atom feed, for tools that ingest RSS/Atom."""

    name = "feed"
    help = "the newest alerts as an Atom feed (RULEWATCH_FEED_FILE: rewritten by each cycle)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--atom", action="store_true", help="Atom 1.0 (the one format; accepted for clarity)")
        parser.add_argument("--limit", type=int, default=DEFAULT_FEED_ENTRIES, help="entries (default 50)")
        parser.add_argument("--output", metavar="FILE", help="write the feed to FILE (default: standard output)")
        parser.add_argument("--self-url", default="", help="the URL the feed is published at (its rel=self link)")

    def run(self, args: argparse.Namespace) -> int:
        """The newest alerts as an Atom feed, for tools that ingest RSS/Atom."""
        from rulewatch.alerts.feed import atom_feed, feed_alerts, write_feed

        with open_app() as app:
            data = atom_feed(feed_alerts(app.store, args.limit), datetime.now(UTC), args.self_url)
        if args.output:
            write_feed(Path(args.output), data)
            print(f"feed written to {args.output}")
        else:
            sys.stdout.buffer.write(data)
        return EXIT_OK


class Search(Command):
    """Every stored version's text that holds QUERY, with when it appeared and when it went."""

    name = "search"
    help = "find text in every stored version, with when it appeared and went"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("query", type=text,
                            help="the text to find (Chinese terms of two characters or more, any case in English)")
        parser.add_argument("--source", type=text, help="only this source")
        parser.add_argument("--since", type=iso_day, metavar="YYYY-MM-DD",
                            help="only text still there on or after this day")
        parser.add_argument("--limit", type=count, default=50, help="hits (default 50)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def run(self, args: argparse.Namespace) -> int:
        """Every stored version's text that holds QUERY, with when it appeared and when it went."""
        with open_app() as app:
            since = args.since.isoformat() if args.since else ""
            hits = app.store.history.search(args.query, source=args.source or "", since=since, limit=args.limit)
            behind = app.store.history.unindexed_sources(args.source or "")
        if behind:  # on stderr: --json output stays the hits alone
            shown = ", ".join(behind[:3]) + (f" and {len(behind) - 3} more" if len(behind) > 3 else "")
            print(f"note: early versions of {shown} were stored before search existed and are not searched yet; "
                  "`rulewatch db reindex-search` indexes them", file=sys.stderr)
        if args.json:
            print_json([h.to_json() for h in hits])
            return EXIT_OK
        if not hits:
            print(f"no stored text holds {args.query!r}")
        for hit in hits:
            life = f"since {hit.first_seen[:10]}" if hit.gone_at is None else \
                f"{hit.first_seen[:10]} to {hit.gone_at[:10]} (gone)"
            print(f"{hit.source:<20} {life}\n    {hit.context(args.query)}")
        return EXIT_OK


class Dossier(Command):
    """A rule's life: draft, comment deadline, final, amendments, repeal, and the draft-vs-final diff."""

    name = "dossier"
    help = "a rule's life: draft, deadline, final, amendments, and draft-vs-final diff"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("rule", type=text, help="words of the rule's name, or an alert id")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def run(self, args: argparse.Namespace) -> int:
        """A rule's life: draft, comment deadline, final, amendments, repeal, and the draft-vs-final diff."""
        from rulewatch.alerts.render import PLAIN_MARKS
        from rulewatch.lineage import SeveralRules, closest_rules, dossier, rule_alerts

        with open_app() as app:
            rules = rule_alerts(app.store)
            try:
                found = dossier(app.store, args.rule, rules)
            except SeveralRules as several:
                return self._several(several)
            loose = closest_rules(rules, args.rule) if found is None else []
        if found is None:
            hint = ("did you mean: " + "; ".join(loose)) if loose else \
                "try words of its name, or an alert id from `rulewatch alerts`"
            print(f"no alert is about {args.rule!r} ({hint})", file=sys.stderr)
            return EXIT_SOURCE_FAILED
        if found.closest:
            print(f"no rule is named {args.rule!r}; the closest: {found.closest}", file=sys.stderr)
        if args.json:
            print_json(found.to_json())
            return EXIT_OK
        print(f"=== {found.name}")
        for event in found.events:
            print(f"{event.day}  {event.what:<18} {event.title}  [{event.source} #{event.alert_id}]")
        for link in found.links:
            unconfirmed = "" if link["certain"] else ", unconfirmed: asked in the draft's thread"
            print(f"linked: draft #{link['draft_alert_id']} -> final #{link['final_alert_id']} "
                  f"by {link['method']} (score {link['score']}{unconfirmed})")
        if found.summary:
            (rem_open, rem_close), (add_open, add_close) = PLAIN_MARKS
            print(f"draft vs final: {found.summary}")
            print("".join(f"{rem_open}{r.text}{rem_close}" if r.op == "removed" else f"{add_open}{r.text}{add_close}"
                          if r.op == "added" else r.text for r in found.draft_vs_final))
        return EXIT_OK


    @staticmethod
    def _several(several: SeveralRules) -> int:
        """A query that fits several rules: each with an alert id that names it alone; none merged."""
        print(f"{several.count:,} rules fit {several.query!r}; name one more fully, or give one of these "
              "alert ids:", file=sys.stderr)
        for choice in several.choices:
            by = f", {choice.publisher}" if choice.publisher else ""
            print(f"  #{choice.alert_id}  {choice.name}  [{choice.source}{by}; {choice.alerts} alert(s)]",
                  file=sys.stderr)
        if several.count > len(several.choices):
            print(f"  … and {several.count - len(several.choices):,} more", file=sys.stderr)
        return EXIT_SOURCE_FAILED


class History(Command):
    """A source's snapshots, changes and recent checks."""

    name = "history"
    help = "a source's snapshots, changes and recent checks"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--json", action="store_true", help="print a JSON object")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            store = app.store
            state = store.sources.get(args.name)
            if state is None:
                raise UsageError(f"no history for {args.name!r}: it has not been checked yet")
            if args.json:
                print_json({
                    "source": {k: v for k, v in asdict(state).items() if k != "shape_history"},
                    "snapshots": [asdict(s) for s in store.snapshots.of(args.name)],
                    "changes": [asdict(c) for c in store.snapshots.changes(args.name)],
                    "checks": [{"checked_at": at, "outcome": outcome, "detail": detail}
                               for at, outcome, detail in store.sources.recent_checks(args.name, 20)],
                })
                return EXIT_OK
            tz = app.settings.timezone
            print(f"{state.name}  {state.url}")
            failing = state.consecutive_failures
            print(f"  last checked {local_time(state.last_checked_at, tz)}, "
                  f"last success {local_time(state.last_success_at, tz)}"
                  + (f", {failing} consecutive failure(s): {state.last_error}" if failing else ""))
            print("snapshots:")
            for s in store.snapshots.of(args.name):
                print(f"  #{s.id}  {local_time(s.taken_at, tz)}  {s.kind:<5} {s.blocks:>4} blocks {s.items:>4} items"
                      f"  {s.size:>7} B  {s.title[:60]}")
            changes = store.snapshots.changes(args.name)
            if changes:
                print("changes:")
            for c in changes:
                flag = "relevant" if c.relevant else "not relevant"
                print(f"  #{c.old_snapshot_id} -> #{c.new_snapshot_id}  {local_time(c.detected_at, tz)}  {flag}: "
                      f"{c.summary}")
            print("recent checks:")
            for at, outcome, detail in store.sources.recent_checks(args.name, 10):
                print(f"  {local_time(at, tz)}  {outcome:<12} {detail[:100]}")
        return EXIT_OK


class Diff(Command):
    """The difference between two snapshots (default: the last two)."""

    name = "diff"
    help = "the difference between two snapshots (default: the last two)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("old", nargs="?", type=int, help="old snapshot id")
        parser.add_argument("new", nargs="?", type=int, help="new snapshot id")
        parser.add_argument("--json", action="store_true", help="print the change as a JSON object")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if (args.old is None) != (args.new is None):
            parser.error("diff takes both OLD and NEW snapshot ids, or neither")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.detection.compare import compare

        with open_app() as app:
            store = app.store
            snaps = store.snapshots.of(args.name)
            if not snaps and store.sources.get(args.name) is None:
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
            old, new = store.snapshots.document(old_id), store.snapshots.document(new_id)
        change = compare(old, new)
        if args.json:
            print_json({"source": args.name, "old_snapshot": old_id, "new_snapshot": new_id,
                        "summary": change.summary(), "substantive": change.substantive, "change": change.to_json()})
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
