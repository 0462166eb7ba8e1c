"""Commands that keep rulewatch itself: the database schema, the scheduled service, the demo."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rulewatch.app import App
from rulewatch.cli.base import EXIT_OK, Command, add_sources_argument, open_app
from rulewatch.cli.plugins import plugin
from rulewatch.core.errors import UsageError
from rulewatch.settings import Settings

DEFAULT_SLACK_APP_PORT = 3000  # Slack's examples use it; any free port will do


class Db(Command):
    """The database schema: its revision, an upgrade now, the search index rebuilt."""

    name = "db"
    help = ("the database: `current` shows its schema revision, `upgrade` upgrades it, `reindex-search` "
            "indexes every stored version for search again, `copy` carries everything into another database")

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=("current", "upgrade", "reindex-search", "copy"))
        parser.add_argument("--source", help="reindex-search: only this source")
        parser.add_argument("--from", dest="from_url", metavar="URL",
                            help="copy: the database to read (default: the configured one)")
        parser.add_argument("--to", dest="to_url", metavar="URL", help="copy: an empty database to fill")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if args.action == "copy" and not args.to_url:
            parser.error("copy needs --to URL (for example postgresql://user@host/rulewatch)")
        if args.action != "copy" and (args.from_url or args.to_url):
            parser.error("--from and --to go with copy only")

    def run(self, args: argparse.Namespace) -> int:
        from sqlalchemy.engine import make_url

        from rulewatch.state import migrate
        from rulewatch.state.store import make_engine

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
        if args.action == "copy":
            return _copy(settings.database_url if not args.from_url else args.from_url, args.to_url)
        if args.action == "reindex-search":
            with App(settings) as app:
                sources, versions = app.store.history.reindex([args.source] if args.source else None)
            print(f"{where}: search rebuilt from {versions} stored version(s) of {sources} source(s)")
            return EXIT_OK
        with App(settings) as app:
            store = app.store  # opening the store upgrades the schema
            done = {"current": "nothing to do", "created": "created", "upgraded": "upgraded"}[store.schema_action]
            print(f"{where}: was {store.schema_before.describe()}; {done}: now at revision {migrate.SCHEMA_HEAD}")
        return EXIT_OK


def _copy(from_url: str, to_url: str) -> int:
    from sqlalchemy.engine import make_url

    from rulewatch.settings import database_url
    from rulewatch.state import Store
    from rulewatch.state.copying import copy_database

    source_url, target_url = database_url(from_url, "--from"), database_url(to_url, "--to")
    if make_url(source_url) == make_url(target_url):
        raise UsageError("--from and --to name the same database")
    shown = [make_url(u).render_as_string(hide_password=True) for u in (source_url, target_url)]
    source, target = Store(source_url), Store(target_url)
    try:
        report = copy_database(source, target)
    finally:
        source.close()
        target.close()
    if report.already:
        print(f"{shown[1]} already holds exactly what {shown[0]} holds ({report.rows} rows): nothing to do")
        return EXIT_OK
    for table in report.tables:
        if table.rows:
            print(f"  {table.name}: {table.rows} rows, sha256 {table.digest[:16]}")
    print(f"copied {report.rows} rows from {shown[0]} to {shown[1]}, each table checked by count and digest; "
          f"point RULEWATCH_DATABASE_URL at the new one")
    return EXIT_OK


class Serve(Command):
    """The deployments of prefect.yaml, served from this process (through the `prefect` plugin)."""

    name = "serve"
    help = "run the scheduled checks, delivery and digest in this process (Prefect serve)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        add_sources_argument(parser)
        parser.add_argument("--timezone", default=os.environ.get("RULEWATCH_TIMEZONE", ""),
                            help="timezone of the cron schedules (default: RULEWATCH_TIMEZONE, else prefect.yaml's)")

    def run(self, args: argparse.Namespace) -> int:
        prefect = plugin("prefect", "serve")
        with open_app() as app:
            app.load_sources(args.sources)  # fail early, with a clear message, on a bad sources file
        if not os.environ.get("PREFECT_API_URL"):
            raise UsageError(
                "serve needs a Prefect server for its schedules (a temporary one runs no scheduler): start "
                "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api, or use Prefect Cloud"
            )
        prefect.serve_all(sources_file=str(Path(args.sources).absolute()), timezone=args.timezone)
        return EXIT_OK


class Worker(Command):
    """A Prefect process worker for prefect.yaml's deployments that stops on SIGTERM within seconds."""

    name = "worker"
    help = "run the work pool's flow runs (a Prefect process worker that stops on SIGTERM at once)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pool", default="rulewatch", help="the work pool (default: rulewatch, as prefect.yaml)")
        parser.add_argument("--name", help="the worker's name in the Prefect UI (default: generated)")
        parser.add_argument("--limit", type=int, help="flow runs at once (default: no limit)")
        parser.add_argument("--queue", action="append", dest="queues", help="only this work queue (repeatable)")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if args.limit is not None and args.limit < 1:
            parser.error(f"--limit {args.limit}: at least 1 flow run at once")

    def run(self, args: argparse.Namespace) -> int:
        prefect = plugin("prefect", "worker")
        if not os.environ.get("PREFECT_API_URL"):
            raise UsageError("worker needs a Prefect server to take flow runs from: start `prefect server start` "
                             "and set PREFECT_API_URL=http://127.0.0.1:4200/api, or use Prefect Cloud")
        return int(prefect.run_worker(args.pool, args.name, args.limit, args.queues))


