"""An optional fetcher that renders pages in a headless Chromium, for sources behind a JavaScript
challenge (a cookie set by a script, then a reload) or built in the browser (`fetcher: browser`).

It keeps the HTTP fetcher's rules: robots.txt and the per-host politeness slots are the HTTP
fetcher's own (one cache, one set of gates), the total timeout and the size cap are the same
settings. Playwright's sync API belongs to the thread that started it, so one worker thread owns
the browser and the cycle's threads hand it pages to load, one at a time.

Install: `pip install 'rulewatch[browser]'` and a Chromium (Debian: `apt-get install chromium`).
Playwright's own browser download is never used: the system's Chromium is, found at
RULEWATCH_BROWSER or on the PATH.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.core.reference import Variable
from rulewatch.scrapers.extract.challenge import looks_like_challenge
from rulewatch.scrapers.fetch import Fetcher, Response, Validators
from rulewatch.scrapers.request import PLAIN, RequestSpec, user_agent_for
from rulewatch.scrapers.urls import FetchScope, is_http_url

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("install the browser fetcher: pip install 'rulewatch[browser]' and a Chromium "
                "(Debian/Ubuntu: apt-get install chromium), or set RULEWATCH_BROWSER to a Chromium binary")
VARIABLES: tuple[Variable, ...] = (
    Variable("RULEWATCH_BROWSER", "the first Chromium on the PATH",
             "the Chromium binary `fetcher: browser` sources are rendered in"),
)
CHALLENGE_POLL = 0.25  # seconds between looks at a challenge page that is about to reload itself
# What a page needs to be read; images, fonts and media are never fetched (lighter, and politer).
_SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
_LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


class BrowserUnavailable(errors.FetchError):
    """The browser fetcher is asked for but Playwright or a Chromium is not installed."""

    reason = "browser_missing"


def find_browser(env: dict[str, str] | None = None) -> str:
    """The Chromium binary to drive: RULEWATCH_BROWSER, else the first on the PATH. Raises
    BrowserUnavailable saying how to install one."""
    env = dict(os.environ) if env is None else env
    configured = env.get("RULEWATCH_BROWSER", "").strip()
    if configured:
        if shutil.which(configured) is None:
            raise BrowserUnavailable(f"RULEWATCH_BROWSER={configured!r} is not an executable; {INSTALL_HINT}")
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(f"no Chromium found on the PATH; {INSTALL_HINT}")


class _Restarted(Exception):
    """The browser this page waited for was abandoned before it began: go to the new one."""


@dataclass(slots=True)
class _Session:
    """One running browser: its queue of pages, the thread that owns it, and its driver's process."""

    jobs: queue.Queue[_Job | None]
    thread: threading.Thread | None = None
    driver_pids: set[int] = field(default_factory=set)


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux's /proc; none where there is no /proc)."""
    found = set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields and int(fields[1]) == pid:
            found.add(int(entry))
    return found


def _kill_tree(pid: int) -> None:
    """Kill `pid` and every process under it, the deepest first."""
    for child in _children(pid):
        _kill_tree(child)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class _Job:
    url: str
    deadline: float
    result: Future[Response]
    user_agent: str
    headers: dict[str, str]
    scope: FetchScope  # where every request of the page (scripts, frames, fetch()) may go


