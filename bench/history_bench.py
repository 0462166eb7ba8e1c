"""A year of history: how fast `rulewatch alerts`, `history`, `digest` and `calendar` read it.

    .venv/bin/python bench/history_bench.py [--sources 500] [--days 365] [--per-hour 5]
    RULEWATCH_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/history_bench.py --database postgresql

The store is filled as a year of hourly cycles would leave it: each hour, --per-hour sources change
(1% of 500), each change with its snapshot, change row, search texts and one alert (a quarter of them
with a key date), recorded through the Store like a cycle records them, stamped with its hour. All but
the last 20 alerts are marked delivered to one Slack channel (by SQL: a year of Slack posts is not the
point). Then each read that a command runs is timed: the median of 7 runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sqlalchemy import text  # noqa: E402

from rulewatch.core.model import Alert, Block, Change, Document, KeyDate, TextChange, Verdict  # noqa: E402
from rulewatch.state import Store  # noqa: E402

ADMIN_URL = os.environ.get("RULEWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def page(source: int, version: int) -> Document:
    blocks = [Block(f"第{n}条 银行保险机构应当在{(version + n) % 30 + 1}日内报告第{source}号系统的网络安全事件。",
                    f"第{n}条") for n in range(1, 9)]
    return Document(kind="page", url=f"http://regulator.test/rule/{source}.html", title=f"第{source}号网络安全管理办法",
                    blocks=blocks)


def fill(store: Store, sources: int, days: int, per_hour: int, start: datetime) -> int:
    rng = random.Random(7)
    version = [0] * sources
    for s in range(sources):
        store.record_success(name=f"s{s}", url=page(s, 0).url, document=page(s, 0), etag="", last_modified="",
                             change=None, verdict=None, now=start.isoformat())
    recorded = 0
    for hour in range(days * 24):
        now = (start + timedelta(hours=hour + 1)).isoformat()
        for s in rng.sample(range(sources), per_hour):
            old, version[s] = page(s, version[s]), version[s] + 1
            new = page(s, version[s])
            change = Change(text=[TextChange("changed", "第1条", old.blocks[0].text, new.blocks[0].text)])
            dated = (KeyDate("effective", (start + timedelta(days=days + hour % 90)).date().isoformat(), "施行"),) \
                if recorded % 4 == 0 else ()
            alert = Alert(kind="changed_text", title=new.title, url=new.url, added=new.blocks[0].text,
                          removed=old.blocks[0].text, subject=new.url, topics=("cybersecurity",), key_dates=dated)
            store.record_success(name=f"s{s}", url=new.url, document=new, etag="", last_modified="", change=change,
                                 verdict=Verdict(True, True, findings=[alert]), channel="C-REG", now=now)
            recorded += 1
    with store.writer.begin() as conn:  # a year of deliveries, all but the last 20
        conn.execute(text("INSERT INTO deliveries (alert_id, sink, channel, ts, delivered_at, attempts) "
                          "SELECT id, 'slack', 'C-REG', CAST(id AS TEXT), detected_at, 1 FROM alerts "
                          "WHERE id <= (SELECT max(id) - 20 FROM alerts)"))
        conn.execute(text("UPDATE alerts SET delivered_at = detected_at "
                          "WHERE id <= (SELECT max(id) - 20 FROM alerts)"))
    return recorded


def timed(what: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        what()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-hour", type=int, default=5, help="changed sources per hourly cycle")
    ap.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    name = ""
    if a.database == "postgresql":
        from scale_bench import create_database

        url, name = create_database()
    else:
        url = f"sqlite:///{work / 'rulewatch.db'}"
    store = Store(url)
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=a.days)
        started = time.monotonic()
        recorded = fill(store, a.sources, a.days, a.per_hour, start)
        rows = store.count_rows()
        print(f"# {a.database}: {a.sources} sources, {a.days} days of hourly cycles, {recorded} changes "
              f"recorded in {time.monotonic() - started:.0f} s; rows: alerts {rows['alerts']}, "
              f"snapshots {rows['snapshots']}, checks {rows['checks']}", flush=True)
        newest = max(a.outbox_id for a in store.outbox.alerts(limit=1))
        busy = store.outbox.alerts(limit=1)[0]
        yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        reads: dict[str, Callable[[], object]] = {
            "alerts (newest 50)": lambda: store.outbox.alerts(limit=50),
            "alerts --pending": lambda: store.outbox.alerts(pending_only=True),
            "alerts --source S (newest 50)": lambda: store.outbox.alerts(source=busy.source, limit=50),
            "history S (state, snapshots, changes, checks)": lambda: (
                store.sources.get(busy.source), store.snapshots.of(busy.source), store.snapshots.changes(busy.source),
                store.sources.recent_checks(busy.source)),
            "digest: alerts of the last day": lambda: store.outbox.since(yesterday),
            "digest and calendar: alerts with key dates": lambda: store.rules.dated_alerts(),
            "delivery: the thread of a subject":
                lambda: store.outbox.thread_of(busy.source, busy.subject, newest, "slack"),
            "search: a 4-character term, newest 50": lambda: store.history.search("网络安全", limit=50),
        }
        for label, read in reads.items():
            print(f"{label}: {timed(read):.1f} ms", flush=True)
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)
        if name:
            from scale_bench import drop_database

            drop_database(name)


if __name__ == "__main__":
    main()
