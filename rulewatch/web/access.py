"""Who is asking: a signed session from the login form, or (RULEWATCH_WEB_AUTH=header) the user name an
authenticating proxy puts in a header, believed only from the proxy addresses configured. Every form
carries the session's CSRF token, checked on every POST."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from rulewatch.core.env import Env
from rulewatch.core.errors import SettingsError
from rulewatch.services.users import RANK, ROLES
from rulewatch.state import Store

SESSION_USER, SESSION_STAMP, SESSION_CSRF = "user", "stamp", "csrf"
SECRET_FILE = "web-secret"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class HeaderAuth:
    """Single sign-on through a proxy: its addresses, the headers it sets, and group -> role."""

    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    user_header: str
    groups_header: str
    group_roles: tuple[tuple[str, str], ...]

    @classmethod
    def from_env(cls, env: Env) -> HeaderAuth:
        raw = [p.strip() for p in env.get("RULEWATCH_WEB_PROXIES", "").split(",") if p.strip()]
        if not raw:
            raise SettingsError("RULEWATCH_WEB_AUTH=header needs RULEWATCH_WEB_PROXIES: the addresses of the "
                                "authenticating proxy (a header from anywhere else is ignored)")
        try:
            proxies = tuple(ipaddress.ip_network(p, strict=False) for p in raw)
        except ValueError as exc:
            raise SettingsError(f"RULEWATCH_WEB_PROXIES: {exc}") from exc
        roles = []
        for part in env.get("RULEWATCH_WEB_GROUP_ROLES", "").split(","):
            if not part.strip():
                continue
            group, _, role = part.partition("=")
            if role.strip() not in ROLES or not group.strip():
                raise SettingsError(f"RULEWATCH_WEB_GROUP_ROLES: {part.strip()!r} is not group=role "
                                    f"(roles: {', '.join(ROLES)})")
            roles.append((group.strip(), role.strip()))
        if not roles:
            raise SettingsError("RULEWATCH_WEB_AUTH=header needs RULEWATCH_WEB_GROUP_ROLES (group=role,...): "
                                "nobody gets a role without one")
        return cls(proxies, env.get("RULEWATCH_WEB_USER_HEADER", "X-Forwarded-User").strip(),
                   env.get("RULEWATCH_WEB_GROUPS_HEADER", "X-Forwarded-Groups").strip(), tuple(roles))

    def person(self, request: Request) -> Person | None:
        """The proxy's user, when the request came from the proxy and the user's groups give a role."""
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not any(address in network for network in self.proxies):
            return None
        name = request.headers.get(self.user_header, "").strip()
        groups = {g.strip() for g in request.headers.get(self.groups_header, "").split(",") if g.strip()}
        granted = [role for group, role in self.group_roles if group in groups or group == "*"]
        if not name or not granted:
            return None
        return Person(name[:200], max(granted, key=lambda r: RANK[r]))


def session_secret(env: Env, home: Path) -> str:
    """The key that signs sessions: RULEWATCH_WEB_SECRET, else one made once and kept (0600) in the home."""
    given = env.get("RULEWATCH_WEB_SECRET", "").strip()
    if given:
        if len(given) < 32:
            raise SettingsError("RULEWATCH_WEB_SECRET is shorter than 32 characters: make a long random one "
                                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        return given
    path = home / SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def stamp(password_hash: str) -> str:
    """What a session remembers of the password it was opened with: a new password ends old sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def signed_in(request: Request, store: Store, header: HeaderAuth | None) -> Person | None:
    if header is not None:
        return header.person(request)
    name = request.session.get(SESSION_USER)
    if not isinstance(name, str):
        return None
    account = store.users.get(name)
    if account is None or not hmac.compare_digest(str(request.session.get(SESSION_STAMP, "")),
                                                  stamp(account.password_hash)):
        request.session.clear()
        return None
    return Person(account.name, account.role)


def feed_token(secret: str, name: str, password_hash: str) -> str:
    """A person's calendar-feed token: their name and a signature of it and their password's stamp, so a
    calendar app can subscribe without a session, and a new password (or removal) revokes it."""
    mac = hmac.new(secret.encode(), f"calendar:{name}:{stamp(password_hash)}".encode(), hashlib.sha256)
    return f"{name}~{mac.hexdigest()[:40]}"


def feed_person(token: str, store: Store, secret: str) -> Person | None:
    """Who a calendar-feed token belongs to, when it is still theirs."""
    name, _, _ = token.rpartition("~")
    account = store.users.get(name) if name and len(token) < 400 else None
    if account is None or not hmac.compare_digest(token, feed_token(secret, account.name, account.password_hash)):
        return None
    return Person(account.name, account.role)


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def csrf_ok(request: Request, sent: object) -> bool:
    token = request.session.get(SESSION_CSRF)
    return isinstance(token, str) and isinstance(sent, str) and hmac.compare_digest(token, sent)
