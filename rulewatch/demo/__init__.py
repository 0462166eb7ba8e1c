"""`rulewatch demo`: rulewatch at work with no network and no credentials.

A bundled replay of regulator pages (a rule page amended under noise, a GBK notice list with a new
item, an NFRA-style JSON API with a withdrawal and ticking view counters, an RSS feed) is served on
127.0.0.1 in two versions; two cycles run in a temporary RULEWATCH_HOME and the alerts are shown.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

DEMO_SOURCES = {  # name: (entry, description, publisher)
    "demo-rule-page": ("rule/index.html", "A rule page: an incident-reporting deadline is amended",
                       "Demo Banking Regulator"),
    "demo-notice-list": ("notices/index.html", "A GBK notice list: a source-code filing notice appears",
                         "Demo Central Bank"),
    "demo-json-api": ("api/list.json", "An NFRA-style JSON list API: an outsourcing rule is withdrawn",
                      "Demo Financial Regulator (NFRA-style)"),
    "demo-rss-feed": ("feed/rss.xml", "A Federal Register-style RSS feed: an incident rule is published",
                      "Demo Federal Register"),
}


class ReplayServer(http.server.ThreadingHTTPServer):
    """A static file server whose root can be switched between phases, on one port."""

    root: Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, request: object, client_address: object, server: ReplayServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve(directory: Path) -> Iterator[ReplayServer]:
    """Serve `directory` on 127.0.0.1 (a free port) until the context ends; switch with `.root`."""
    server = ReplayServer(("127.0.0.1", 0), _QuietHandler)
    server.root = directory
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: ReplayServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def site_root() -> Path:
    return Path(str(resources.files("rulewatch.demo").joinpath("site")))


def copy_site(target: Path) -> Path:
    """Copy the replay to `target`, dating phase 1 a day back so phase 2 reads as newly published
    (a checkout gives every file the same mtime, and servers answer 304 on equal dates)."""
    shutil.copytree(site_root(), target)
    day_ago = time.time() - 86400
    for path in (target / "phase1").rglob("*"):
        os.utime(path, (day_ago, day_ago))
    return target


def write_sources(path: Path, base: str) -> None:
    lines = ["sources:"]
    for name, (entry, description, publisher) in DEMO_SOURCES.items():
        lines += [f"  - name: {name}", f"    url: {base}/{entry}", f"    description: {json.dumps(description)}",
                  f"    publisher: {json.dumps(publisher)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_demo(out: object = None, slack: bool = False) -> int:
    """Two cycles over the bundled replay, then its alerts: on the console, or with `slack` to the sinks
    the environment configures (SLACK_BOT_TOKEN and SLACK_CHANNEL, ...)."""
    from rulewatch.alerts.deliver import ConsoleSink, deliver_pending
    from rulewatch.app import App
    from rulewatch.services.checking import check

    stream = sys.stdout if out is None else out
    with tempfile.TemporaryDirectory(prefix="rulewatch-demo-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, RULEWATCH_HOME=str(work / "home"), RULEWATCH_HOST_DELAY="0")
        env.pop("RULEWATCH_DATABASE_URL", None)
        with App.from_env(env) as app:
            site = copy_site(work / "site")
            with serve(site / "phase1") as server:
                base = base_url(server)
                sources_file = work / "sources.yaml"
                write_sources(sources_file, base)
                sources = app.load_sources(sources_file)
                for phase, label in (("phase1", "first sight: baseline, no alerts"), ("phase2", "a week later")):
                    server.root = site / phase
                    print(f"\n--- cycle: {label} ({base})", file=stream)  # type: ignore[arg-type]
                    report = check(app, sources, deliver=False).report
                    for o in report.outcomes:
                        detail = o.error or o.summary
                        print(f"  {o.name:<18} {o.status:<9} {detail}", file=stream)  # type: ignore[arg-type]
                    if report.failed:
                        return 1
            if slack:
                sinks = [s for s in app.sinks if s.name != "console"]
                if not sinks:
                    print("demo --slack: no sink is configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL)",
                          file=sys.stderr)
                    return 2
                delivery = deliver_pending(app.store, sinks)
                print(f"\n--- {len(delivery.delivered)} alert(s) sent to {', '.join(s.name for s in sinks)}; "
                      f"{len(delivery.failed)} not: {'; '.join(sorted(set(delivery.failed.values())))}",
                      file=stream)  # type: ignore[arg-type]
                return 0 if delivery.ok else 1
            print("\n--- alerts (printed to the console; `rulewatch demo --slack` sends them to Slack)\n",
                  file=stream)  # type: ignore[arg-type]
            deliver_pending(app.store, ConsoleSink(stream))  # type: ignore[arg-type]
    return 0
