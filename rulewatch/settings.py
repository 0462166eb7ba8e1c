"""Settings from the environment, read once, with named defaults. Secrets never appear in repr."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from alerts.deliver import DEFAULT_DELIVERY_LEASE
from core.errors import SettingsError
from detection.health import DEFAULT_FAILING_AFTER
from scrapers.fetch import DEFAULT_CONTACT_URL, FetchSettings
from scrapers.politeness import DEFAULT_HOST_CONCURRENCY, DEFAULT_HOST_DELAY, HostPolicy

DEFAULT_HOME = ".rulewatch"
DEFAULT_WORKERS = 16  # pages fetched at once across all hosts; per-host limits still apply
DEFAULT_FOLLOW_LIMIT = 10  # detail pages of new list items fetched per source and cycle


@dataclass(frozen=True)
class Secret:
    """A credential that does not show itself in repr(), str() or logs; `reveal()` hands it to a client."""

    _value: str = field(default="", repr=False)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


def _number(env: dict[str, str], name: str, default: float, kind: type = float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number") from exc
    if value < 0:
        raise SettingsError(f"{name}={raw!r} must not be negative")
    return float(value)


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not one of 1/0, true/false, yes/no, on/off")


def _routes(raw: str) -> tuple[tuple[str, str], ...]:
    """`cybersecurity=C0123,procurement=#it-buying` -> (("cybersecurity", "C0123"), ...)."""
    routes = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        topic, sep, channel = part.partition("=")
        if not sep or not topic.strip() or not channel.strip():
            raise SettingsError(f"RULEWATCH_TOPIC_CHANNELS: {part!r} is not topic=channel")
        routes.append((topic.strip(), channel.strip()))
    return tuple(routes)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    host_policy: HostPolicy
    workers: int
    follow_limit: int
    failing_after: int
    contact_url: str
    topics_file: Path | None
    slack_token: Secret = field(default=Secret(""))
    slack_token_block: str = ""  # name of a Prefect Secret block holding the token
    slack_channel: str = ""
    slack_webhook_url: Secret = field(default=Secret(""))
    slack_api_base_url: str = ""
    topic_channels: tuple[tuple[str, str], ...] = ()  # alerts of a topic go to its channel
    delivery_lease: float = DEFAULT_DELIVERY_LEASE
    shared_politeness: bool = False  # per-host limits kept in the database, across processes
    one_cpu: bool = True  # `rulewatch run` keeps its threads on one CPU (see rulewatch/cpu.py)


    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("RULEWATCH_HOME") or DEFAULT_HOME)
        database_url = env.get("RULEWATCH_DATABASE_URL") or f"sqlite:///{(home / 'rulewatch.db').absolute()}"
        concurrency = int(_number(env, "RULEWATCH_HOST_CONCURRENCY", DEFAULT_HOST_CONCURRENCY, int))
        if concurrency < 1:
            raise SettingsError("RULEWATCH_HOST_CONCURRENCY must be at least 1")
        topics = env.get("RULEWATCH_TOPICS", "").strip()
        return cls(
            home=home,
            database_url=database_url,
            host_policy=HostPolicy(concurrency, _number(env, "RULEWATCH_HOST_DELAY", DEFAULT_HOST_DELAY)),
            workers=max(1, int(_number(env, "RULEWATCH_WORKERS", DEFAULT_WORKERS, int))),
            follow_limit=int(_number(env, "RULEWATCH_FOLLOW_LIMIT", DEFAULT_FOLLOW_LIMIT, int)),
            failing_after=max(1, int(_number(env, "RULEWATCH_FAILING_AFTER", DEFAULT_FAILING_AFTER, int))),
            contact_url=env.get("RULEWATCH_CONTACT_URL") or DEFAULT_CONTACT_URL,
            topics_file=Path(topics) if topics else None,
            slack_token=Secret(env.get("SLACK_BOT_TOKEN", "").strip()),
            slack_channel=env.get("SLACK_CHANNEL", "").strip(),
            slack_token_block=env.get("SLACK_BOT_TOKEN_BLOCK", "").strip(),
            slack_webhook_url=Secret(env.get("SLACK_WEBHOOK_URL", "").strip()),
            slack_api_base_url=env.get("SLACK_API_BASE_URL", "").strip(),
            topic_channels=_routes(env.get("RULEWATCH_TOPIC_CHANNELS", "")),
            delivery_lease=_number(env, "RULEWATCH_DELIVERY_LEASE", DEFAULT_DELIVERY_LEASE),
            shared_politeness=_flag(env, "RULEWATCH_SHARED_POLITENESS", default=database_url.startswith("postgresql")),
            one_cpu=_flag(env, "RULEWATCH_ONE_CPU", default=True),
        )

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(host_policy=self.host_policy, contact_url=self.contact_url)

    def ensure_home(self) -> None:
        if self.database_url.startswith("sqlite"):
            self.home.mkdir(parents=True, exist_ok=True)
