"""The extra cost of `rulewatch run --prefect` against a running Prefect server, as N grows.

    .venv/bin/python bench/prefect_overhead.py --pages 100 1000

Starts `prefect server start` on 127.0.0.1 with its own PREFECT_HOME, then for each N runs the same
unchanged cycle in-process and through the flow, as whole processes. Sources are batched into at most
four tasks, so the difference should not grow with N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from benchsite import Site  # noqa: E402
from cycle_bench import free_port, timed  # noqa: E402

ROOT = HERE.parent
BIN = ROOT / ".venv" / "bin"


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the Prefect server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, nargs="+", default=[100, 1000])
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(work / "prefect"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", RULEWATCH_HOST_CONCURRENCY="10", RULEWATCH_HOST_DELAY="0")
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health")
        for pages in a.pages:
            site = Site(pages, 0.0)
            srv = site.serve()
            base = f"http://127.0.0.1:{srv.server_address[1]}"
            sources = work / f"sources-{pages}.yaml"
            sources.write_text("sources:\n" + "".join(f"  - name: p{i}\n    url: {base}/rule/{i}.html\n"
                                                      for i in range(pages)), encoding="utf-8")
            run_env = dict(env, RULEWATCH_HOME=str(work / f"home-{pages}"))
            plain = {k: v for k, v in run_env.items() if k != "PREFECT_API_URL"}
            cmd = [str(BIN / "rulewatch"), "run", "-q", "--sources", str(sources)]
            timed(cmd, plain, work)  # baseline
            in_process = timed(cmd, plain, work)
            flow = timed([*cmd, "--prefect"], run_env, work)
            print(f"N={pages}: in-process {in_process[0]:.2f} s wall {in_process[1]:.2f} s CPU; "
                  f"--prefect {flow[0]:.2f} s wall {flow[1]:.2f} s CPU; extra {flow[0] - in_process[0]:.2f} s",
                  flush=True)
            srv.shutdown()
            srv.server_close()
    finally:
        os.killpg(server.pid, 2)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
