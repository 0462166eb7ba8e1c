"""One monitoring cycle in-process, for tests that need the runner on a real store and real servers."""

from __future__ import annotations

from dataclasses import replace

from rulewatch.app import App
from rulewatch.config import Source
from rulewatch.detection.relevance import Taxonomy
from rulewatch.runner import SourceOutcome, run_cycle
from rulewatch.scrapers.fetch import Fetcher, FetchSettings
from rulewatch.settings import Settings
from rulewatch.state import Store


def cycle(store: Store, sources: list[Source], fetch: FetchSettings) -> dict[str, SourceOutcome]:
    """Each source's outcome of one cycle (no host delay; a failing notice after 3 failures)."""
    settings = replace(Settings.from_env({"RULEWATCH_HOST_DELAY": "0"}), failing_after=3)
    fetcher = Fetcher(fetch)
    try:
        app = App(settings, store=store, fetcher=fetcher, taxonomy=Taxonomy.load())
        return {o.name: o for o in run_cycle(app, sources).outcomes}
    finally:
        fetcher.close()
