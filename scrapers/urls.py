"""URL hygiene: absolute http(s) URLs without cache-busting or tracking parameters."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from rulewatch.core.noise import URL_PARAM, noisy_name

ALLOWED_SCHEMES = frozenset({"http", "https"})

@lru_cache(maxsize=8192)  # a fetch asks about its URL seven times (scope, host, gates, robots)
def _split(url: str) -> SplitResult | None:
    """urlsplit, or None for a malformed URL (a bracketed host that is no IPv6 address, a bad port):
    one such link on a page must never fail the page."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # parsed lazily: a bad port raises here
    except ValueError:
        return None
    return parts


def is_http_url(url: str) -> bool:
    parts = _split(url)
    return parts is not None and parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.netloc)


def clean_url(url: str, base: str = "") -> str:
    """Resolve `url` against `base` and drop volatile query parameters and fragments.

    Returns "" for non-http(s) targets (javascript:, mailto:, file:, data:), which a page may not
    make rulewatch follow, and for malformed URLs (the item keeps its other fields).
    """
    url = url.strip()
    if not url:
        return ""
    try:
        absolute = urljoin(base, url) if base else url
    except ValueError:
        return ""
    parts = _split(absolute)
    if parts is None or parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        return ""
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _volatile(k, v)]
    # "/" stays as written in a value (r=notice/view): some frameworks route on it and refuse %2F.
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path or "/", urlencode(query, safe="/"), ""))


# What a cache-busting parameter's value looks like: a number, a timestamp, a version, a short hash.
# A value of another shape names the document (`index.php?r=notice/view&id=21`) and stays.
_BUSTER_VALUE = re.compile(r"[0-9a-fA-F][0-9a-fA-F.:_-]{0,63}|")


def _volatile(name: str, value: str) -> bool:
    """Whether a query parameter identifies a visit or a build rather than the resource: a tracking
    parameter, or a cache-buster's name with a cache-buster's value."""
    rule = noisy_name(URL_PARAM, name)
    if rule is None:
        return False
    return rule.kind != "cache_buster" or bool(_BUSTER_VALUE.fullmatch(value))


def host_of(url: str) -> str:
    parts = _split(url)
    return parts.netloc.lower() if parts is not None else ""


_RESOLVED: dict[str, bool] = {}  # host -> whether it is internal, for the process's life
_RESOLVED_LOCK = threading.Lock()


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal, though not "private" to Python


def _internal_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified or ip in _SHARED)


def hostname_of(url: str) -> str:
    """The URL's host name or address, without port or IPv6 brackets, lower-cased ("" if malformed)."""
    parts = _split(url)
    return (parts.hostname or "") if parts is not None else ""


def is_internal_host(name: str) -> bool:
    """Whether the host `name` (hostname_of) is, or resolves to, a private, loopback or link-local
    address. A name that does not resolve is not internal: fetching it fails on its own. Resolved
    once per host."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    with _RESOLVED_LOCK:  # every fetch asks: an address is parsed, and a name resolved, once
        known = _RESOLVED.get(name)
    if known is not None:
        return known
    try:
        internal = _internal_address(name)
    except ValueError:  # a name, not an address
        try:
            infos = socket.getaddrinfo(name, None)
        except (OSError, UnicodeError):
            return False  # not remembered: it may resolve later
        internal = any(_internal_address(str(info[4][0])) for info in infos)
    with _RESOLVED_LOCK:
        _RESOLVED[name] = internal
    return internal


def same_site(host: str, other: str) -> bool:
    """One host name, or one a subdomain of the other (cac.gov.cn and www.cac.gov.cn); ports aside."""
    a, b = host.lower(), other.lower()
    return a == b or a.endswith("." + b) or b.endswith("." + a)


@dataclass(frozen=True, slots=True)
class FetchScope:
    """Where a fetch (and each of its redirects) may go. `hosts`: the sites allowed (None: any);
    `internal`: whether private, loopback and link-local addresses may be reached (only when the
    source itself is on one). Links found on a page are followed only within the source's scope, so
    a list cannot send rulewatch to a cloud metadata service and the answer into a Slack alert."""

    hosts: frozenset[str] | None = None
    internal: bool = True

    @classmethod
    def of_source(cls, url: str, follow_hosts: tuple[str, ...] = (), *, links: bool) -> FetchScope:
        """The scope of a source's own URL (`links` False: any host, as its redirects go) or of the
        links it follows (`links` True: its own site and `follow_hosts`)."""
        home = hostname_of(url)
        hosts = frozenset({home, *(h.lower() for h in follow_hosts)}) if links else None
        return cls(hosts, internal=is_internal_host(home))

    def refusal(self, url: str) -> str:
        """Why `url` is out of this scope, or "" when it is in."""
        host = hostname_of(url)
        if self.hosts is not None and not any(same_site(host, allowed) for allowed in self.hosts):
            return f"{host} is not the source's site (list it in follow_hosts to allow it)"
        if not self.internal and is_internal_host(host):
            return f"{host} is a private, loopback or link-local address, and the source is not"
        return ""
