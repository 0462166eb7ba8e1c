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


class Db(Command):
    """The database schema: its revision, an upgrade now, the search index rebuilt."""

    name = "db"
    help = ("the database schema: `current` shows its revision, `upgrade` upgrades it, "
            "`reindex-search` indexes every stored version for search again")

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=("current", "upgrade", "reindex-search"))
        parser.add_argument("--source", help="reindex-search: only this source")

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


class Demo(Command):
    """The offline showcase on a bundled local replay of regulator pages."""

    name = "demo"
    help = "an offline showcase on a bundled local replay of regulator pages"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--slack", action="store_true", help="send the demo's alerts to the configured Slack")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.demo import run_demo

        return run_demo(slack=args.slack)
