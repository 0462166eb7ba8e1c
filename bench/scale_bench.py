"""Scale: one cycle of many sources on PostgreSQL, in one process or spread over partitions.

    .venv/bin/python bench/scale_bench.py --sources 20000 --delay 0.05 --parts 1 2
    .venv/bin/python bench/scale_bench.py --sources 50000 --server nginx --parts 1 1 --shares 0 0.01

A local site serves N rule pages of about 20 KB (ETag, Last-Modified, 304s), answering each request
after --delay seconds (a slow regulator). A fresh PostgreSQL database holds the state
(RULEWATCH_BENCH_POSTGRES_URL, default postgres on 127.0.0.1). After a baseline cycle, each measured
cycle changes --changed of the pages (or its own share from --shares) and runs
`rulewatch run --partition k/n` for k = 1..n at once, as n Prefect workers would each run one
partitioned deployment. Printed per n: wall time (first start to last exit), CPU, peak RSS of the
largest process, database growth, and checks that every source was checked once (one snapshot per
changed page, one alert per changed page, none twice).

Per-host politeness is global (database host gates) with RULEWATCH_HOST_CONCURRENCY=32: one process
of 16 fetch threads cannot fill it, two can.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchsite import Site  # noqa: E402
from cycle_bench import timed  # noqa: E402
from nginxsite import NginxSite  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("RULEWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def create_database() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(ADMIN_URL)
    name = f"rulewatch_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_bytes(url: str) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def count(url: str, table: str) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - our own table names
    return int(row[0]) if row else 0


def cycle(sources: Path, env: dict[str, str], parts: int, work: Path) -> tuple[float, float, float]:
    """Run the n partitions at once; wall from first start to last exit, summed CPU, largest peak RSS."""
    cmd = [str(ROOT / ".venv/bin/rulewatch"), "run", "-q", "--no-deliver", "--sources", str(sources)]
    run_env = dict(env, RULEWATCH_ONE_CPU="0") if parts > 1 else env
    started = time.monotonic()
    if parts == 1:
        results = [timed(cmd, run_env, work)]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parts) as pool:
            results = list(pool.map(lambda k: timed([*cmd, "--partition", f"{k}/{parts}"], run_env, work),
                                    range(1, parts + 1)))
    wall = time.monotonic() - started
    for _, _, _, _, code, tail in results:
        if code != 0:
            print(f"  a run exited {code}: {tail}", file=sys.stderr)
    return wall, sum(r[1] for r in results), max(r[2] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=20_000)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds the site waits before each answer")
    ap.add_argument("--parts", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--changed", type=float, default=0.0, help="share of pages changed before each measured cycle")
    ap.add_argument("--shares", type=float, nargs="+",
                    help="a share of pages changed per measured cycle, one per --parts entry (overrides --changed)")
    ap.add_argument("--server", choices=["python", "nginx"], default="python",
                    help="what serves the pages: benchsite's Python server (needed for --delay) or nginx")
    ap.add_argument("--baseline-parts", type=int, default=2, help="partitions for the unmeasured first cycle")
    args = ap.parse_args()
    shares = args.shares or [args.changed] * len(args.parts)
    if len(shares) != len(args.parts):
        ap.error("--shares needs one share per --parts entry")

    url, name = create_database()
    site = (NginxSite if args.server == "nginx" else Site)(args.sources, args.changed, args.delay)
    server = site.serve()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sources = work / "sources.yaml"
    sources.write_text("sources:\n" + "".join(f"  - name: p{i}\n    url: {base}/rule/{i}.html\n"
                                              for i in range(args.sources)), encoding="utf-8")
    env = dict(os.environ, RULEWATCH_DATABASE_URL=url, RULEWATCH_HOME=str(work / "home"),
               RULEWATCH_HOST_CONCURRENCY="32", RULEWATCH_HOST_DELAY="0", RULEWATCH_WORKERS="16")
    try:
        wall, cpu, rss = cycle(sources, env, args.baseline_parts, work)
        print(f"baseline ({args.sources} sources, {args.baseline_parts} part(s)): {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU, peak RSS {rss:.0f} MB, database {database_bytes(url) / 1e6:.0f} MB", flush=True)
        for parts, share in zip(args.parts, shares, strict=True):
            site.share = share
            changed = site.advance()
            before_bytes = database_bytes(url)
            before_snaps, before_alerts = count(url, "snapshots"), count(url, "alerts")
            requests = site.requests
            wall, cpu, rss = cycle(sources, env, parts, work)
            snaps, alerts = count(url, "snapshots") - before_snaps, count(url, "alerts") - before_alerts
            growth = database_bytes(url) - before_bytes
            print(f"{args.sources} sources, {changed} changed, {parts} part(s): {wall:.1f} s wall, {cpu:.1f} s CPU, "
                  f"peak RSS {rss:.0f} MB (largest process), {site.requests - requests} requests, "
                  f"database +{growth / 1e6:.1f} MB, {snaps} snapshots and {alerts} alerts recorded", flush=True)
    finally:
        server.shutdown()
        server.server_close()  # nginx's root (a gigabyte of pages at 50,000 sources) goes with it
        drop_database(name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
