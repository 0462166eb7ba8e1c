"""The pages: the inbox and its filters, an alert with its exact change and triage, a rule's dossier, the
calendar and its .ics, search, sources, the audit log and its CSV, in English and Chinese; scraped text
shown as text, links from pages only when http(s)."""

from __future__ import annotations

import csv
import io

from webdesk import HOSTILE_TITLE, Site, csrf_of

from rulewatch.services.triage import Asked, decide


def test_the_inbox_lists_newest_first_and_filters(site: Site) -> None:
    client = site.client("vera")
    page = client.get(site.url + "/", timeout=30).text
    titles = ["网络安全事件报告管理办法", "关于政府采购第3批信息技术产品的通知", "银行保险机构数据安全管理办法"]
    positions = [page.index(t) for t in titles]
    assert positions == sorted(positions)
    high = client.get(site.url + "/?severity=high", timeout=30).text
    assert "银行保险机构数据安全管理办法" in high and "政府采购第3批" not in high
    assert "2 hours" in high and "effective 2027-01-01" in high  # the one-line change and its key date
    by_source = client.get(site.url + "/?source=ccgp", timeout=30).text
    assert "政府采购第3批" in by_source and "数据安全管理办法" not in by_source
    assert "No alert matches." in client.get(site.url + "/?q=nothing-like-this", timeout=30).text


def test_scraped_markup_is_shown_as_text_and_never_runs(site: Site) -> None:
    client = site.client("vera")
    for path in ("/", f"/alerts/{site.alert_ids()[HOSTILE_TITLE]}"):
        page = client.get(site.url + path, timeout=30).text
        assert "<script>alert(1)</script>" not in page and 'onerror="alert(2)"' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    ccgp = client.get(f"{site.url}/alerts/{site.alert_ids()['关于政府采购第3批信息技术产品的通知']}", timeout=30).text
    assert "javascript:" not in ccgp  # a page's link that is not http(s) is not a link


def test_an_alert_shows_its_exact_change_dates_and_deliveries(site: Site) -> None:
    client = site.client("tom")
    page = client.get(f"{site.url}/alerts/{site.alert_ids()['银行保险机构数据安全管理办法']}", timeout=30).text
    assert "<del>" in page or 'class="removed"' in page
    assert "本办法自2027年1月1日起施行。" in page and "reporting deadline 24 hours → 2 hours" in page
    assert 'href="https://reg.example/data"' in page and "Not applicable" in page


def test_a_rules_dossier_is_printable_with_its_versions_and_decisions(site: Site) -> None:
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    decide(site.app.store, Asked(alert_id, "applicable", "li", "cli"), site.app.settings.today())
    rule_id = site.app.store.rules.rule_of([alert_id])[alert_id]
    page = site.client("vera").get(f"{site.url}/rules/{rule_id}", timeout=30).text
    assert "Dossier" in page and "银行保险机构数据安全管理办法" in page and "takes effect" in page
    assert "li" in page and "applicable" in page
    css = site.client("vera").get(site.url + "/static/app.css", timeout=30).text
    assert "@media print" in css


def test_calendar_search_sources_and_audit(site: Site) -> None:
    client = site.client("vera")
    assert "2027-01-01" in client.get(site.url + "/calendar", timeout=30).text
    ics = client.get(site.url + "/calendar.ics", timeout=30)
    assert ics.headers["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.content
    assert "ccgp" in client.get(site.url + "/sources", timeout=30).text
    assert client.get(site.url + "/search?q=b0", timeout=30).status_code == 200
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    decide(site.app.store, Asked(alert_id, "not_applicable", "li", "cli", reason="=HYPERLINK(\"x\")"),
           site.app.settings.today())
    rows = list(csv.DictReader(io.StringIO(client.get(site.url + "/audit.csv", timeout=30).text)))
    assert rows[0]["reason"] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, never runs it
    assert "HYPERLINK" in client.get(site.url + "/audit", timeout=30).text


def test_the_workspace_speaks_chinese_when_asked(site: Site) -> None:
    client = site.client("vera")
    by_browser = client.get(site.url + "/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}, timeout=30).text
    assert "收件箱" in by_browser and 'lang="zh-CN"' in by_browser
    client.get(site.url + "/?lang=en", timeout=30)  # picked: kept in a cookie
    assert "Inbox" in client.get(site.url + "/", headers={"Accept-Language": "zh-CN"}, timeout=30).text


def test_logging_out_ends_the_session(site: Site) -> None:
    client = site.client("vera")
    csrf = csrf_of(client.get(site.url + "/", timeout=30).text)
    client.post(site.url + "/logout", data={"csrf": csrf}, timeout=30)
    assert client.get(site.url + "/", allow_redirects=False, timeout=30).status_code == 303
