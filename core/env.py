"""Reading settings from environment variables: every error is a SettingsError that names the variable.
Each part of rulewatch reads its own variables with these (the runner's in rulewatch.settings, each
sink's in its own module)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rulewatch.core.errors import SettingsError

Env = Mapping[str, str]


def number(env: Env, name: str, default: float, kind: type = float, *, minimum: float = 0,
           maximum: float = math.inf) -> float:
    """A finite number between `minimum` and `maximum` (a huge or infinite value would hang or
    never expire rather than fail: it is refused at start)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number") from exc
    if not math.isfinite(value):
        raise SettingsError(f"{name}={raw!r} is not a finite number")
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must not be negative" if minimum == 0
                            else f"{name}={raw!r} must be at least {minimum:g}")
    if value > maximum:
        raise SettingsError(f"{name}={raw!r} must be at most {maximum:g}")
    return float(value)


TIMEZONE_VARIABLE = "RULEWATCH_TIMEZONE"  # the team's time zone: alerts' clock and "today" for severity
SEVERITY_CHANNELS_VARIABLE = "RULEWATCH_SEVERITY_CHANNELS"
_LEVELS = ("high", "medium", "low")


def severity_channels(env: Env) -> tuple[tuple[str, str], ...]:
    """`high=#reg-urgent,medium=C0123`: alerts at a level or above go to its channel, the highest floor
    first."""
    pairs = tuple((level.lower(), channel) for level, channel in
                  routes(SEVERITY_CHANNELS_VARIABLE, env.get(SEVERITY_CHANNELS_VARIABLE, ""), "level"))
    for level, _ in pairs:
        if level not in _LEVELS:
            raise SettingsError(f"{SEVERITY_CHANNELS_VARIABLE}: {level!r} is not a level (use high, medium or low)")
    return tuple(sorted(pairs, key=lambda pair: _LEVELS.index(pair[0])))


SEVERITY_ROUTING_VARIABLE = "RULEWATCH_SEVERITY_ROUTING"
SEVERITY_ROUTINGS = ("copy", "move")


def severity_routing(env: Env) -> str:
    """Whether alerts at a severity floor are copied to its channel (and stay in their own, with its
    digest), or moved there."""
    raw = env.get(SEVERITY_ROUTING_VARIABLE, "").strip().lower() or "copy"
    if raw not in SEVERITY_ROUTINGS:
        raise SettingsError(f"{SEVERITY_ROUTING_VARIABLE}={raw!r}: use copy (the default) or move")
    return raw


def timezone(env: Env, name: str) -> tzinfo:
    """An IANA time zone (Asia/Shanghai, Europe/London); the machine's own when unset."""
    raw = env.get(name, "").strip()
    if not raw:
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"{name}={raw!r} is not a time zone (use an IANA name such as Asia/Shanghai)") from exc


def flag(env: Env, name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not one of 1/0, true/false, yes/no, on/off")


def routes(name: str, raw: str, key: str = "topic") -> tuple[tuple[str, str], ...]:
    """`cybersecurity=C0123,procurement=#it-buying` -> (("cybersecurity", "C0123"), ...). `key` names
    what stands left of "=" in the error message (a topic, a level)."""
    routes = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        topic, sep, channel = part.partition("=")
        if not sep or not topic.strip() or not channel.strip():
            example = "high=#reg-urgent" if key == "level" else "cybersecurity=#reg-cyber"
            raise SettingsError(f"{name}: {part!r} is not {key}=channel (e.g. {example})")
        routes.append((topic.strip(), channel.strip()))
    return tuple(routes)


def secret_url(env: Env, name: str) -> str:
    """An http(s) URL that carries a secret (a webhook's path is its password), or "" when unset.
    A malformed one is refused at start with the variable named and the value never shown: before,
    a bad host or port surfaced as a traceback at the first delivery."""
    from urllib.parse import urlsplit

    raw = env.get(name, "").strip()
    if not raw:
        return ""
    problem = ""
    if any(c.isspace() or not c.isprintable() for c in raw):
        problem = "holds a space, line break or control character"
    else:
        try:
            parts = urlsplit(raw)
            _ = parts.port  # parsed lazily: a bad port raises here
        except ValueError:
            problem = "cannot be parsed as a URL (a bracket, a bad port?)"
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problem = "is not an http(s) URL with a host"
    if problem:
        raise SettingsError(f"{name} {problem}: copy the URL again (its value is not shown here)")
    return raw