class BrowserFetcher:
    """Fetches pages by rendering them in one headless Chromium. Thread-safe: calls are queued to the
    one thread that owns the browser. Pages come back as their rendered HTML (UTF-8)."""

    # Request options it honours: a page's own headers and User-Agent. Not a POST (a browser loads pages),
    # not secrets (the page's scripts and images would carry them to other hosts), not a cookie jar (each
    # page already keeps the cookies its own scripts set while it loads).
    OPTIONS = frozenset({"headers", "user_agent"})

    def __init__(self, http: Fetcher, executable: str | None = None) -> None:
        self.http = http
        self.settings = http.settings
        self._executable = executable
        self._session: _Session | None = None
        self._lock = threading.Lock()
        self._startup_error: errors.FetchError | None = None
        self.bytes_received = 0
        self.restarts = 0  # browsers abandoned because a page held them past its deadline

    def fetch(
        self, url: str, validators: Validators | None = None, policy: HostPolicy | None = None,
        scope: FetchScope | None = None, request: RequestSpec | None = None,
    ) -> Response:
        """Render `url` and return its HTML. The validators are not sent: a browser cannot ask for a
        conditional page, so every check reads it whole. The page's final URL must be in `scope` too.
        Failures raise a FetchError subclass."""
        self.http.admit(url, policy, scope)
        request = request or PLAIN
        with self.http.slot(url, policy):
            for _attempt in range(2):  # a page queued behind one that wedged the browser goes to a new one
                session = self._start()
                job = _Job(url, time.monotonic() + self.settings.total_timeout, Future(),
                           user_agent_for(request.user_agent, self.settings.user_agent), dict(request.headers),
                           scope or FetchScope())
                session.jobs.put(job)
                try:
                    # The worker enforces the deadline; the margin covers a page that holds the browser
                    # outright (a script that never yields: no call into the page returns again).
                    response = job.result.result(timeout=self.settings.total_timeout + self.settings.connect_timeout)
                    break
                except _Restarted:
                    continue
                except TimeoutError as exc:
                    self._abandon(session)
                    raise errors.FetchTimeout(f"the browser was held by {url} past its time (a page that never "
                                              "lets go); a new browser serves the next pages", url=url) from exc
            else:
                raise errors.FetchTimeout(f"the browser was restarted twice while {url} waited", url=url)
        refusal = scope.refusal(response.final_url) if scope else ""
        if refusal:
            raise errors.OutOfScope(f"the page redirected off its scope: {refusal}", url=url)
        self.bytes_received += len(response.body)
        return response

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None and session.thread is not None:
            session.jobs.put(None)
            session.thread.join(timeout=30)

    def _start(self) -> _Session:
        with self._lock:
            if self._startup_error is not None:
                raise self._startup_error
            if self._session is None:
                ready: Future[None] = Future()
                session = _Session(queue.Queue())
                session.thread = threading.Thread(target=self._run, args=(session, ready), name="rulewatch-browser",
                                                  daemon=True)
                session.thread.start()
                try:
                    ready.result()
                except errors.FetchError as exc:
                    self._startup_error = exc
                    raise
                self._session = session
            return self._session

    def _abandon(self, session: _Session) -> None:
        """Give up a browser a page holds: its driver and Chromium are killed (the stuck call then fails
        in its thread, which ends), the pages queued behind it go to a new browser."""
        with self._lock:
            if self._session is not session:
                return  # another caller did it already
            self._session = None
            self.restarts += 1
        for pid in session.driver_pids:
            _kill_tree(pid)
        while True:
            try:
                waiting = session.jobs.get_nowait()
            except queue.Empty:
                break
            if waiting is not None:
                waiting.result.set_exception(_Restarted())
        session.jobs.put(None)

    def _run(self, session: _Session, ready: Future[None]) -> None:
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:
            ready.set_exception(BrowserUnavailable(f"Playwright is not installed; {INSTALL_HINT}"))
            return
        try:
            executable = self._executable or find_browser()
            before = _children(os.getpid())
            driver = sync_playwright().start()
            session.driver_pids = _children(os.getpid()) - before  # Playwright's driver: Chromium runs under it
        except errors.FetchError as exc:
            ready.set_exception(exc)
            return
        try:
            browser = driver.chromium.launch(executable_path=executable, headless=True, args=_LAUNCH_ARGS)
        except PlaywrightError as exc:
            driver.stop()
            ready.set_exception(BrowserUnavailable(f"{executable} would not start: {str(exc)[:300]}; {INSTALL_HINT}"))
            return
        ready.set_result(None)
        try:
            while (job := session.jobs.get()) is not None:
                try:
                    job.result.set_result(self._render(browser, job, PlaywrightError))
                except errors.FetchError as exc:
                    job.result.set_exception(exc)
                except InvalidStateError:
                    pass  # its caller gave up on it (the browser was abandoned meanwhile)
        except PlaywrightError:
            return  # the driver was killed under it: this browser is abandoned
        finally:
            with contextlib.suppress(Exception):  # a killed driver cannot close what it ran
                browser.close()
                driver.stop()

    def _render(self, browser: Any, job: _Job, playwright_error: type[Exception]) -> Response:
        """Load one page in a fresh context (no cookies carried between sources) and wait out a
        challenge that reloads itself."""
        started = time.monotonic()
        context = browser.new_context(user_agent=job.user_agent, extra_http_headers=job.headers,
                                      ignore_https_errors=False)
        try:
            page = context.new_page()
            page.route("**/*", lambda route: _guard(route, job.scope))
            page.route_web_socket("**/*", lambda ws: _guard_socket(ws, job.scope))
            last: dict[str, Any] = {}
            page.on("response", lambda r: _note_document(page, r, last))
            remaining = _left(job)
            page.goto(job.url, wait_until="load", timeout=remaining * 1000)
            html = _settled_html(page, job, playwright_error)
        except playwright_error as exc:
            raise _fetch_error(job.url, exc) from exc
        finally:
            context.close()
        status = int(last.get("status", 200))
        if not 200 <= status < 300:
            raise errors.HTTPStatusError(f"HTTP {status} (in the browser)", url=job.url, status=status)
        body = html.encode("utf-8")
        if len(body) > self.settings.max_body_bytes:
            raise errors.BodyTooLarge(f"the rendered page passed {self.settings.max_body_bytes} bytes", url=job.url)
        headers = {k.lower(): v for k, v in last.get("headers", {}).items()}
        headers["content-type"] = "text/html; charset=utf-8"  # what page.content() gives, whatever was sent
        return Response(url=job.url, final_url=str(last.get("url", job.url)), status=status, headers=headers,
                        body=body, elapsed=time.monotonic() - started, validators=Validators())


