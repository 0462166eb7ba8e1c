"""The web workspace served on 127.0.0.1 (uvicorn, as `rulewatch web` serves it) over a store holding
delivered rule alerts, with accounts of each role; and a logged-in HTTP client for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from outbox import record_alerts
from slackdesk import Served

from rulewatch.app import App
from rulewatch.core.model import Alert, KeyDate
from rulewatch.services.users import add_user
from rulewatch.web.app import create_app

PASSWORD = "correct horse battery staple"
HOSTILE_TITLE = '<script>alert(1)</script><img src=x onerror="alert(2)">网络安全事件报告管理办法'


def rule_alerts() -> list[Alert]:
    return [
        Alert(kind="changed_text", title="银行保险机构数据安全管理办法", url="https://reg.example/data", subject="data",
              source="nfra", topics=("cybersecurity",), matched_terms=("数据安全",), severity="high",
              publisher="NFRA", rule_key="name:银行保险机构数据安全管理办法", rule_role="amended",
              gloss_en="reporting deadline 24 hours → 2 hours", added="第四条 应当在两小时内报告。",
              removed="第四条 应当在二十四小时内报告。",
              key_dates=(KeyDate("effective", "2027-01-01", "本办法自2027年1月1日起施行。"),)),
        Alert(kind="new_item", title="关于政府采购第3批信息技术产品的通知", url="javascript:alert(3)", subject="i3",
              source="ccgp", topics=("procurement",), matched_terms=("采购",), severity="low", publisher="CCGP",
              rule_key="name:关于政府采购第3批信息技术产品的通知", rule_role="published", added="第3批名单"),
        Alert(kind="new_item", title=HOSTILE_TITLE, url="https://reg.example/x", subject="x", source="cac",
              topics=("cybersecurity",), matched_terms=("网络安全",), severity="medium", publisher="CAC",
              rule_key="name:网络安全事件报告管理办法", rule_role="published", added="<b>bold</b> & more"),
    ]


@dataclass
class Site:
    url: str
    app: App

    def client(self, name: str = "", password: str = PASSWORD) -> requests.Session:
        """A browser-like client, logged in as `name` (anonymous when "")."""
        session = requests.Session()
        if name:
            answer = self.log_in(session, name, password)
            assert answer.status_code == 200 and answer.url.rstrip("/") == self.url, answer.text[:500]
        return session

    def log_in(self, session: requests.Session, name: str, password: str) -> requests.Response:
        page = session.get(f"{self.url}/login", timeout=30)
        return session.post(f"{self.url}/login", data={"username": name, "password": password,
                                                          "csrf": csrf_of(page.text), "next": "/"}, timeout=60)

    def alert_ids(self) -> dict[str, int]:
        return {a.title: a.outbox_id for a in self.app.store.outbox.alerts()}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def served_site(database_url: str, home: Path, **env: str) -> Iterator[Site]:
    full = {"RULEWATCH_HOME": str(home), "RULEWATCH_DATABASE_URL": database_url, "RULEWATCH_TIMEZONE": "UTC",
            "RULEWATCH_WEB_LOGIN_DELAY": "0.01", **env}  # guessing is slowed by counts here, not by seconds
    app = App.from_env(full)
    record_alerts(app.store, rule_alerts())
    for name, role in (("vera", "viewer"), ("tom", "triager"), ("ada", "admin")):
        add_user(app.store, name, role, PASSWORD, "test")
    with app, Served(create_app(app, full)) as served:
        yield Site(f"http://127.0.0.1:{served.port}", app)


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    yield from served_site(database_url, tmp_path / "home")