class SlackApp(Command):
    """The Slack app that takes triage clicks (through the `slack-app` plugin)."""

    name = "slack-app"
    help = "receive triage clicks from Slack: HTTP (POST /slack/events) or Socket Mode (--socket)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=DEFAULT_SLACK_APP_PORT,
                            help=f"HTTP port for Slack's Request URL (default {DEFAULT_SLACK_APP_PORT})")
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1: put a TLS proxy in front; 0.0.0.0 for all)")
        parser.add_argument("--socket", action="store_true",
                            help="Socket Mode instead of HTTP: no inbound requests (needs SLACK_APP_TOKEN)")

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        if not 0 < args.port < 65536:
            parser.error(f"--port {args.port}: not a TCP port")

    def run(self, args: argparse.Namespace) -> int:
        plugin("slack-app", "slack-app").run(args.host, args.port, args.socket)
        return EXIT_OK


class Demo(Command):
    """The offline showcase on a bundled local replay of regulator pages."""

    name = "demo"
    help = "an offline showcase on a bundled local replay of regulator pages"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--slack", action="store_true", help="send the demo's alerts to the configured Slack")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.demo import run_demo

        return run_demo(slack=args.slack)


class Reference(Command):
    """The reference tables, from the registries: sources.yaml's fields, the environment variables, the
    sinks; `--update FILE` writes them into a document's generated sections (`make docs`: docs/reference.md)."""

    name = "reference"
    help = "what sources.yaml's fields, the environment variables and the sinks mean (from the registries)"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("table", nargs="?", choices=sorted(SHORT_NAMES), help="one table (default: all)")
        parser.add_argument("--markdown", action="store_true",
                            help="print Markdown tables, as docs/reference.md has them")
        parser.add_argument("--update", metavar="FILE",
                            help=f"rewrite FILE's generated sections ({', '.join(SHORT_NAMES.values())}) and "
                                 "print nothing")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.reference import SECTIONS, updated

        if args.update:
            path = Path(args.update)
            try:
                before = path.read_text(encoding="utf-8")
                after = updated(before)
            except (OSError, ValueError) as exc:
                raise UsageError(f"{args.update}: {exc}") from exc
            if after != before:
                path.write_text(after, encoding="utf-8")
            print(f"{args.update}: {'updated' if after != before else 'already current'}")
            return EXIT_OK
        for short in [args.table] if args.table else SHORT_NAMES:
            table = SECTIONS[SHORT_NAMES[short]]()
            print(table if args.markdown else _plain(table))
        return EXIT_OK


SHORT_NAMES = {"fields": "source-fields", "variables": "variables", "sinks": "sinks"}


def _plain(table: str) -> str:
    """A Markdown table as a terminal shows it best: each row's first cell, then the others indented."""
    import textwrap

    lines = table.splitlines()
    headers = [h.strip() for h in lines[0].strip("|").split(" | ")]
    out = []
    for line in lines[2:]:
        cells = [c.strip().replace("\\|", "|") for c in line.strip("| ").split(" | ")]
        out.append(cells[0].strip("`"))
        for header, cell in zip(headers[1:-1], cells[1:-1], strict=True):  # the middle ones are labelled
            out.append(f"    {header}: {cell}")
        out += textwrap.wrap(cells[-1], 96, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(out) + "\n"
