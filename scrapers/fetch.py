"""HTTP fetching in one place: timeouts, size cap, retries, conditional requests, robots.txt, politeness."""

from __future__ import annotations

import email.utils
import os
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urljoin

import certifi
import urllib3
from protego import Protego
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    IncompleteRead,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import parse_url

from rulewatch.core import errors
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.deadline import POOL_CLASSES, HeadersCut, set_deadline
from rulewatch.scrapers.politeness import Gates, LocalGates
from rulewatch.scrapers.request import PLAIN, UNSENDABLE, RequestSpec, cookie_header, set_cookies, user_agent_for
from rulewatch.scrapers.urls import FetchScope, host_of, is_http_url

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_TOTAL_TIMEOUT = 90.0  # a slow-drip body cannot hold a worker longer than this
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 500 * 1024  # of robots.txt read and parsed (Google's limit); the rest is ignored
MIN_READ_TIMEOUT = 0.1  # seconds a read may wait even when the check's budget is nearly spent
MAX_RETRIES = 2
BACKOFF_BASE = 0.5  # seconds; doubled on each retry
MAX_RETRY_AFTER = 30.0  # a longer Retry-After fails this check and the next cycle tries again
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
POOLS = 64  # hosts whose connections are kept open at once
CONNECTIONS_PER_HOST = 32  # kept open per host; the politeness gates decide how many are in use
DRAIN_LIMIT = 4096  # bytes of an unread body worth reading to keep its connection
DEFAULT_CONTACT_URL = "https://github.com/rulewatch/rulewatch"
_CHUNK = 64 * 1024
URL_CACHE_SIZE = 65536  # parsed URLs kept: every source of a large cycle, each parsed once
OPEN_SCOPE = FetchScope()  # any host, internal addresses included: what a fetch without a source may reach


@dataclass(frozen=True, slots=True)
class Validators:
    """The server's own cache validators, sent back on the next request."""

    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True, slots=True)
