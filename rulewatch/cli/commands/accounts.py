"""`rulewatch users` (the web workspace's accounts) and `rulewatch web` (the workspace itself, through
the `web` plugin)."""

from __future__ import annotations

import argparse
import getpass
import sys

from rulewatch.cli.base import EXIT_OK, Command, open_app, print_json
from rulewatch.cli.plugins import plugin
from rulewatch.core.errors import UsageError
from rulewatch.services.users import ROLES, add_user, remove_user, set_password, set_role, users

DEFAULT_WEB_PORT = 8080


def _password(from_stdin: bool) -> str:
    """A new password: one line of standard input, or typed twice at a terminal (never an argument,
    which the process list and shell history would show)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: pipe it with --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two passwords differ: nothing was changed")
    return first


class Users(Command):
    """The web workspace's accounts: viewer (reads), triager (also decides), admin (also manages accounts)."""

    name = "users"
    help = "the web workspace's accounts: add, list, remove, passwd, role"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        adding = sub.add_parser("add", help="add an account")
        adding.add_argument("name")
        adding.add_argument("--role", choices=ROLES, required=True)
        adding.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        listing = sub.add_parser("list", help="the accounts and their roles")
        listing.add_argument("--all", action="store_true", help="removed accounts too")
        listing.add_argument("--json", action="store_true")
        removing = sub.add_parser("remove", help="remove an account (its sessions end at once)")
        removing.add_argument("name")
        passwd = sub.add_parser("passwd", help="set an account's password (its sessions end)")
        passwd.add_argument("name")
        passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        role = sub.add_parser("role", help="change an account's role")
        role.add_argument("name")
        role.add_argument("role", choices=ROLES)

    def run(self, args: argparse.Namespace) -> int:
        with open_app() as app:
            if args.action == "add":
                account = add_user(app.store, args.name, args.role, _password(args.password_stdin), "cli")
                print(f"account {account.name} ({account.role}) added")
            elif args.action == "passwd":
                set_password(app.store, args.name, _password(args.password_stdin))
                print(f"{args.name}: password changed; their open sessions ended")
            elif args.action == "remove":
                remove_user(app.store, args.name)
                print(f"{args.name}: removed; their open sessions ended")
            elif args.action == "role":
                set_role(app.store, args.name, args.role)
                print(f"{args.name}: now {args.role}")
            else:
                found = users(app.store, include_removed=args.all)
                if args.json:
                    print_json([a.to_json() for a in found])
                    return EXIT_OK
                if not found:
                    print("no accounts: add one with `rulewatch users add NAME --role admin`")
                for a in found:
                    gone = f" — removed {a.removed_at[:16]}" if a.removed_at else ""
                    print(f"{a.name:<24} {a.role:<8} added {a.created_at[:16]} by {a.created_by}{gone}")
        return EXIT_OK


class Web(Command):
    """The team's web workspace, behind a login (through the `web` plugin)."""

    name = "web"
    help = "serve the web workspace: inbox, alerts, dossiers, calendar, search, sources, audit log"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1: put a TLS proxy in front)")
        parser.add_argument("--port", type=int, default=DEFAULT_WEB_PORT, help=f"default {DEFAULT_WEB_PORT}")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if not 0 < args.port < 65536:
            parser.error(f"--port {args.port}: not a TCP port")

    def run(self, args: argparse.Namespace) -> int:
        plugin("web", "web").run(args.host, args.port)
        return EXIT_OK
