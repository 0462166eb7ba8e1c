"""An admin manages accounts in the workspace; nobody else may, and no admin can lock themself out."""

from __future__ import annotations

import requests
from webdesk import PASSWORD, Site, csrf_of

from rulewatch.services.users import users


def _post(client: requests.Session, site: Site, **fields: str) -> requests.Response:
    csrf = csrf_of(client.get(f"{site.url}/", timeout=30).text)
    return client.post(f"{site.url}/users", data={"csrf": csrf, **fields}, allow_redirects=False, timeout=60)


def test_an_admin_adds_changes_and_removes_accounts(site: Site) -> None:
    admin = site.client("ada")
    assert 'href="/users"' in admin.get(site.url + "/", timeout=30).text
    assert _post(admin, site, action="add", name="auditor", role="viewer", password=PASSWORD).status_code == 303
    assert site.client("auditor").get(site.url + "/", timeout=30).status_code == 200
    assert _post(admin, site, action="role", name="auditor", role="triager").status_code == 303
    assert _post(admin, site, action="remove", name="vera").status_code == 303
    assert {(a.name, a.role) for a in users(site.app.store)} == {("ada", "admin"), ("tom", "triager"),
                                                                 ("auditor", "triager")}
    refused = _post(admin, site, action="add", name="x", role="viewer", password="short")
    assert refused.status_code == 400 and "at least 12 characters" in refused.text
    myself = _post(admin, site, action="remove", name="ada")
    assert myself.status_code == 400 and "cannot remove yourself" in myself.text


def test_only_an_admin_sees_or_changes_accounts(site: Site) -> None:
    triager = site.client("tom")
    assert 'href="/users"' not in triager.get(site.url + "/", timeout=30).text
    assert triager.get(site.url + "/users", timeout=30).status_code == 403
    assert _post(triager, site, action="add", name="eve", role="admin", password=PASSWORD).status_code == 403
    assert "eve" not in {a.name for a in users(site.app.store)}


def test_the_sources_page_shows_each_sources_last_change(site: Site) -> None:
    page = site.client("vera").get(site.url + "/sources", timeout=30).text
    assert "Last change" in page and "nfra" in page
