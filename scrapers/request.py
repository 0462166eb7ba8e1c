"""What a source asks of the site besides its URL: extra headers, a User-Agent, a form POST, cookies.

Pure data, built by the source (rulewatch.config) and read by the fetchers. Each fetcher declares which
of these options it honours (REQUEST_OPTIONS below, the browser's in scrapers.browser); a source that
sets one its fetcher cannot honour is refused when the sources file is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

# A browser's User-Agent for the firewalls that refuse anything else. "browser" keeps our contact URL
# after it (the site can still tell who reads it); "browser-only" sends the browser's string alone.
BROWSER_USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/131.0.0.0 Safari/537.36")
USER_AGENT_PRESETS = ("browser", "browser-only")

# Headers a sources file may not set: credentials come from the environment (headers_from_env), and
# the rest belong to the transport (a wrong Host or Content-Length would break the request itself).
SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade",
                               "if-none-match", "if-modified-since", "accept-encoding", "user-agent"})
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
# A header value's characters: CR, LF, NUL and other controls would inject a header or break the request.
UNSENDABLE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")



def header_problem(name: str, value: str, *, secret_allowed: bool = False) -> str:
    """Why `name: value` cannot be sent as a source's header, or "" when it can."""
    if not HEADER_NAME.fullmatch(name):
        return f"{name!r} is not a header name"
    lower = name.lower()
    if lower in SECRET_HEADERS and not secret_allowed:
        return (f"{name} must not be written in the sources file: name the environment variable that holds "
                f"it in `headers_from_env` ({name}: SOME_VARIABLE)")
    if lower in TRANSPORT_HEADERS:
        hint = "; use `user_agent:`" if lower == "user-agent" else ""
        return f"{name} is set by rulewatch itself{hint}"
    if UNSENDABLE.search(value):
        return f"the value of {name} holds a line break or another control character"
    return ""


def user_agent_for(option: str, own: str) -> str:
    """The User-Agent a source's `user_agent:` asks for, given rulewatch's own (with its contact URL)."""
    if not option:
        return own
    if option == "browser":
        return f"{BROWSER_USER_AGENT} {own}"
    if option == "browser-only":
        return BROWSER_USER_AGENT
    return option


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """How to ask for a source's page. The default is a plain GET with rulewatch's own headers."""

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request of the source (its links too)
    secret_headers: tuple[tuple[str, str], ...] = ()  # from the environment; sent only to the source's own host
    form: tuple[tuple[str, str], ...] = ()  # a POST's application/x-www-form-urlencoded body
    user_agent: str = ""  # the source's `user_agent:` option ("" = rulewatch's own)
    cookies: bool = False  # keep the cookies its host sets, for the host's later requests of the cycle
    cookie_url: str = ""  # a page fetched first (once per host and cycle) for the cookies it sets

    @property
    def plain(self) -> bool:
        return self == PLAIN

    def body(self) -> bytes | None:
        return urlencode(self.form).encode("ascii") if self.method == "POST" else None

    def for_links(self) -> RequestSpec:
        """What the source's links (detail pages) are asked with: a GET, with its headers and cookies."""
        return replace(self, method="GET", form=())


PLAIN = RequestSpec()


def set_cookies(values: list[str]) -> dict[str, str]:
    """Name -> value of the cookies in a response's Set-Cookie headers. Attributes (path, expiry) are not
    kept: the jar lives for one cycle and is sent only to the host that set it."""
    found: dict[str, str] = {}
    for value in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            jar = SimpleCookie()
        if jar:
            found.update({name: morsel.value for name, morsel in jar.items()})
            continue
        # A value SimpleCookie refuses (a character it dislikes in the name): its first pair, as browsers read it.
        pair = value.split(";", 1)[0]
        if "=" in pair:
            name, cookie = pair.split("=", 1)
            if name.strip() and not UNSENDABLE.search(pair):
                found[name.strip()] = cookie.strip()
    return found


def cookie_header(jar: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())
