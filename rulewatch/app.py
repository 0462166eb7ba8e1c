"""The one composition root: settings, store, taxonomy, fetcher and sinks, opened once, closed together.

The CLI, the Prefect flows, the demo and bench/ all start here; nothing else wires the stages.
Every part opens on first use, so a command pays only for what it touches (`alerts` never builds a
fetcher, `sources` never opens the database). A part handed in (a test's fetcher, a demo's console
stream) is used as it is, and closed by whoever made it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TextIO

from rulewatch.config import Source, load_sources
from rulewatch.core.errors import ConfigError
from rulewatch.settings import Settings

if TYPE_CHECKING:  # the parts import lazily: a cycle must not pay for Slack or Prefect unless it uses them
    from rulewatch.alerts.deliver import Sink
    from rulewatch.alerts.translate import Translator
    from rulewatch.detection.explain import ExplainContext
    from rulewatch.detection.gloss import Glossary
    from rulewatch.detection.relevance import Taxonomy
    from rulewatch.detection.severity import SeverityWeights
    from rulewatch.scrapers.browser import BrowserFetcher
    from rulewatch.scrapers.fetch import Fetcher, PageFetcher
    from rulewatch.state import Store


class App:
    """rulewatch's parts for one command, flow run or task."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        fetcher: Fetcher | None = None,
        taxonomy: Taxonomy | None = None,
        console: TextIO | None = None,
        interactive: bool = False,
    ) -> None:
        self.settings = settings
        self._store = store
        self._fetcher = fetcher
        self._browser: BrowserFetcher | None = None
        self._taxonomy = taxonomy
        self._explain_tables: tuple[Glossary, SeverityWeights] | None = None
        # The tables load on the first changed page, which a fetch thread meets: one thread loads them.
        self._tables_lock = threading.Lock()
        self._translator: Translator | None | Literal[False] = False  # False: not read yet
        self._sinks: list[Sink] | None = None
        self._console = console
        self.interactive = interactive  # a person watches the output: the console may stand in for a sink
        self._owned: list[Store | Fetcher | BrowserFetcher] = []

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **parts: object) -> App:
        """The app for the process's environment (or `env`); settings errors surface here."""
        return cls(Settings.from_env(env), **parts)  # type: ignore[arg-type]

    # ---- parts, opened on first use -------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            from rulewatch.state import Store

            self.settings.ensure_home()
            self._store = Store(self.settings.database_url)
            self._owned.append(self._store)
            if self._store.rules.pending_tasks():  # work an upgrade left (one small read when none)
                from rulewatch.lineage import file_recorded

                file_recorded(self._store)
        return self._store

    @property
    def taxonomy(self) -> Taxonomy:
        with self._tables_lock:
            if self._taxonomy is None:
                from rulewatch.detection.relevance import Taxonomy

                self._taxonomy = Taxonomy.load(self.settings.topics_file)
            return self._taxonomy

    @property
    def explain_tables(self) -> tuple[Glossary, SeverityWeights]:
        """The glossary and severity table alerts are explained with, each extended by the user's file."""
        with self._tables_lock:
            if self._explain_tables is None:
                from rulewatch.detection.gloss import Glossary
                from rulewatch.detection.severity import SeverityWeights

                self._explain_tables = (Glossary.load(self.settings.glossary_file),
                                        SeverityWeights.load(self.settings.severity_file))
            return self._explain_tables

    def check_tables(self) -> None:
        """Read the user's own table files now (RULEWATCH_TOPICS, _GLOSSARY, _SEVERITY), so that their
        errors stop a cycle before any source runs. The bundled tables wait for the first change: a
        cycle where nothing changed never loads detection."""
        s = self.settings
        if s.topics_file is not None:
            _ = self.taxonomy
        if s.glossary_file is not None or s.severity_file is not None:
            _ = self.explain_tables

    @property
    def translator(self) -> Translator | None:
        """The optional machine translation of alerts (off unless RULEWATCH_TRANSLATE_* is set)."""
        if self._translator is False:
            from rulewatch.alerts.translate import translator_from_env

            self._translator = translator_from_env(self.settings.env)
        return self._translator

    def explain_context(self, source: Source) -> ExplainContext:
        """What judging `source` today needs to explain its alerts."""
        from rulewatch.detection.explain import ExplainContext

        glossary, weights = self.explain_tables
        return ExplainContext(glossary, weights, self.settings.today(), source.publisher_name, source.issuer)

    @property
    def fetcher(self) -> Fetcher:
        """The cycle's fetcher; with shared politeness its per-host limits hold across processes."""
        if self._fetcher is None:
            from rulewatch.scrapers.fetch import Fetcher

            gates = None
            if self.settings.shared_politeness:
                from rulewatch.state.hostlease import DatabaseHostGates

                gates = DatabaseHostGates(self.store, self.settings.host_policy)
            self._fetcher = Fetcher(self.settings.fetch_settings(), gates=gates)
            self._owned.append(self._fetcher)
        return self._fetcher

    @property
    def browser(self) -> BrowserFetcher:
        """The browser fetcher, started on first use; it obeys the HTTP fetcher's robots and gates."""
        if self._browser is None:
            from rulewatch.scrapers.browser import BrowserFetcher

            self._browser = BrowserFetcher(self.fetcher)
            self._owned.append(self._browser)
        return self._browser

    def fetcher_for(self, source: Source) -> PageFetcher:
        """What reads `source`: the browser for `fetcher: browser`, else HTTP."""
        return self.browser if source.fetcher == "browser" else self.fetcher

    @property
    def sinks(self) -> list[Sink]:
        """Where alerts go: every sink the environment configures; the console only when chosen
        (alerts.sinks.make_sinks); none at all is possible, and leaves alerts pending."""
        if self._sinks is None:
            from rulewatch.alerts.sinks import make_sinks

            self._sinks = make_sinks(self.settings.env, self._console, interactive=self.interactive,
                                     known_topics=self.taxonomy.names)
        return self._sinks

    def load_sources(self, path: str | Path, only: Sequence[str] = ()) -> list[Source]:
        """The sources file, validated against the taxonomy's topics; `only` picks sources by name."""
        sources = load_sources(path, self.taxonomy.names, cache_dir=self.settings.home / "cache")
        if only:
            names = {s.name for s in sources}
            missing = [n for n in only if n not in names]
            if missing:
                raise ConfigError(f"{path}: no source named {', '.join(missing)} (see `rulewatch sources`)")
            sources = [s for s in sources if s.name in only]
        return sources

    # ---- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the parts this app opened (the fetcher before the store its gates may use)."""
        for part in reversed(self._owned):
            part.close()
        self._owned.clear()

    def __enter__(self) -> App:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
