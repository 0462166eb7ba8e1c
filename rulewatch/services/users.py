"""Accounts of the web workspace, the use case behind `rulewatch users` and the login page: roles,
passwords hashed with argon2, and logins slowed and then refused while someone guesses.

Roles: a viewer reads everything and changes nothing; a triager also decides about rules; an admin also
manages accounts. There is no default account: the first one is made with `rulewatch users add`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rulewatch.core.errors import UsageError
from rulewatch.core.reference import NO_DEFAULT, Variable
from rulewatch.state import Store
from rulewatch.state.records import TIME_FORMAT
from rulewatch.state.users import Account

if TYPE_CHECKING:
    from argon2 import PasswordHasher

ROLES = ("viewer", "triager", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}
MIN_PASSWORD = 12  # characters: a bank's regulatory positions sit behind it
MAX_PASSWORD = 1024  # argon2 hashes anything; a megabyte "password" is an attack on the CPU
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
# Guessing: after FREE_FAILURES failed logins within WINDOW (by name or address) each answer waits
# longer (SLOW_STEP seconds more per failure, at most MAX_DELAY); after LOCK_FAILURES none is accepted
# until the window has passed.
WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3
SLOW_STEP = 1.0
MAX_DELAY = 10.0
LOCK_FAILURES = 20
VARIABLES = (
    Variable("RULEWATCH_WEB_AUTH", "`password`", "`rulewatch web`: `password` (accounts of `rulewatch users`) or "
             "`header` (a user name set by an authenticating proxy)"),
    Variable("RULEWATCH_WEB_PROXIES", NO_DEFAULT, "header mode: the proxy's addresses or networks; the header from "
             "anywhere else is ignored"),
    Variable("RULEWATCH_WEB_USER_HEADER", "`X-Forwarded-User`", "header mode: the header naming the user"),
    Variable("RULEWATCH_WEB_GROUPS_HEADER", "`X-Forwarded-Groups`", "header mode: the header listing their groups"),
    Variable("RULEWATCH_WEB_GROUP_ROLES", NO_DEFAULT, "header mode: `group=role,...` (`*=viewer` for everyone the "
             "proxy lets in)"),
    Variable("RULEWATCH_WEB_SECRET", "made once in `RULEWATCH_HOME/web-secret`", "the key that signs sessions (32+ "
             "characters; the same on every instance behind one address)"),
    Variable("RULEWATCH_WEB_HTTPS", "`false`", "`true` when users reach the workspace over https: cookies are then "
             "`Secure`"),
    Variable("RULEWATCH_WEB_LOGIN_DELAY", f"`{SLOW_STEP:g}`", "seconds more each failed login waits, after the "
             f"first {FREE_FAILURES - 1} within {WINDOW.seconds // 60} minutes (at most {MAX_DELAY:g})"),
    Variable("RULEWATCH_SLACK_WORKSPACE_URL", NO_DEFAULT, "`https://acme.slack.com`: the workspace links each alert "
             "to its Slack message"),
)


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # the web's extra: only accounts pay for it

    return PasswordHasher()


@functools.cache
def _dummy() -> str:
    return _hasher().hash("rulewatch: a name that does not exist costs as much as one that does")


class AccountError(UsageError):
    """An account that cannot be made or changed as asked (names the account and why)."""


@dataclass(frozen=True, slots=True)
class Login:
    """What a login attempt earned: the account (None: refused), how long to make the answer wait,
    and whether the name or address is locked out for now."""

    account: Account | None
    delay: float
    locked: bool


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def add_user(store: Store, name: str, role: str, password: str, by: str) -> Account:
    if not _NAME.match(name):
        raise AccountError(f"{name!r}: a user name is 1 to 100 letters, digits, and . _ @ -")
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role (one of: {', '.join(ROLES)})")
    if not store.users.add(name, role, _hasher().hash(_checked_password(password)), by):
        raise AccountError(f"there is an account named {name!r} already (or there was: names are not reused)")
    account = store.users.get(name)
    assert account is not None
    return account


def set_password(store: Store, name: str, password: str) -> None:
    if not store.users.change(name, password_hash=_hasher().hash(_checked_password(password))):
        raise AccountError(f"there is no account named {name!r}")


def set_role(store: Store, name: str, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role (one of: {', '.join(ROLES)})")
    if not store.users.change(name, role=role):
        raise AccountError(f"there is no account named {name!r}")


def remove_user(store: Store, name: str) -> None:
    if not store.users.remove(name):
        raise AccountError(f"there is no account named {name!r}")


def users(store: Store, include_removed: bool = False) -> list[Account]:
    return store.users.all(include_removed)


def _slowing(failures: int, step: float) -> float:
    return min(MAX_DELAY, step * max(0, failures - FREE_FAILURES + 1))


def log_in(store: Store, name: str, password: str, address: str, now: datetime | None = None,
           step: float = SLOW_STEP) -> Login:
    """Check a login: every attempt is recorded; the answer is slowed while guesses pile up, and refused
    whatever the password once LOCK_FAILURES failed within WINDOW. The hash is checked for unknown
    names too, so the time taken does not tell which names exist."""
    now = now or datetime.now(UTC)
    since = (now - WINDOW).strftime(TIME_FORMAT)
    failures = store.users.failures_since(since, name, address)
    if failures >= LOCK_FAILURES:
        store.users.record_login(name, address, False)
        return Login(None, min(MAX_DELAY, step * LOCK_FAILURES), True)
    account = store.users.get(name) if _NAME.match(name) else None
    ok = False
    if len(password) <= MAX_PASSWORD:
        ok = _verified(account.password_hash if account else _dummy(), password) and account is not None
    store.users.record_login(name, address, ok)
    if not ok:
        return Login(None, _slowing(failures + 1, step), failures + 1 >= LOCK_FAILURES)
    if account is not None and _hasher().check_needs_rehash(account.password_hash):
        store.users.change(account.name, password_hash=_hasher().hash(password))
    return Login(account, 0.0, False)


def _verified(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        result: Any = _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(result)


def may(role: str, needed: str) -> bool:
    """Whether `role` may do what needs `needed` (viewer < triager < admin)."""
    return RANK.get(role, -1) >= RANK[needed]
