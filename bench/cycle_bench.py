"""Cycle benchmark: rulewatch against urlwatch and changedetection.io on the same local pages.

    .venv/bin/python bench/cycle_bench.py --pages 500 5000 --shares 0 0.05 0.5 [--monitors rulewatch urlwatch cdio]

For each N and p: the site (nginx where installed, else benchsite.py) serves N pages of about 20 KB (ETag,
Last-Modified, 304s); every monitor takes a baseline cycle, then p of the pages change and the measured cycle
runs as a whole process under /usr/bin/time -v (wall, CPU = user + sys, max RSS). Bytes are what the site sent
in the measured cycle. Peers live in their own virtualenvs under bench/peers/ (see bench/README.md). Like with
like: urlwatch fetches 10 pages at a time with no delay, so rulewatch runs with RULEWATCH_HOST_CONCURRENCY=10
RULEWATCH_HOST_DELAY=0 here; `--polite` adds a run with rulewatch's polite defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from benchsite import Site  # noqa: E402
from nginxsite import NginxSite, nginx_available  # noqa: E402

ROOT = HERE.parent
PEERS = HERE / "peers"
SAMPLE_TREE_RSS = False  # --tree-rss
SITES: dict[str, type[Site]] = {"nginx": NginxSite, "python": Site}
SERVER = "nginx"  # --server


@dataclass
class Measure:
    monitor: str
    pages: int
    share: float
    wall: float
    cpu: float
    rss_mb: float
    tree_rss_mb: float  # peak of the summed RSS of the monitor and its helper processes, sampled
    bytes: int
    exit: int


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                found += kids
                stack += kids
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeRss:
    """Samples the summed RSS of a process's descendants every 50 ms (time -v reports only the largest
    single process; a monitor with helper processes uses their sum)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _descendants(self.pid)))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, float, int, str]:
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Sampling shares the harness process (and its GIL) with the site, so it is off for timing runs.
    sampler = TreeRss(proc.pid) if SAMPLE_TREE_RSS else None
    stdout, err = proc.communicate(timeout=3600)
    tree_rss = sampler.stop() if sampler else 0.0

    def field(name: str) -> str:
        m = re.search(rf"{re.escape(name)}: (.+)", err)
        return m.group(1).strip() if m else "0"

    wall_text = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall_text.split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return wall, cpu, rss, max(rss, tree_rss), proc.returncode, stdout[-2000:] + err[-2000:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Monitor:
    name = ""

    def __init__(self, work: Path, base: str, pages: int) -> None:
        self.work, self.base, self.pages = work, base, pages

    def urls(self) -> list[str]:
        return [f"{self.base}/rule/{i}.html" for i in range(self.pages)]

    def cycle(self) -> tuple[float, float, float, float, int, str]:
        raise NotImplementedError

    def storage(self) -> int:
        return sum(p.stat().st_size for p in self.work.rglob("*") if p.is_file())


class Rulewatch(Monitor):
    name = "rulewatch"
    env_extra = {"RULEWATCH_HOST_CONCURRENCY": "10", "RULEWATCH_HOST_DELAY": "0"}

    def __init__(self, work: Path, base: str, pages: int) -> None:
        super().__init__(work, base, pages)
        entries = "".join(f"  - name: p{i}\n    url: {u}\n" for i, u in enumerate(self.urls()))
        (work / "sources.yaml").write_text("sources:\n" + entries, encoding="utf-8")

    def cycle(self) -> tuple[float, float, float, float, int, str]:
        # Alerts are delivered to the console, chosen (a bench run is no terminal), as urlwatch prints its reports.
        env = dict(os.environ, RULEWATCH_HOME=str(self.work / "home"), RULEWATCH_SINK="console", **self.env_extra)
        return timed([str(ROOT / ".venv/bin/rulewatch"), "run", "-q", "--sources", str(self.work / "sources.yaml")],
                     env, self.work)


class RulewatchPolite(Rulewatch):
    name = "rulewatch-polite"
    env_extra = {}


class Urlwatch(Monitor):
    name = "urlwatch"

    def __init__(self, work: Path, base: str, pages: int) -> None:
        super().__init__(work, base, pages)
        (work / "urls.yaml").write_text(
            "\n---\n".join(f"name: p{i}\nurl: {u}\nfilter: html2text" for i, u in enumerate(self.urls())) + "\n",
            encoding="utf-8")
        (work / "hooks.py").write_text("", encoding="utf-8")

    def cycle(self) -> tuple[float, float, float, float, int, str]:
        w = self.work
        return timed([str(PEERS / "urlwatch/bin/urlwatch"), "--urls", str(w / "urls.yaml"), "--config",
                      str(w / "urlwatch.yaml"), "--cache", str(w / "cache.db"), "--hooks", str(w / "hooks.py")],
                     dict(os.environ), w)


class ChangeDetection(Monitor):
    name = "changedetection.io"

    def __init__(self, work: Path, base: str, pages: int) -> None:
        super().__init__(work, base, pages)
        (work / "urls.txt").write_text("\n".join(self.urls()) + "\n", encoding="utf-8")
        self.added = False

    def cycle(self) -> tuple[float, float, float, float, int, str]:
        env = dict(os.environ, ALLOW_IANA_RESTRICTED_ADDRESSES="true", DISABLE_VERSION_CHECK="true")
        port = free_port()
        cmd = [str(PEERS / "cdio/bin/changedetection.io"), "-C", "-d", str(self.work / "data"), "-p", str(port),
               "-b", "-r", "all"]
        if not self.added:
            for url in self.urls():
                cmd += ["-u", url]
            self.added = True
        return timed(cmd, env, self.work)


MONITORS = {"rulewatch": Rulewatch, "rulewatch-polite": RulewatchPolite, "urlwatch": Urlwatch,
            "cdio": ChangeDetection}


def run(pages: int, share: float, monitors: list[str], delay: float, repeat: int = 1,
        rewrite: bool = False) -> list[Measure]:
    """Each monitor `repeat` times (fresh site and state each time); the median of each figure. The
    monitors take turns, run by run, so a machine that slows down meanwhile slows them alike."""
    results = []
    by_monitor: dict[str, list[Measure]] = {name: [] for name in monitors}
    for _ in range(repeat):
        for name in monitors:
            by_monitor[name].append(_one(pages, share, name, delay, rewrite))
    for name, runs in by_monitor.items():
        med = Measure(name, pages, share, statistics.median(r.wall for r in runs),
                      statistics.median(r.cpu for r in runs), statistics.median(r.rss_mb for r in runs),
                      statistics.median(r.tree_rss_mb for r in runs),
                      int(statistics.median(r.bytes for r in runs)), max(r.exit for r in runs))
        results.append(med)
        print(json.dumps(asdict(med) | {"runs": repeat}), flush=True)
    return results


def _one(pages: int, share: float, name: str, delay: float, rewrite: bool = False) -> Measure:
    site = SITES[SERVER](pages, share, delay, rewrite=rewrite)
    server = site.serve()
    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        monitor = MONITORS[name](work, f"http://127.0.0.1:{server.server_address[1]}", pages)
        monitor.cycle()  # baseline, not measured
        site.advance()
        sent = site.bytes_sent
        wall, cpu, rss, tree_rss, code, tail = monitor.cycle()
        if code not in (0, 1):
            print(f"  {name} exited {code}: {tail}", file=sys.stderr)
        return Measure(name, pages, share, round(wall, 2), round(cpu, 2), round(rss, 1), round(tree_rss, 1),
                       site.bytes_sent - sent, code)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, nargs="+", default=[500, 5000])
    ap.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.05, 0.5])
    ap.add_argument("--monitors", nargs="+", default=["rulewatch", "urlwatch", "cdio"], choices=sorted(MONITORS))
    ap.add_argument("--delay", type=float, default=0.0, help="seconds the site waits before each answer")
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure; the median is printed")
    ap.add_argument("--rewrite", action="store_true", help="a changed page is rewritten whole, every article new")
    ap.add_argument("--server", choices=sorted(SITES), default="nginx" if nginx_available() else "python",
                    help="what serves the pages: nginx (Debian's package; the default where installed) or "
                         "benchsite's Python server (needed for --delay)")
    ap.add_argument("--tree-rss", action="store_true",
                    help="sample the summed RSS of each monitor's process tree (perturbs timings a little)")
    a = ap.parse_args()
    global SAMPLE_TREE_RSS, SERVER
    SAMPLE_TREE_RSS = a.tree_rss
    SERVER = "python" if a.delay else a.server
    print(f"# pages served by {SERVER}", flush=True)
    available = [m for m in a.monitors if m.startswith("rulewatch") or
                 (PEERS / {"urlwatch": "urlwatch", "cdio": "cdio"}[m] / "bin").exists()]
    for pages in a.pages:
        for share in a.shares:
            run(pages, share, available, a.delay, a.repeat, a.rewrite)
            time.sleep(0.5)


if __name__ == "__main__":
    main()