class Response:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    validators: Validators

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304: the server says nothing changed since the validators we sent."""

    url: str
    validators: Validators
    elapsed: float


@dataclass(frozen=True, slots=True)
class FetchSettings:
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_body_bytes: int = MAX_BODY_BYTES
    max_redirects: int = MAX_REDIRECTS
    max_retries: int = MAX_RETRIES
    backoff_base: float = BACKOFF_BASE
    max_retry_after: float = MAX_RETRY_AFTER
    host_policy: HostPolicy = field(default_factory=HostPolicy)
    respect_robots: bool = True
    contact_url: str = DEFAULT_CONTACT_URL

    @property
    def user_agent(self) -> str:
        return f"rulewatch/0.1 (+{self.contact_url})"


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - time.time())


class PageFetcher(Protocol):
    """What reads a source: the HTTP Fetcher, or the browser fetcher (scrapers.browser)."""

    settings: FetchSettings

    def fetch(
        self, url: str, validators: Validators | None = None, policy: HostPolicy | None = None,
        scope: FetchScope | None = None, request: RequestSpec | None = None,
    ) -> Response | NotModified: ...


class Fetcher:
    """Fetches URLs politely. Thread-safe: share one Fetcher across a cycle's workers.

    It speaks urllib3 (the transport under requests) directly: requests' per-request work (preparing,
    merging settings, cookie jars) cost 0.7 ms of CPU a request here, more than half of a 304.
    The environment (proxies, CA bundle) is read once, as curl and requests read it."""

    def __init__(self, settings: FetchSettings | None = None, gates: Gates | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate",
                         "Accept": "*/*"}
        ca_bundle = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                     or os.environ.get("SSL_CERT_FILE") or certifi.where())
        per_host = max(CONNECTIONS_PER_HOST, self.settings.host_policy.concurrency)
        self._pool_args = dict(num_pools=POOLS, maxsize=per_host, cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle)
        self._direct = urllib3.PoolManager(**self._pool_args)  # type: ignore[arg-type]
        self._direct.pool_classes_by_scheme = POOL_CLASSES
        self._proxied: dict[str, urllib3.ProxyManager] = {}
        self._env_proxies = urllib.request.getproxies()
        self._pool_by_host: dict[str, urllib3.PoolManager] = {}
        self._pools_lock = threading.Lock()
        self._gates = gates or LocalGates(self.settings.host_policy)
        self._robots: dict[str, Protego | None] = {}
        self._robots_lock = threading.Lock()
        self._robots_loading: dict[str, threading.Lock] = {}
        self._jars: dict[str, dict[str, str]] = {}  # host -> cookies it set this cycle (sources with `cookies:`)
        self._warmed: set[str] = set()  # hosts whose cookie page was fetched this cycle
        self._warming: dict[str, threading.Lock] = {}  # one visit of a host's cookie page at a time
        self._jar_lock = threading.Lock()
        self.bytes_received = 0

    # Request options this fetcher honours (rulewatch.config refuses the others for its sources).
    OPTIONS = frozenset({"headers", "headers_from_env", "user_agent", "method", "form", "cookies", "cookie_url"})

    def new_cycle(self) -> None:
        """Forget the cookies sites set: a jar lasts one cycle, as a visitor's session would."""
        with self._jar_lock:
            self._jars.clear()
            self._warmed.clear()

    def close(self) -> None:
        self._gates.close()
        self._direct.clear()
        for manager in self._proxied.values():
            manager.clear()

    def fetch(
        self, url: str, validators: Validators | None = None, policy: HostPolicy | None = None,
        scope: FetchScope | None = None, request: RequestSpec | None = None,
    ) -> Response | NotModified:
        """GET (or POST, as `request` says) `url`; a 304 comes back as NotModified. Failures raise a
        FetchError subclass. `scope` bounds where the URL and its redirects may lead (default: anywhere)."""
        scope = scope or OPEN_SCOPE
        request = request or PLAIN
        self.admit(url, policy, scope)
        if request.cookies and request.cookie_url:
            self._warm_up(request, policy, scope)
        # A POST is not conditional: a list API that answers POST has no validators to give back.
        conditional = validators.headers() if validators and request.method == "GET" else {}
        outgoing = _Outgoing(url, request, self._user_agent(request), conditional)
        attempt = 0
        budget = _Budget(self.settings.total_timeout)  # one for the whole check, retries included
        while True:
            try:
                return self._once(url, outgoing, policy, budget, scope=scope)
            except errors.HTTPStatusError as exc:
                retry_after = exc.retry_after
                if exc.status not in RETRY_STATUSES or attempt >= self.settings.max_retries:
                    raise
                if retry_after is not None and retry_after > self.settings.max_retry_after:
                    raise
                delay = retry_after if retry_after is not None else self.settings.backoff_base * 2**attempt
            except (errors.ConnectFailed, errors.FetchTimeout, errors.TruncatedBody):
                if attempt >= self.settings.max_retries or budget.spent():
                    raise
                delay = self.settings.backoff_base * 2**attempt
            attempt += 1
            time.sleep(delay)

    def _user_agent(self, request: RequestSpec) -> str:
        return user_agent_for(request.user_agent, self.settings.user_agent)

    def _warm_up(self, request: RequestSpec, policy: HostPolicy | None, scope: FetchScope) -> None:
        """GET the source's cookie page once per host and cycle, for the cookies it sets (a list API
        that answers only a visitor who has seen the page first)."""
        host = host_of(request.cookie_url)
        with self._jar_lock:
            warming = self._warming.setdefault(host, threading.Lock())
        # One source visits the page; the host's other sources of the cycle wait for its cookies
        # rather than ask the API without them (and be refused) meanwhile.
        with warming:
            with self._jar_lock:
                if host in self._warmed:
                    return
            self.admit(request.cookie_url, policy, scope)
            page = _Outgoing(request.cookie_url, request.for_links(), self._user_agent(request), {})
            try:
                self._once(request.cookie_url, page, policy, scope=scope)
            except errors.FetchError as exc:
                exc.args = (f"the cookie page {request.cookie_url}: {exc}",)  # the same error, saying which page
                raise
            with self._jar_lock:
                self._warmed.add(host)  # a failed visit is tried again by the host's next source

    def _keep_cookies(self, url: str, values: list[str]) -> None:
        found = set_cookies(values)
        if found:
            with self._jar_lock:
                self._jars.setdefault(host_of(url), {}).update(found)

    def _cookies_for(self, url: str) -> str:
        with self._jar_lock:
            jar = self._jars.get(host_of(url))
            return cookie_header(jar) if jar else ""

    def admit(self, url: str, policy: HostPolicy | None = None, scope: FetchScope | None = None) -> None:
        """Raise unless `url` may be fetched at all: an http(s) URL in `scope` that robots.txt allows
        us. The browser fetcher asks this too, so both obey one robots cache."""
        if not is_http_url(url):
            raise errors.BadURL(f"only http(s) URLs are fetched, not {url!r}", url=url)
        refusal = (scope or OPEN_SCOPE).refusal(url)
        if refusal:
            raise errors.OutOfScope(f"not fetched: {refusal}", url=url)
        if self.settings.respect_robots and not self._robots_allow(url, policy):
            raise errors.RobotsDisallowed(f"robots.txt of {host_of(url)} disallows {url}", url=url)

    def slot(self, url: str, policy: HostPolicy | None = None) -> AbstractContextManager[None]:
        """The politeness slot of `url`'s host (per-host concurrency and delay), shared with the browser."""
        return self._gates.slot(host_of(url), policy)

    def _once(
        self, url: str, outgoing: _Outgoing, policy: HostPolicy | None, budget: _Budget | None = None,
        keep: int | None = None, scope: FetchScope | None = None,
    ) -> Response | NotModified:
        """One request. `keep`: read only the body's first `keep` bytes (robots.txt), never fail on more."""
        budget = budget or _Budget(self.settings.total_timeout)
        with self._gates.slot(host_of(url), policy), budget.running() as deadline:
            started = time.monotonic()
            resp, final_url = self._open_following_redirects(outgoing, deadline, scope or OPEN_SCOPE)
            try:
                if resp.status == 304:
                    return NotModified(url, _validators(resp, outgoing.conditional), time.monotonic() - started)
                if not 200 <= resp.status < 300:
                    raise errors.HTTPStatusError(
                        f"HTTP {resp.status} {resp.reason}",
                        url=url,
                        status=resp.status,
                        retry_after=_retry_after_seconds(resp.headers.get("Retry-After")),
                    )
                body = self._read_body(resp, url, deadline, keep)
            finally:
                _finish(resp)
        self.bytes_received += len(body)
        return Response(
            url=url,
            final_url=final_url,
            status=resp.status,
            headers={k.lower(): v for k, v in resp.headers.items()},
            body=body,
            elapsed=time.monotonic() - started,
            validators=_validators(resp, {}),
        )

    def _open_following_redirects(
        self, outgoing: _Outgoing, deadline: float, scope: FetchScope
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        """The response at the end of at most max_redirects redirects (only ever to http(s) URLs),
        with the URL it came from; its body is not read yet."""
        s = self.settings
        url = current = outgoing.url
        method, body = outgoing.request.method, outgoing.request.body()
        for _ in range(s.max_redirects + 1):
            resp = self._open(current, method, body, self._headers_for(outgoing, current), url, deadline)
            if outgoing.request.cookies:
                self._keep_cookies(current, resp.headers.getlist("Set-Cookie"))
            location = resp.headers.get("Location")
            if resp.status not in REDIRECT_STATUSES or not location:
                return resp, current
            _finish(resp)
            try:
                target = urljoin(current, location.strip())
            except ValueError as exc:
                raise errors.BadURL(f"redirected to a malformed URL {location.strip()[:200]!r}", url=url) from exc
            if not is_http_url(target):
                raise errors.BadURL(f"redirected to a non-http(s) URL {target!r}", url=url)
            refusal = scope.refusal(target)
            if refusal:
                raise errors.OutOfScope(f"redirect not followed: {refusal}", url=url)
            if resp.status in (301, 302, 303) and method == "POST":
                method, body = "GET", None  # as browsers do: the form is not posted again elsewhere
            current = target
        raise errors.TooManyRedirects(f"more than {s.max_redirects} redirects", url=url)

    def _headers_for(self, outgoing: _Outgoing, url: str) -> dict[str, str]:
        """The headers of one hop: the source's own, and the validators and secrets of the page that was
        asked for only on its host (never carried to another host by a redirect)."""
        if outgoing.request.plain and not outgoing.conditional:
            return self._headers
        headers = {**self._headers, "User-Agent": outgoing.user_agent, **dict(outgoing.request.headers)}
        same_host = host_of(url) == host_of(outgoing.url)
        if same_host:
            headers.update(outgoing.conditional)
            headers.update(outgoing.request.secret_headers)
        if outgoing.request.method == "POST" and outgoing.request.form:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if outgoing.request.cookies:
            jar = self._cookies_for(url)
            if jar:
                given = headers.get("Cookie", "")
                headers["Cookie"] = f"{given}; {jar}" if given else jar
        return headers

    def _open(self, url: str, method: str, body: bytes | None, headers: dict[str, str], asked: str,
              deadline: float) -> urllib3.BaseHTTPResponse:
        s = self.settings
        set_deadline(deadline)
        read_timeout = max(MIN_READ_TIMEOUT, min(s.read_timeout, deadline - time.monotonic()))
        options: dict[str, Any] = dict(
            headers=headers, body=body, redirect=False, retries=False, preload_content=False,
            decode_content=True, timeout=urllib3.Timeout(connect=s.connect_timeout, read=read_timeout),
        )
        try:
            manager = self._manager_for(url)
            if manager is not self._direct:
                return manager.request(method, url, **options)
            # What PoolManager.urlopen does for a direct request, with the URL parsed once per
            # process (an unchanged cycle's 304s spent a tenth of their CPU parsing URLs again).
            scheme, host, port, target = _request_target(url)
            pool = manager.connection_from_host(host, port=port, scheme=scheme)
            return pool.urlopen(method, target, assert_same_host=False, **options)
        except HeadersCut as exc:
            raise errors.FetchTimeout(f"no complete answer within {s.total_timeout:g} s in all "
                                      "(headers still arriving)", url=asked) from exc
        except LocationValueError as exc:
            raise errors.BadURL(f"not a fetchable URL: {exc}", url=asked) from exc
        except NewConnectionError as exc:  # a subclass of ConnectTimeoutError, but a refusal is no timeout
            raise errors.ConnectFailed(_short(exc), url=asked) from exc
        except (ConnectTimeoutError, ReadTimeoutError) as exc:
            raise errors.FetchTimeout(
                f"no answer within {s.connect_timeout:g}/{s.read_timeout:g} s", url=asked) from exc
        except (HTTPError, OSError) as exc:
            raise errors.ConnectFailed(_short(exc), url=asked) from exc

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        """The direct pool, or the environment's proxy for this host (HTTP(S)_PROXY, NO_PROXY), looked
        up once per host."""
        host = host_of(url)
        manager = self._pool_by_host.get(host)
        if manager is not None:
            return manager
        scheme = url.split(":", 1)[0].lower()
        proxy = self._env_proxies.get(scheme) or self._env_proxies.get("all")
        with self._pools_lock:
            if not proxy or urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
                    host, self._env_proxies):
                manager = self._direct
            else:
                manager = self._proxied.get(proxy)
                if manager is None:
                    manager = self._proxied[proxy] = urllib3.ProxyManager(proxy, **self._pool_args)  # type: ignore[arg-type]
                    manager.pool_classes_by_scheme = POOL_CLASSES
            self._pool_by_host[host] = manager
        return manager

    def _read_body(self, resp: urllib3.BaseHTTPResponse, url: str, deadline: float, keep: int | None = None) -> bytes:
        """The body, decoded here rather than by urllib3: its decoder loops inside one read for as long
        as the compressed stream yields nothing (endless empty deflate blocks), out of reach of the
        deadline. Here both the bytes on the wire and the decoded bytes count against the cap, and the
        deadline is checked on every chunk."""
        s = self.settings
        declared = resp.headers.get("Content-Length")
        if keep is None and declared and declared.isdigit() and int(declared) > s.max_body_bytes:
            raise errors.BodyTooLarge(f"Content-Length {declared} exceeds the {s.max_body_bytes} byte cap", url=url)
        cap = s.max_body_bytes if keep is None else keep
        decoder = _BodyDecoder(resp.headers.get("Content-Encoding", ""), cap, url)
        wire = 0
        try:
            # read1 returns whatever has arrived, so a slow drip (a byte now and then, never slow
            # enough for the read timeout) is caught by the total deadline between reads.
            while True:
                if time.monotonic() > deadline:
                    raise errors.FetchTimeout(f"body still arriving after {s.total_timeout:g} s in all", url=url)
                chunk = resp.read1(_CHUNK, decode_content=False)
                if not chunk:
                    # Read to the end: the connection goes back to the pool for the next page on
                    # this host (closing it would cost a new TCP and TLS handshake per page).
                    resp.release_conn()
                    break
                wire += len(chunk)
                if wire > s.max_body_bytes:
                    raise errors.BodyTooLarge(f"body passed the {s.max_body_bytes} byte cap on the wire", url=url)
                try:
                    decoder.feed(chunk)
                except errors.BodyTooLarge:
                    if keep is None:
                        raise
                    return decoder.body()  # its first `keep` bytes; the rest is never read (_finish closes)
        except (ProtocolError, IncompleteRead) as exc:
            raise errors.TruncatedBody(f"connection closed mid-body: {_short(exc)}", url=url) from exc
        except ReadTimeoutError as exc:
            raise errors.FetchTimeout(f"body stalled for more than {s.read_timeout:g} s", url=url) from exc
        except (HTTPError, OSError) as exc:
            raise errors.ConnectFailed(f"connection lost mid-body: {_short(exc)}", url=url) from exc
        return decoder.body()

    def _robots_allow(self, url: str, policy: HostPolicy | None) -> bool:
        host = host_of(url)
        with self._robots_lock:
            loading = self._robots_loading.setdefault(host, threading.Lock())
        with loading:  # one thread reads a host's robots.txt; the others wait for its answer
            with self._robots_lock:
                known = host in self._robots
                parser = self._robots.get(host)
            if not known:
                parser = self._load_robots(url, policy)
                with self._robots_lock:
                    self._robots[host] = parser
        return parser is None or parser.can_fetch(url, self.settings.user_agent)

    def _load_robots(self, url: str, policy: HostPolicy | None) -> Protego | None:
        """robots.txt of the URL's host, or None (allow all) when there is none or it cannot be read.
        Only its first ROBOTS_MAX_BYTES are read and parsed, as Google does."""
        scheme = url.split(":", 1)[0]
        robots_url = f"{scheme}://{host_of(url)}/robots.txt"
        try:
            resp = self._once(robots_url, _Outgoing(robots_url), policy, keep=ROBOTS_MAX_BYTES)
        except errors.FetchError:
            return None  # as Scrapy and browsers do: no readable robots.txt means no restriction
        if isinstance(resp, NotModified):
            return None
        return Protego.parse(resp.body.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One fetch's request: the URL asked for, the source's options, and the validators sent with it."""

    url: str
    request: RequestSpec = PLAIN
    user_agent: str = ""
    conditional: dict[str, str] = field(default_factory=dict)


class _Budget:
    """The total timeout of one check, spent only while a request runs (waiting for the host's
    politeness slot is not the server's slowness), and shared by its retries: a slow drip retried
    three times still ends within the one total the README promises."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spent(self) -> bool:
        return self.left <= 0

    @contextmanager
    def running(self) -> Iterator[float]:
        """The deadline of the attempt that runs inside; what it used is taken off the budget."""
        started = time.monotonic()
        try:
            yield started + self.left
        finally:
            self.left -= time.monotonic() - started


class _BodyDecoder:
    """Content-Encoding gzip or deflate undone chunk by chunk, never producing more than the cap
    (a decompression bomb stops at the cap, not in memory). Other encodings pass through."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self.encoding = encoding.strip().lower()
        self.cap, self.url = cap, url
        self.size = 0
        self.chunks: list[bytes] = []
        self._zlib: Any = None
        self._members = 0  # whole gzip members decoded
        self._trailing = False

    def _new(self, first: bytes) -> Any:
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the standard, raw deflate from some servers (as urllib3 allows).
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, chunk: bytes) -> None:
        if self.encoding not in ("gzip", "x-gzip", "deflate"):
            self._keep(chunk)
            return
        if self._zlib is None:
            self._zlib = self._new(chunk)
        pending = chunk
        while pending and not self._trailing:
            try:
                out = self._zlib.decompress(pending, self.cap - self.size + 1)
            except zlib.error as exc:
                if self._members:
                    self._trailing = True  # junk after a whole gzip member: ignored, as browsers do
                    return
                raise errors.ExtractError(f"the {self.encoding} body is corrupt: {exc}", url=self.url) from exc
            self._keep(out)
            pending = self._zlib.unconsumed_tail
            if self._zlib.eof:
                self._members += 1
                if self._zlib.unused_data and self.encoding != "deflate":
                    pending, self._zlib = self._zlib.unused_data, self._new(self._zlib.unused_data)  # next member

    def _keep(self, data: bytes) -> None:
        room = self.cap - self.size
        self.size += len(data)
        if self.size > self.cap:
            self.chunks.append(data[:room])  # what fits: a caller that reads only a prefix keeps it
            raise errors.BodyTooLarge(f"body passed the {self.cap} byte cap once decompressed", url=self.url)
        if data:
            self.chunks.append(data)

    def body(self) -> bytes:
        return b"".join(self.chunks)


@lru_cache(maxsize=URL_CACHE_SIZE)
def _request_target(url: str) -> tuple[str | None, str | None, int | None, str]:
    """(scheme, host, port, path and query) of `url`, parsed as urllib3's PoolManager parses it."""
    parsed = parse_url(url)
    return parsed.scheme, parsed.host, parsed.port, parsed.request_uri


def _finish(resp: urllib3.BaseHTTPResponse) -> None:
    """Give the connection back for the next request when what is left of the body is small (a 304,
    a redirect, a short error page; a body read to its end gave it back already); otherwise close it:
    what is left of a body must never be read as the next answer."""
    length = resp.headers.get("Content-Length", "")
    if resp.status in (204, 304) or (length.isdigit() and int(length) <= DRAIN_LIMIT):
        resp.drain_conn()  # reads what is left (errors swallowed: then the connection is dropped)
    else:
        resp.close()
    resp.release_conn()


def _validators(resp: urllib3.BaseHTTPResponse, sent: dict[str, str]) -> Validators:
    return Validators(
        etag=_sendable(resp.headers.get("ETag", sent.get("If-None-Match", ""))),
        last_modified=_sendable(resp.headers.get("Last-Modified", sent.get("If-Modified-Since", ""))),
    )


def _sendable(value: str) -> str:
    """A validator that can be stored and sent back as it came, or "": one with a NUL or another
    control character would be stored altered (PostgreSQL refuses NUL) and sent back wrong, so the
    source would fail on every check; without it the page is only read whole."""
    return "" if UNSENDABLE.search(value) else value


def _short(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
                   "Connection reset", "No route to host", "Network is unreachable", "timed out"):
        if marker.lower() in text.lower():
            return marker
    return text[:200]
