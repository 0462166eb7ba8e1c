"""Per-host limits hold across processes when they share one state database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

EXE = Path(sys.executable).parent / "rulewatch"
PAGE = "<html><body><div class='content'><h1>网络安全办法</h1><p>第一条 为了保障网络安全，制定本办法。</p></div></body></html>".encode()


class Recorder:
    """A site that records when each request started and ended, by whom, and how many overlapped."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.spans: dict[str, list[tuple[float, float]]] = {}  # User-Agent -> (start, end) of its requests
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with recorder.lock:
                    start = time.monotonic()
                    recorder.starts.append(start)
                    recorder.active += 1
                    recorder.peak = max(recorder.peak, recorder.active)
                time.sleep(0.15)
                with recorder.lock:
                    recorder.active -= 1
                    agent = self.headers.get("User-Agent", "")
                    recorder.spans.setdefault(agent, []).append((start, time.monotonic()))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def two_runs(tmp_path: Path, database_url: str, shared: str) -> Recorder:
    site = Recorder()
    src = tmp_path / f"sources-{shared}.yaml"
    src.write_text("sources:\n" + "".join(f"  - name: s{n}\n    url: {site.url(f'/p{n}')}\n" for n in range(4)),
                   encoding="utf-8")
    env = dict(os.environ, RULEWATCH_DATABASE_URL=database_url, RULEWATCH_HOME=str(tmp_path / "home"),
               RULEWATCH_HOST_CONCURRENCY="1", RULEWATCH_HOST_DELAY="0.2", RULEWATCH_SHARED_POLITENESS=shared)
    # Each process names itself in its User-Agent (through the contact URL), so the site can tell them apart.
    procs = [subprocess.Popen([str(EXE), "run", "-q", "--no-deliver", "--sources", str(src)],
                              env=dict(env, RULEWATCH_CONTACT_URL=f"https://process-{n}.example/"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for n in range(2)]
    for p in procs:
        out = p.communicate(timeout=120)[0]
        assert p.returncode == 0, out
    site.server.shutdown()
    return site


@pytest.mark.slow
def test_two_processes_keep_one_hosts_limits(tmp_path: Path, database_url: str) -> None:
    site = two_runs(tmp_path, database_url, "1")
    assert len(site.starts) == 8
    assert site.peak == 1
    gaps = [b - a for a, b in zip(sorted(site.starts), sorted(site.starts)[1:], strict=False)]
    # The site stamps each request when its handler starts, after the sender's pacing: on a busy machine
    # a request handled late shortens the next gap a little. Unshared, the two processes overlap (~0 s).
    assert min(gaps) >= 0.15


@pytest.mark.slow
def test_without_sharing_each_process_only_limits_itself(tmp_path: Path) -> None:
    """What is guaranteed without sharing: each process keeps the limits for its own requests (whether
    the two processes happen to overlap depends on the machine's load, so that is not asserted)."""
    site = two_runs(tmp_path, f"sqlite:///{tmp_path / 'alone.db'}", "0")
    assert len(site.spans) == 2 and sorted(len(s) for s in site.spans.values()) == [4, 4]
    for spans in site.spans.values():
        ordered = sorted(spans)
        for (start, end), (next_start, _) in zip(ordered, ordered[1:], strict=False):
            assert next_start >= end  # one request at a time (host_concurrency 1)
            assert next_start - start >= 0.18  # starts at least host_delay apart
