"""A delivered alert in a Slack-compatible server, and rulewatch's Slack app serving its clicks on
127.0.0.1 (uvicorn, as `rulewatch slack-app` serves them)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fakeslack import FakeSlack
from slackpayloads import SECRET

from rulewatch.alerts.deliver import deliver_pending
from rulewatch.app import App
from rulewatch.core.model import Document, Item
from rulewatch.detection.compare import compare
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.slackapp.serve import EVENTS_PATH, bolt_app, http_app

TOKEN = "xoxb-test-token-123"
TITLES = ["关于银行业金融机构信息科技外包风险监管的通知", "关于政府采购安全可控信息技术产品的通知"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(port: int) -> bool:
    """Whether a server on 127.0.0.1:`port` answers its /healthz."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def wait_for(what: Callable[[], Any], timeout: float = 30.0) -> Any:
    """`what()` once it is truthy: the app acknowledges first and acts after, so tests wait for the act."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def _lst(*titles: str) -> Document:
    return Document(kind="list", url="http://x/list",
                    items=[Item(id=t, title=t, url=f"http://x/{TITLES.index(t) if t in TITLES else 'base'}")
                           for t in titles])


@dataclass
class Desk:
    url: str
    app: App
    slack: FakeSlack
    env: dict[str, str]
    posted: list[tuple[int, str]]  # (alert id, message ts) of each delivered alert, oldest first


def delivered_app(database_url: str, slack: FakeSlack, home: Path, **extra: str) -> tuple[App, dict[str, str]]:
    """An app whose store holds two rule alerts, delivered to #alerts with triage buttons."""
    env = {"RULEWATCH_HOME": str(home), "RULEWATCH_DATABASE_URL": database_url, "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_CHANNEL": "C-ALERTS", "SLACK_API_BASE_URL": slack.base_url, "SLACK_TRIAGE_BUTTONS": "true",
           "SLACK_SIGNING_SECRET": SECRET, "RULEWATCH_TIMEZONE": "UTC", **extra}
    app = App.from_env(env)
    taxonomy = Taxonomy.load()
    app.store.record_success(name="nfra", url="http://x/list", document=_lst("基线"), etag="", last_modified="",
                             change=None, verdict=None)
    shown = ["基线"]
    for title in TITLES:
        old, new = _lst(*shown), _lst(title, *shown)
        shown = [title, *shown]
        change = compare(old, new)
        app.store.record_success(name="nfra", url="http://x/list", document=new, etag="", last_modified="",
                                 change=change, verdict=judge(change, old, new, taxonomy))
    report = deliver_pending(app.store, app.sinks)
    assert len(report.delivered) == len(TITLES), [(a.kind, a.title) for a in app.store.outbox.alerts()]
    return app, env


def posted_alerts(desk_app: App) -> list[tuple[int, str]]:
    alerts = desk_app.store.outbox.alerts(newest_first=False)
    found = desk_app.store.outbox.deliveries_by_alert([a.outbox_id for a in alerts])
    return [(a.outbox_id, found[a.outbox_id][0].ts) for a in alerts]


class Served:
    """A Starlette app under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, asgi: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        assert wait_for(lambda: self.server.started, 20), "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN) as server:
        server.add_user("U0JANE", "Jane Doe")
        server.add_user("U0BOB", "Bob Li")
        server.add_user("U0EVE", "Eve Outsider")
        yield server


@pytest.fixture
def desk(database_url: str, slack: FakeSlack, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Desk]:
    extra = getattr(request, "param", {})
    app, env = delivered_app(database_url, slack, tmp_path / "home", **extra)
    with app, Served(http_app(bolt_app(app, env))) as served:
        yield Desk(f"http://127.0.0.1:{served.port}{EVENTS_PATH}", app, slack, env, posted_alerts(app))
