"""Two cycles over the same state at once (a scheduled run and a manual run): no duplicate alerts, no
lost snapshot, no "database is locked", on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from faultserver import FaultServer, respond

from rulewatch.state import Store

EXE = Path(sys.executable).parent / "rulewatch"
TOKEN = "xoxb-test-token-123"
N = 6


def page(n: int, rule: str) -> bytes:
    return (f"<html><body><div class='content'><h1>网络安全管理办法（第{n}号）</h1>"
            f"<p>第一条 为了规范网络安全管理，制定本办法。</p><p>第二条 {rule}</p></div></body></html>").encode()


@pytest.mark.slow
def test_two_runs_at_once_neither_duplicate_nor_lose(database_url: str, tmp_path: Path) -> None:
    site = FaultServer()
    site.routes["/robots.txt"] = respond(b"", status=404)
    for n in range(N):
        site.routes[f"/r{n}"] = respond(page(n, "本办法自发布之日起施行。"))
    src = tmp_path / "sources.yaml"
    src.write_text("sources:\n" + "".join(f"  - name: r{n}\n    url: {site.url(f'/r{n}')}\n" for n in range(N)),
                   encoding="utf-8")
    with FakeSlack(TOKEN) as slack:
        env = dict(os.environ, RULEWATCH_DATABASE_URL=database_url, RULEWATCH_HOME=str(tmp_path / "home"),
                   RULEWATCH_HOST_DELAY="0", RULEWATCH_WORKERS="2", SLACK_BOT_TOKEN=TOKEN,
                   SLACK_CHANNEL="C-ALERTS", SLACK_API_BASE_URL=slack.base_url)
        cmd = [str(EXE), "run", "--sources", str(src)]

        def both() -> list[subprocess.CompletedProcess[str]]:
            procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for _ in range(2)]
            return [subprocess.CompletedProcess(cmd, p.wait(120), p.communicate()[0], "") for p in procs]

        for run in both():
            assert run.returncode == 0, run.stdout
            assert "locked" not in run.stdout.lower()
        for n in range(N):
            site.routes[f"/r{n}"] = respond(page(n, "本办法自2027年1月1日起施行。"))
        results = both()
        for run in results:
            assert run.returncode == 0, run.stdout
            assert "locked" not in run.stdout.lower() and "Traceback" not in run.stdout
    site.stop()
    store = Store(database_url)
    try:
        alerts = store.outbox.alerts()
        assert sorted(a.source for a in alerts) == [f"r{n}" for n in range(N)]  # one each, none twice
        assert all(a.delivered_at for a in alerts)
        for n in range(N):
            snaps = store.snapshots.of(f"r{n}")
            assert len(snaps) == 2 and len(store.snapshots.changes(f"r{n}")) == 1
    finally:
        store.close()
    assert sorted(m["text"] for m in slack.posted()) == sorted(f"Amended: 网络安全管理办法（第{n}号）" for n in range(N))
