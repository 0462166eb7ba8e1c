"""The web workspace over a year of history: how long each page takes to answer, logged in, over HTTP
on 127.0.0.1 (uvicorn in this process, as `rulewatch web` serves it). The target is 200 ms a page.

    .venv/bin/python bench/web_bench.py [--sources 500] [--days 365] [--per-hour 5]

The store is filled as bench/history_bench.py fills it (a year of hourly cycles: 43,800 changes and
alerts at the defaults), each alert filed under its rule as a cycle files it, with a hundred triage
decisions; then each page is fetched 7 times and the
median is printed, in milliseconds.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
import uvicorn  # noqa: E402
from history_bench import fill  # noqa: E402

from rulewatch.app import App  # noqa: E402
from rulewatch.detection.rules import filed  # noqa: E402
from rulewatch.services.triage import Asked, decide  # noqa: E402
from rulewatch.services.users import add_user  # noqa: E402
from rulewatch.web.app import create_app  # noqa: E402

PASSWORD = "a bench password, long enough"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-hour", type=int, default=5)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    env = {"RULEWATCH_HOME": str(work), "RULEWATCH_DATABASE_URL": f"sqlite:///{work / 'rulewatch.db'}"}
    app = App.from_env(env)
    try:
        started = time.monotonic()
        recorded = fill(app.store, a.sources, a.days, a.per_hour,
                        datetime.now(UTC).replace(microsecond=0) - timedelta(days=a.days))
        # The history bench records bare findings; file them under their rules as the runner's judge would.
        app.store.rules.file_recorded([(x.outbox_id, filed(x)) for x in app.store.outbox.alerts(newest_first=False)],
                                      [])
        alerts = app.store.outbox.alerts(limit=100)
        for n, alert in enumerate(alerts):
            decide(app.store, Asked(alert.outbox_id, ("applicable", "not_applicable")[n % 2], "bench", "cli",
                                    reason="bench" if n % 2 else ""), app.settings.today())
        add_user(app.store, "bench", "triager", PASSWORD, "bench")
        print(f"# sqlite: {recorded} changes in {time.monotonic() - started:.0f} s; 100 decisions", flush=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(app, env), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        client = requests.Session()
        login = client.get(f"{url}/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        client.post(f"{url}/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
        newest = alerts[0].outbox_id
        rule = app.store.rules.rule_of([newest])[newest]
        pages = {"inbox": "/", "inbox, filtered (high, a source)": f"/?severity=high&source={alerts[0].source}",
                 "inbox, page 10": "/?page=10", "an alert": f"/alerts/{newest}", "a rule's dossier": f"/rules/{rule}",
                 "calendar": "/calendar", "sources": "/sources", "audit log": "/audit",
                 "search (newest 50)": "/search?q=网络安全"}
        for label, path in pages.items():
            times = []
            for _ in range(7):
                begun = time.perf_counter()
                answer = client.get(url + path)
                times.append(time.perf_counter() - begun)
                assert answer.status_code == 200, (path, answer.status_code)
            print(f"{label}: {statistics.median(times) * 1000:.0f} ms", flush=True)
        server.should_exit = True
        thread.join(10)
    finally:
        app.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
