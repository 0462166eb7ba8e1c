"""The workspace in a real browser (Playwright driving Debian's Chromium, as the browser fetcher's tests
do): log in, filter the inbox, open an alert, triage it, see its audit line, print its rule's dossier.
Screenshots of the inbox, an alert and a dossier are taken each run; `make screenshots` keeps them for
the README (RULEWATCH_SCREENSHOTS names the folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webdesk import PASSWORD, Site

from rulewatch.scrapers.browser import BrowserUnavailable, find_browser
from rulewatch.services.triage import audit


@pytest.fixture
def page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser extra is not installed")
    try:
        executable = find_browser()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
        yield context.new_page()
        context.close()
        browser.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    keep = os.environ.get("RULEWATCH_SCREENSHOTS", "").strip()
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_log_in_filter_open_triage_and_print_in_a_browser(site: Site, page: Any, tmp_path: Path) -> None:
    page.goto(site.url + "/")
    assert "/login" in page.url  # nothing without logging in
    page.fill("input[name=username]", "tom")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")
    _shot(page, tmp_path, "inbox")
    page.select_option("select[name=severity]", "high")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 1 and "数据安全管理办法" in rows.first.inner_text()
    rows.first.locator("a.rule").click()
    assert page.locator("del, blockquote.removed").count() >= 1
    page.locator("form:has(input[value=applicable]) button").click()
    page.wait_for_url("**/alerts/*")
    assert page.locator("#triage .state").first.inner_text().strip() == "Applicable"
    assert "tom" in page.locator("tr.event").first.inner_text()
    (event,) = audit(site.app.store)
    assert (event.actor, event.via, event.to_state) == ("tom", "web", "applicable")
    _shot(page, tmp_path, "alert")
    page.click("text=Dossier")
    page.wait_for_url("**/rules/*")
    _shot(page, tmp_path, "dossier")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # the binder copy has no navigation
    assert page.locator("h1").is_visible()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    scripts = page.evaluate("document.scripts.length")
    assert scripts == 0