def _left(job: _Job) -> float:
    left = job.deadline - time.monotonic()
    if left <= 0:
        raise errors.FetchTimeout(f"the browser did not finish {job.url} in time", url=job.url)
    return left


_BROWSER_SCHEMES = ("data:", "blob:", "about:")  # made inside the page: no request leaves the browser


def _guard(route: Any, scope: FetchScope) -> None:
    """Every request the page makes (its scripts, frames, fetch() and XHR, not only the document) is held
    to the source's scope, as the HTTP fetcher's are: a page cannot make rulewatch read a loopback or
    private service (and store its answer in a snapshot). Images, fonts and media are not loaded."""
    request = route.request
    url = str(request.url)
    if url.startswith(_BROWSER_SCHEMES):
        route.continue_()
        return
    if not is_http_url(url) or request.resource_type in _SKIPPED_RESOURCES or scope.refusal(url):
        route.abort("blockedbyclient")
        return
    route.continue_()


def _guard_socket(ws: Any, scope: FetchScope) -> None:
    """A page's WebSocket, held to the same scope (ws:// and wss:// checked as http:// and https://)."""
    url = str(ws.url)
    if scope.refusal("http" + url[2:] if url.startswith("ws") else url):
        ws.close()
    else:
        ws.connect_to_server()


def _note_document(page: Any, response: Any, last: dict[str, Any]) -> None:
    """Remember the main document's latest answer (a challenge's reload replaces the first)."""
    if response.request.is_navigation_request() and response.frame == page.main_frame:
        last.update(status=response.status, headers=response.headers, url=response.url)


def _settled_html(page: Any, job: _Job, playwright_error: type[Exception]) -> str:
    """The page's HTML once it is no longer a challenge page (or the deadline has passed)."""
    while True:
        try:
            html: str = page.content()
            text: str = page.evaluate("document.body ? document.body.innerText : ''")
        except playwright_error as exc:
            if "navigat" not in str(exc).lower():  # only "the page is navigating" is worth waiting out
                raise
        else:
            if not looks_like_challenge(html, text):
                return html
        if time.monotonic() + CHALLENGE_POLL >= job.deadline:
            raise errors.ChallengePage("the page was still a challenge when the time ran out", url=job.url)
        page.wait_for_timeout(CHALLENGE_POLL * 1000)


def _fetch_error(url: str, exc: Exception) -> errors.FetchError:
    text = str(exc)
    if type(exc).__name__ == "TimeoutError" or "Timeout" in text.split("\n", 1)[0]:
        return errors.FetchTimeout(f"the browser timed out: {text.splitlines()[0][:200]}", url=url)
    return errors.ConnectFailed(f"the browser could not load the page: {text.splitlines()[0][:200]}", url=url)

