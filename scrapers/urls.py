"""URL hygiene: absolute http(s) URLs without cache-busting or tracking parameters."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from core.noise import URL_PARAM, noisy_name

ALLOWED_SCHEMES = frozenset({"http", "https"})

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
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if noisy_name(URL_PARAM, k) is None]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    parts = _split(url)
    return parts.netloc.lower() if parts is not None else ""
