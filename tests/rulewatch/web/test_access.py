"""Who gets in and what they may do: nothing without a login, no change without the CSRF token or the
triager role, guessing slowed then stopped, the proxy's header believed only from the proxy. On SQLite
and PostgreSQL, over HTTP on 127.0.0.1."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from webdesk import PASSWORD, Site, csrf_of, served_site

from rulewatch.services.triage import audit
from rulewatch.services.users import LOCK_FAILURES, set_password


@pytest.mark.parametrize("path", ["/", "/alerts/1", "/rules/1", "/calendar", "/search?q=x", "/sources", "/audit"])
def test_nobody_sees_anything_without_logging_in(site: Site, path: str) -> None:
    answer = requests.get(site.url + path, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/audit.csv", "/calendar.ics"])
def test_downloads_without_a_login_are_401(site: Site, path: str) -> None:
    assert requests.get(site.url + path, allow_redirects=False, timeout=30).status_code == 401


def test_a_calendar_app_subscribes_with_a_personal_link_that_a_new_password_revokes(site: Site) -> None:
    page = site.client("vera").get(site.url + "/calendar", timeout=30).text
    link = re.search(r'href="(/calendar\.ics\?token=[^"]+)"', page)
    assert link, page
    feed = html.unescape(link.group(1))
    answer = requests.get(site.url + feed, timeout=30)  # no session: a calendar app
    assert answer.status_code == 200 and b"BEGIN:VCALENDAR" in answer.content
    forged = feed[:-3] + ("aaa" if not feed.endswith("aaa") else "bbb")
    assert requests.get(site.url + forged, timeout=30).status_code == 401
    assert requests.get(site.url + "/calendar.ics?token=tom~" + "0" * 40, timeout=30).status_code == 401
    set_password(site.app.store, "vera", "a brand new long password")
    assert requests.get(site.url + feed, timeout=30).status_code == 401


def test_the_session_cookie_is_httponly_and_samesite_and_every_page_forbids_script(site: Site) -> None:
    client = site.client("vera")
    cookie = next(c for c in client.cookies if c.name == "rulewatch_session")
    assert "httponly" in {k.lower() for k in cookie._rest} and not cookie.secure  # type: ignore[attr-defined]
    raw = requests.post(f"{site.url}/login", data={"username": "vera", "password": PASSWORD,
                                                    "csrf": csrf_of(client.get(f"{site.url}/login").text)},
                        cookies=client.cookies, allow_redirects=False, timeout=30).headers["set-cookie"]
    assert "httponly" in raw.lower() and "samesite=lax" in raw.lower()
    page = client.get(site.url + "/", timeout=30)
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text


def test_a_wrong_password_is_refused_and_guessing_is_slowed_then_stopped(site: Site) -> None:
    client = requests.Session()
    statuses = [site.log_in(client, "tom", "not the password!!").status_code for _ in range(LOCK_FAILURES)]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert site.log_in(client, "tom", PASSWORD).status_code == 429  # even the right password, for now
    failures = site.app.store.users.failures_since("2000-01-01", "tom", "127.0.0.1")
    assert failures == LOCK_FAILURES + 1


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    answer = site.log_in(requests.Session(), "nobody", PASSWORD)
    assert answer.status_code == 401 and "Wrong user name or password." in answer.text


def test_a_login_form_without_its_token_is_refused(site: Site) -> None:
    answer = requests.post(f"{site.url}/login", data={"username": "tom", "password": PASSWORD}, timeout=30)
    assert answer.status_code == 403


def _triage(client: requests.Session, site: Site, alert_id: int, csrf: str | None, **fields: str) -> requests.Response:
    data = dict(fields)
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(f"{site.url}/alerts/{alert_id}/triage", data=data, allow_redirects=False, timeout=30)


def test_a_viewer_reads_but_cannot_triage(site: Site) -> None:
    client = site.client("vera")
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    page = client.get(f"{site.url}/alerts/{alert_id}", timeout=30)
    assert page.status_code == 200 and "ask an admin for the triager role" in page.text
    answer = _triage(client, site, alert_id, csrf_of(page.text), state="applicable")
    assert answer.status_code == 403 and audit(site.app.store) == []


def test_a_triage_post_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.client("tom")
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    assert _triage(client, site, alert_id, None, state="applicable").status_code == 403
    assert _triage(client, site, alert_id, "forged", state="applicable").status_code == 403
    assert audit(site.app.store) == []


def test_a_triager_decides_and_the_decision_is_the_same_event_as_elsewhere(site: Site) -> None:
    client = site.client("tom")
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    csrf = csrf_of(client.get(f"{site.url}/alerts/{alert_id}", timeout=30).text)
    answer = _triage(client, site, alert_id, csrf, state="not_applicable", reason="no EU branch")
    assert answer.status_code == 303
    (event,) = audit(site.app.store)
    assert (event.actor, event.via, event.to_state, event.reason) == ("tom", "web", "not_applicable", "no EU branch")
    refused = _triage(client, site, alert_id, csrf, state="done")  # done needs its note: said, nothing recorded
    assert refused.status_code == 400 and "done needs a closing note" in refused.text
    assert len(audit(site.app.store)) == 1
    page = client.get(f"{site.url}/alerts/{alert_id}", timeout=30).text
    assert "no EU branch" in page and 'class="event"' in page


def test_a_new_password_ends_the_old_sessions(site: Site) -> None:
    client = site.client("tom")
    assert client.get(site.url + "/", allow_redirects=False, timeout=30).status_code == 200
    set_password(site.app.store, "tom", "another long password")
    assert client.get(site.url + "/", allow_redirects=False, timeout=30).status_code == 303


def test_a_login_never_redirects_off_the_site(site: Site) -> None:
    client = requests.Session()
    page = client.get(f"{site.url}/login?next=//evil.example/x", timeout=30)
    assert 'value="/"' in page.text or "evil.example" not in page.text.split('name="next"')[1][:40]
    answer = client.post(f"{site.url}/login", data={"username": "tom", "password": PASSWORD, "csrf": csrf_of(page.text),
                                                    "next": "https://evil.example/"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


@pytest.fixture
def proxied(database_url: str, tmp_path: Path) -> Iterator[Site]:
    yield from served_site(database_url, tmp_path / "home", RULEWATCH_WEB_AUTH="header",
                           RULEWATCH_WEB_PROXIES="127.0.0.1/32", RULEWATCH_WEB_GROUP_ROLES="compliance=triager,*=viewer")


def test_header_mode_believes_the_proxy_and_maps_groups_to_roles(proxied: Site) -> None:
    as_proxy = {"X-Forwarded-User": "li.wei", "X-Forwarded-Groups": "staff,compliance"}
    page = requests.get(proxied.url + "/", headers=as_proxy, allow_redirects=False, timeout=30)
    assert page.status_code == 200 and "li.wei" in page.text and "(triager)" in page.text
    viewer = requests.get(proxied.url + "/", headers={"X-Forwarded-User": "guest"}, timeout=30)
    assert "(viewer)" in viewer.text


def test_header_mode_ignores_the_header_from_any_other_address(database_url: str, tmp_path: Path) -> None:
    for site in served_site(database_url, tmp_path / "home", RULEWATCH_WEB_AUTH="header",
                            RULEWATCH_WEB_PROXIES="10.9.8.7", RULEWATCH_WEB_GROUP_ROLES="*=admin"):
        answer = requests.get(site.url + "/", headers={"X-Forwarded-User": "mallory"}, allow_redirects=False,
                              timeout=30)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_decision_after_a_newer_release_upgraded_the_database_is_refused_whole(site: Site) -> None:
    from sqlalchemy import create_engine, text

    client = site.client("tom")
    alert_id = site.alert_ids()["银行保险机构数据安全管理办法"]
    csrf = csrf_of(client.get(f"{site.url}/alerts/{alert_id}", timeout=30).text)
    engine = create_engine(site.app.store.url)
    with engine.begin() as conn:  # a newer rulewatch upgraded the database while this workspace ran
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    answer = _triage(client, site, alert_id, csrf, state="applicable")
    assert answer.status_code == 503 and answer.text.startswith("rulewatch cannot write to its database now")
    assert "0099" not in answer.text and audit(site.app.store) == []
