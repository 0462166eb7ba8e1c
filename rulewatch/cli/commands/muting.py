"""`rulewatch mutes`: list the mutes with what they caught, mute alerts like one, remove a mute."""

from __future__ import annotations

import argparse

from rulewatch.cli.base import EXIT_OK, Command, open_app, print_json, text
from rulewatch.services.mutes import MUTE_BY, mute_like, mutes, unmute


class Mutes(Command):
    """What the team muted as never applicable, and what each mute caught (recorded, not posted)."""

    name = "mutes"
    help = "list the mutes (alerts recorded but not posted), mute alerts like one, or remove a mute"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        listing = sub.add_parser("list", help="the mutes in force, with what each caught (the default)")
        listing.add_argument("--all", action="store_true", help="removed mutes too")
        listing.add_argument("--json", action="store_true", help="print a JSON array")
        adding = sub.add_parser("add", help="mute alerts like this one, from its source")
        adding.add_argument("alert", type=int, help="an alert id (from `rulewatch alerts`)")
        adding.add_argument("--like", choices=MUTE_BY, default="terms",
                            help="terms: alerts matching only its terms (default); title: list items titled like it")
        adding.add_argument("--by", type=text, required=True, help="who mutes (recorded with the mute)")
        adding.add_argument("--reason", type=text, default="", help="why it is never applicable")
        removing = sub.add_parser("remove", help="stop a mute (it stays listed, removed)")
        removing.add_argument("mute", type=int, help="a mute id (from `rulewatch mutes`)")
        removing.add_argument("--by", type=text, required=True, help="who removes it")

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            if args.action == "add":
                row = mute_like(app.store, args.alert, args.like, args.by, "cli", args.reason)
                print(f"mute #{row.mute.id}: {row.mute.what} (recorded, not posted, from now on)")
                return EXIT_OK
            if args.action == "remove":
                row = unmute(app.store, args.mute, args.by)
                print(f"mute #{row.mute.id} removed: {row.mute.what}; it had caught {row.caught} alert(s)")
                return EXIT_OK
            rows = mutes(app.store, include_removed=bool(getattr(args, "all", False)))
        if getattr(args, "json", False):
            print_json([r.to_json() for r in rows])
            return EXIT_OK
        if not rows:
            print("no mutes: every relevant alert is posted")
        for r in rows:
            gone = f" — removed {r.removed_at[:16]} by {r.removed_by}" if r.removed_at else ""
            print(f"#{r.mute.id:<4} {r.mute.what}: caught {r.caught}; set by {r.created_by} ({r.created_via}) "
                  f"{r.created_at[:16]} from alert #{r.from_alert_id}{gone}")
            if r.reason:
                print(f"       {r.reason}")
        return EXIT_OK
