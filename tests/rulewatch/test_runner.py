"""The runner's threads: every source checked once, and no more checked results held than the
recording thread can take."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rulewatch import runner
from rulewatch.app import App
from rulewatch.config import Source
from rulewatch.detection.relevance import Taxonomy
from rulewatch.scrapers.fetch import Fetcher
from rulewatch.settings import Settings
from rulewatch.state import Store
from tests.faultserver import FaultServer, respond

PAGE = ("<html><head><meta charset='utf-8'><title>办法</title></head><body><div class='content'><h1>办法</h1>"
        "<p>第一条 本办法适用于银行业金融机构。</p><p>第二条 {n}</p></div></body></html>")


def test_threads_wait_while_the_recording_thread_falls_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_UNREAD", 5)
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    names = [f"rule{n:02d}" for n in range(40)]
    for n, name in enumerate(names):
        server.routes[f"/{name}"] = respond(PAGE.format(n=n).encode())
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    settings = replace(Settings.from_env({"RULEWATCH_HOST_DELAY": "0", "RULEWATCH_HOST_CONCURRENCY": "8"}),
                       workers=8)
    fetcher = Fetcher(settings.fetch_settings())
    try:
        app = App(settings, store=store, fetcher=fetcher, taxonomy=Taxonomy.load())
        sources = [Source(name=name, url=server.url(f"/{name}")) for name in names]
        results = runner.check_all(sources, app)
        first = next(results)
        # However long the reader stalls, at most MAX_UNREAD sources are taken beyond what it read.
        deadline = runner.time.monotonic() + 1.0
        while runner.time.monotonic() < deadline:
            pages = sum(hits for path, hits in server.hits.items() if path != "/robots.txt")
            assert pages <= 1 + 5
            runner.time.sleep(0.05)
        rest = list(results)
        assert sorted([first.source.name] + [c.source.name for c in rest]) == names
        assert all(c.error == "" and c.baseline for c in [first, *rest])
    finally:
        fetcher.close()
        store.close()
        server.stop()


def test_health_notices_count_among_the_cycles_alerts(tmp_path: Path) -> None:
    """A "source failing" notice waited for the 10-minute delivery fallback: it was not among the cycle's
    new alerts, which start the event-driven delivery. It is now, and so is "recovered"."""
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    server.routes["/rule"] = respond(b"gone", status=404, content_type="text/plain")
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    settings = Settings.from_env({"RULEWATCH_HOST_DELAY": "0", "RULEWATCH_FAILING_AFTER": "2"})
    fetcher = Fetcher(replace(settings.fetch_settings(), max_retries=0))
    try:
        app = App(settings, store=store, fetcher=fetcher, taxonomy=Taxonomy.load())
        sources = [Source(name="rule", url=server.url("/rule"))]
        first = runner.run_cycle(app, sources)
        assert first.alert_ids == []  # one failure: no notice yet
        second = runner.run_cycle(app, sources)
        (notice,) = store.outbox.by_id(second.alert_ids)
        assert notice.kind == "source_failing" and second.outcomes[0].status == "failed"
        server.routes["/rule"] = respond(PAGE.format(n=1).encode())
        third = runner.run_cycle(app, sources)
        assert [a.kind for a in store.outbox.by_id(third.alert_ids)] == ["source_recovered"]
    finally:
        fetcher.close()
        store.close()
        server.stop()


def test_ctrl_c_records_the_checks_under_way_and_starts_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetches made after the interrupt were thrown away: the checks under way now finish and are
    recorded, and no source is started after it."""
    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    server.routes["/fast"] = respond(PAGE.format(n=0).encode())
    names = [f"slow{n}" for n in range(3)] + [f"later{n}" for n in range(10)]
    for name in names:
        server.routes[f"/{name}"] = respond(PAGE.format(n=name).encode())
    for n in range(3):
        def slow(h: object, n: int = n) -> None:
            runner.time.sleep(0.6)  # still under way when the interrupt comes
            respond(PAGE.format(n=f"slow{n}").encode())(h)  # type: ignore[arg-type]
        server.routes[f"/slow{n}"] = slow
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    settings = replace(Settings.from_env({"RULEWATCH_HOST_DELAY": "0", "RULEWATCH_HOST_CONCURRENCY": "8"}), workers=4)
    fetcher = Fetcher(settings.fetch_settings())
    try:
        app = App(settings, store=store, fetcher=fetcher, taxonomy=Taxonomy.load())
        sources = [Source(name="fast", url=server.url("/fast"))] + [Source(name=n, url=server.url(f"/{n}")) for n in names]

        def interrupt(outcome: runner.SourceOutcome) -> None:
            raise KeyboardInterrupt  # as Ctrl-C arrives once the first result is recorded

        monkeypatch.setattr(runner, "RECORD_BATCH", 1)
        with pytest.raises(KeyboardInterrupt):
            runner.run_cycle(app, sources, on_outcome=interrupt)
        recorded = {s.name for s in store.sources.all()}
        fetched = {path.strip("/") for path, hits in server.hits.items() if hits and path != "/robots.txt"}
        assert fetched <= recorded | {"fast"}, fetched - recorded  # every page fetched was recorded
        assert {"slow0", "slow1", "slow2"} <= recorded  # the checks under way at the interrupt
        assert len(fetched) < len(sources)  # and the rest were never started
    finally:
        fetcher.close()
        store.close()
        server.stop()
