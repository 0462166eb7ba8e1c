"""Storage after many cycles: rulewatch's state folder against urlwatch's cache, same history.

    .venv/bin/python bench/storage_bench.py --pages 500 --cycles 50 --share 0.05

Each cycle changes a share of the pages (a new article revision each time) and runs both monitors.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchsite import Site  # noqa: E402
from cycle_bench import MONITORS, PEERS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--share", type=float, default=0.05)
    a = ap.parse_args()
    names = ["rulewatch"] + (["urlwatch"] if (PEERS / "urlwatch/bin").exists() else [])
    sizes = {}
    for name in names:
        site = Site(a.pages, a.share)
        server = site.serve()
        work = Path(tempfile.mkdtemp(prefix=f"storage-{name}-"))
        try:
            monitor = MONITORS[name](work, f"http://127.0.0.1:{server.server_address[1]}", a.pages)
            for _ in range(a.cycles):
                monitor.cycle()
                site.advance()
            sizes[name] = monitor.storage()
        finally:
            server.shutdown()
            server.server_close()
            shutil.rmtree(work, ignore_errors=True)
        print(f"{name}: {sizes[name] / 1e6:.1f} MB after {a.cycles} cycles of {a.pages} pages at p={a.share}",
              flush=True)
    if "urlwatch" in sizes:
        print(f"rulewatch / urlwatch = {sizes['rulewatch'] / sizes['urlwatch']:.2f}")


if __name__ == "__main__":
    main()
