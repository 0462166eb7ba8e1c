"""HTTP fetching in one place: timeouts, size cap, retries, conditional requests, robots.txt, politeness."""

from __future__ import annotations

import email.utils
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field

import requests
from protego import Protego
from urllib3.exceptions import HTTPError, IncompleteRead, ProtocolError, ReadTimeoutError

from scrapers import errors
from scrapers.politeness import Gates, HostPolicy, LocalGates
from scrapers.urls import host_of, is_http_url

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_TOTAL_TIMEOUT = 90.0  # a slow-drip body cannot hold a worker longer than this
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_RETRIES = 2
BACKOFF_BASE = 0.5  # seconds; doubled on each retry
MAX_RETRY_AFTER = 30.0  # a longer Retry-After fails this check and the next cycle tries again
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_CONTACT_URL = "https://github.com/rulewatch/rulewatch"
_CHUNK = 64 * 1024


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


class Fetcher:
    """Fetches URLs politely. Thread-safe: share one Fetcher across a cycle's workers."""

    def __init__(
        self, settings: FetchSettings | None = None, session: requests.Session | None = None, gates: Gates | None = None
    ) -> None:
        self.settings = settings or FetchSettings()
        self._session = session or requests.Session()
        # requests re-reads every environment variable (proxies, CA bundle, .netrc) on each request,
        # which cost more CPU than the request itself on a 5,000-page cycle: read them once instead.
        self._session.trust_env = False
        self._session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._env_proxies = urllib.request.getproxies()
        self._proxies_by_host: dict[str, dict[str, str]] = {}
        self._session.max_redirects = self.settings.max_redirects
        self._session.headers["User-Agent"] = self.settings.user_agent
        self._session.headers["Accept-Encoding"] = "gzip, deflate"
        self._gates = gates or LocalGates(self.settings.host_policy)
        self._robots: dict[str, Protego | None] = {}
        self._robots_lock = threading.Lock()
        self.bytes_received = 0

    def close(self) -> None:
        self._session.close()

    def fetch(
        self, url: str, validators: Validators | None = None, policy: HostPolicy | None = None
    ) -> Response | NotModified:
        """GET `url`; a 304 comes back as NotModified. Failures raise a FetchError subclass."""
        if not is_http_url(url):
            raise errors.BadURL(f"only http(s) URLs are fetched, not {url!r}", url=url)
        if self.settings.respect_robots and not self._robots_allow(url, policy):
            raise errors.RobotsDisallowed(f"robots.txt of {host_of(url)} disallows {url}", url=url)
        headers = validators.headers() if validators else {}
        attempt = 0
        while True:
            try:
                return self._once(url, headers, policy)
            except errors.HTTPStatusError as exc:
                retry_after = exc.retry_after
                if exc.status not in RETRY_STATUSES or attempt >= self.settings.max_retries:
                    raise
                if retry_after is not None and retry_after > self.settings.max_retry_after:
                    raise
                delay = retry_after if retry_after is not None else self.settings.backoff_base * 2**attempt
            except (errors.ConnectFailed, errors.FetchTimeout, errors.TruncatedBody):
                if attempt >= self.settings.max_retries:
                    raise
                delay = self.settings.backoff_base * 2**attempt
            attempt += 1
            time.sleep(delay)

    def _once(self, url: str, headers: dict[str, str], policy: HostPolicy | None) -> Response | NotModified:
        s = self.settings
        started = time.monotonic()
        with self._gates.slot(host_of(url), policy):
            try:
                resp = self._session.get(
                    url, headers=headers, timeout=(s.connect_timeout, s.read_timeout), stream=True,
                    proxies=self._proxies_for(url),
                )
            except requests.exceptions.TooManyRedirects as exc:
                raise errors.TooManyRedirects(f"more than {s.max_redirects} redirects", url=url) from exc
            except requests.exceptions.InvalidSchema as exc:
                raise errors.BadURL(f"redirected to a non-http(s) URL: {exc}", url=url) from exc
            except requests.exceptions.Timeout as exc:
                raise errors.FetchTimeout(
                    f"no answer within {s.connect_timeout:g}/{s.read_timeout:g} s", url=url
                ) from exc
            except requests.exceptions.ConnectionError as exc:
                raise errors.ConnectFailed(_short(exc), url=url) from exc
            with resp:
                if not is_http_url(resp.url):
                    raise errors.BadURL(f"redirected to a non-http(s) URL {resp.url!r}", url=url)
                if resp.status_code == 304:
                    return NotModified(url, _validators(resp, headers), time.monotonic() - started)
                if not 200 <= resp.status_code < 300:
                    raise errors.HTTPStatusError(
                        f"HTTP {resp.status_code} {resp.reason}",
                        url=url,
                        status=resp.status_code,
                        retry_after=_retry_after_seconds(resp.headers.get("Retry-After")),
                    )
                body = self._read_body(resp, url, started)
        self.bytes_received += len(body)
        return Response(
            url=url,
            final_url=resp.url,
            status=resp.status_code,
            headers={k.lower(): v for k, v in resp.headers.items()},
            body=body,
            elapsed=time.monotonic() - started,
            validators=_validators(resp, {}),
        )

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for this URL's host (HTTP(S)_PROXY, NO_PROXY), looked up once."""
        host = host_of(url)
        proxies = self._proxies_by_host.get(host)
        if proxies is None:
            bypass = not self._env_proxies or requests.utils.should_bypass_proxies(
                url, no_proxy=self._env_proxies.get("no"))
            proxies = {} if bypass else {k: v for k, v in self._env_proxies.items() if k != "no"}
            self._proxies_by_host[host] = proxies
        return proxies

    def _read_body(self, resp: requests.Response, url: str, started: float) -> bytes:
        s = self.settings
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > s.max_body_bytes:
            raise errors.BodyTooLarge(f"Content-Length {declared} exceeds the {s.max_body_bytes} byte cap", url=url)
        chunks: list[bytes] = []
        size = 0
        raw = resp.raw
        try:
            # read1 returns whatever has arrived, so a slow drip (a byte now and then, never slow
            # enough for the read timeout) is caught by the total deadline between reads.
            while True:
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    # Read to the end: the connection goes back to the pool for the next page on
                    # this host (closing it would cost a new TCP and TLS handshake per page).
                    raw.release_conn()
                    break
                size += len(chunk)
                if size > s.max_body_bytes:
                    raise errors.BodyTooLarge(f"body passed the {s.max_body_bytes} byte cap", url=url)
                if time.monotonic() - started > s.total_timeout:
                    raise errors.FetchTimeout(f"body still arriving after {s.total_timeout:g} s", url=url)
                chunks.append(chunk)
        except (ProtocolError, IncompleteRead) as exc:
            raise errors.TruncatedBody(f"connection closed mid-body: {_short(exc)}", url=url) from exc
        except ReadTimeoutError as exc:
            raise errors.FetchTimeout(f"body stalled for more than {s.read_timeout:g} s", url=url) from exc
        except (HTTPError, OSError) as exc:
            raise errors.ConnectFailed(f"connection lost mid-body: {_short(exc)}", url=url) from exc
        return b"".join(chunks)

    def _robots_allow(self, url: str, policy: HostPolicy | None) -> bool:
        host = host_of(url)
        with self._robots_lock:
            known = host in self._robots
            parser = self._robots.get(host)
        if not known:
            parser = self._load_robots(url, policy)
            with self._robots_lock:
                self._robots[host] = parser
        return parser is None or parser.can_fetch(url, self.settings.user_agent)

    def _load_robots(self, url: str, policy: HostPolicy | None) -> Protego | None:
        """robots.txt of the URL's host, or None (allow all) when there is none or it cannot be read."""
        scheme = url.split(":", 1)[0]
        robots_url = f"{scheme}://{host_of(url)}/robots.txt"
        try:
            resp = self._once(robots_url, {}, policy)
        except errors.FetchError:
            return None  # as Scrapy and browsers do: no readable robots.txt means no restriction
        if isinstance(resp, NotModified):
            return None
        return Protego.parse(resp.body.decode("utf-8", "replace"))


def _validators(resp: requests.Response, sent: dict[str, str]) -> Validators:
    return Validators(
        etag=resp.headers.get("ETag", sent.get("If-None-Match", "")),
        last_modified=resp.headers.get("Last-Modified", sent.get("If-Modified-Since", "")),
    )


def _short(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
                   "Connection reset", "No route to host", "Network is unreachable", "timed out"):
        if marker.lower() in text.lower():
            return marker
    return text[:200]
