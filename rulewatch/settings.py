"""The runner's settings from the environment, read once, with named defaults. Sinks read their own
(alerts.sinks); secrets never appear in repr."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from rulewatch.alerts.deliver import DEFAULT_DELIVERY_LEASE
from rulewatch.core.env import TIMEZONE_VARIABLE, flag, number, timezone
from rulewatch.core.errors import SettingsError
from rulewatch.core.model import DEFAULT_HOST_CONCURRENCY, DEFAULT_HOST_DELAY, HostPolicy
from rulewatch.core.reference import NO_DEFAULT, Variable
from rulewatch.detection.health import DEFAULT_FAILING_AFTER
from rulewatch.scrapers.fetch import DEFAULT_CONTACT_URL, FetchSettings

DEFAULT_HOME = ".rulewatch"
DEFAULT_WORKERS = 16  # pages fetched at once across all hosts; per-host limits still apply
DEFAULT_FOLLOW_LIMIT = 10  # detail pages of new list items fetched per source and cycle
MAX_HOST_CONCURRENCY = 64  # as a source's own host_concurrency; more is no politeness, and costs threads
MAX_HOST_DELAY = 600.0
MAX_WORKERS = 256
MAX_ANALYSIS_WORKERS = 64
# A lease shorter than a send can take (Slack's timeout with its retries, a file upload) lets a second
# sender post the same alert while the first is still at it.
MIN_DELIVERY_LEASE = 60.0
MAX_DELIVERY_LEASE = 86_400.0  # a day: a longer lease only delays a retry after a crash

DEFAULT_SOURCES = "sources.yaml"

# Every variable the settings read, with its default and a help line: the README's table of variables
# is generated from these and the other registries (rulewatch.reference).
VARIABLES: tuple[Variable, ...] = (
    Variable("RULEWATCH_HOME", f"`./{DEFAULT_HOME}`", "where the SQLite state lives"),
    Variable("RULEWATCH_DATABASE_URL", "SQLite in `RULEWATCH_HOME`",
             "e.g. `postgresql://user@host/rulewatch` (`postgres://…`, as hosted PostgreSQL services print it, "
             "works too; both use psycopg)"),
    Variable("RULEWATCH_SOURCES", f"`{DEFAULT_SOURCES}`", "the sources file the CLI reads"),
    Variable("RULEWATCH_HOST_CONCURRENCY", f"`{DEFAULT_HOST_CONCURRENCY}`",
             f"requests in flight to one host (at most {MAX_HOST_CONCURRENCY})"),
    Variable("RULEWATCH_HOST_DELAY", f"`{DEFAULT_HOST_DELAY}`",
             f"seconds between the starts of two requests to one host (at most {MAX_HOST_DELAY:g})"),
    Variable("RULEWATCH_WORKERS", f"`{DEFAULT_WORKERS}`",
             f"pages checked at once across all hosts (at most {MAX_WORKERS})"),
    Variable("RULEWATCH_FOLLOW_LIMIT", f"`{DEFAULT_FOLLOW_LIMIT}`", "detail pages fetched per list source and cycle"),
    Variable("RULEWATCH_CONTACT_URL", "project URL", "sent in the User-Agent so site owners can reach you"),
    Variable("RULEWATCH_TOPICS", NO_DEFAULT, "your extra topics file"),
    Variable("RULEWATCH_GLOSSARY", NO_DEFAULT, "your extra Chinese-English glossary for alerts' English line"),
    Variable("RULEWATCH_SEVERITY", NO_DEFAULT,
             "your severity weights and thresholds (see [What an alert says](../README.md#what-an-alert-says))"),
    Variable("RULEWATCH_FEED_FILE", NO_DEFAULT,
             "an Atom feed of the newest alerts, rewritten after each cycle that records alerts"),
    Variable(TIMEZONE_VARIABLE, "the machine's",
             "the team's time zone (IANA name): alerts' clock, and \"today\" for dates falling soon"),
    Variable("RULEWATCH_FAILING_AFTER", f"`{DEFAULT_FAILING_AFTER}`",
             "consecutive failures before a \"source failing\" notice"),
    Variable("RULEWATCH_SHARED_POLITENESS", "on with PostgreSQL",
             "keep per-host limits in the database, so several processes or workers share them"),
    Variable("RULEWATCH_ONE_CPU", "`1`",
             "`rulewatch run` keeps its threads on one CPU, the idlest since the command started: they share one "
             "GIL, and handing it between CPUs cost 15–25% more time, quiet or beside a busy neighbour "
             "(bench/RESULTS.md, 0e); `0` lets them roam (do so for several `--partition` processes on one machine)"),
    Variable("RULEWATCH_ANALYSIS_WORKERS", "`auto`",
             "processes that extract, compare and judge changed pages beside the cycle's threads, on the CPUs "
             "those leave free: `auto` is one per CPU but one (none on a one-CPU machine), `0` none, or a count "
             f"(at most {MAX_ANALYSIS_WORKERS}). They are forked when a `rulewatch run` cycle starts, so they only "
             "exist where the process has no other thread yet: a Prefect flow run analyses in its own threads as "
             "before. A worker that is busy, dies or fails hands its page back to the cycle, which analyses it "
             "itself; `-v` logs how many pages went where. Several `--partition` processes on one machine share "
             "its CPUs: give each `1` or `0`"),
    Variable("RULEWATCH_DELIVERY_LEASE", f"`{DEFAULT_DELIVERY_LEASE:g}`",
             f"seconds one sender holds an alert; at least {MIN_DELIVERY_LEASE:g}, longer than a Slack request "
             "with its retries can take (a shorter lease lets two senders post one alert twice)"),
)


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
    glossary_file: Path | None = None  # RULEWATCH_GLOSSARY: more Chinese-English pairs for alerts' English line
    severity_file: Path | None = None  # RULEWATCH_SEVERITY: the user's weights for alert severity
    timezone: tzinfo | None = None  # RULEWATCH_TIMEZONE: the team's day and clock in alerts (machine's if unset)
    feed_file: Path | None = None  # RULEWATCH_FEED_FILE: an Atom feed of alerts, rewritten after each cycle
    delivery_lease: float = DEFAULT_DELIVERY_LEASE
    shared_politeness: bool = False  # per-host limits kept in the database, across processes
    one_cpu: bool = True  # `rulewatch run` keeps its threads on one CPU (see rulewatch/cpu.py)
    # RULEWATCH_ANALYSIS_WORKERS: processes that extract, compare and judge changed pages beside the
    # cycle's threads (rulewatch/workers.py); None: one per CPU but one, 0: none
    analysis_workers: int | None = None
    # The environment these settings were read from: each sink reads its own variables from it
    # (alerts.sinks). Not shown: it holds credentials.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("RULEWATCH_HOME") or DEFAULT_HOME)
        database_url = _database_url(env) or f"sqlite:///{(home / 'rulewatch.db').absolute()}"
        concurrency = int(number(env, "RULEWATCH_HOST_CONCURRENCY", DEFAULT_HOST_CONCURRENCY, int,
                                 maximum=MAX_HOST_CONCURRENCY))
        if concurrency < 1:
            raise SettingsError("RULEWATCH_HOST_CONCURRENCY must be at least 1")
        return cls(
            home=home,
            database_url=database_url,
            host_policy=HostPolicy(concurrency, number(env, "RULEWATCH_HOST_DELAY", DEFAULT_HOST_DELAY,
                                                       maximum=MAX_HOST_DELAY)),
            workers=max(1, int(number(env, "RULEWATCH_WORKERS", DEFAULT_WORKERS, int, maximum=MAX_WORKERS))),
            follow_limit=int(number(env, "RULEWATCH_FOLLOW_LIMIT", DEFAULT_FOLLOW_LIMIT, int)),
            failing_after=max(1, int(number(env, "RULEWATCH_FAILING_AFTER", DEFAULT_FAILING_AFTER, int))),
            contact_url=_contact_url(env),
            topics_file=_path(env, "RULEWATCH_TOPICS"),
            glossary_file=_path(env, "RULEWATCH_GLOSSARY"),
            severity_file=_path(env, "RULEWATCH_SEVERITY"),
            timezone=timezone(env, TIMEZONE_VARIABLE),
            feed_file=_path(env, "RULEWATCH_FEED_FILE"),
            delivery_lease=number(env, "RULEWATCH_DELIVERY_LEASE", DEFAULT_DELIVERY_LEASE,
                                  minimum=MIN_DELIVERY_LEASE, maximum=MAX_DELIVERY_LEASE),
            shared_politeness=flag(env, "RULEWATCH_SHARED_POLITENESS", default=database_url.startswith("postgresql")),
            one_cpu=flag(env, "RULEWATCH_ONE_CPU", default=True),
            analysis_workers=_analysis_workers(env),
            env=env,
        )

    def today(self) -> date:
        """Today in the team's time zone: what "effective within 30 days" counts from."""
        return datetime.now(self.timezone).date()

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(host_policy=self.host_policy, contact_url=self.contact_url)

    def ensure_home(self) -> None:
        if self.database_url.startswith("sqlite"):
            try:
                self.home.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SettingsError(f"RULEWATCH_HOME={self.home}: cannot create it ({exc.strerror or exc}): "
                                    "choose a folder this user may write") from exc


# The URL forms hosted PostgreSQL services hand out, mapped to the driver rulewatch installs (psycopg 3).
_POSTGRES_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg2://")
DATABASE_SCHEMES = ("sqlite:", "sqlite+", "postgresql+psycopg://")


def _database_url(env: Mapping[str, str]) -> str:
    """RULEWATCH_DATABASE_URL, with postgres:// and postgresql:// (what Heroku, RDS, Supabase and
    libpq print) read as PostgreSQL through psycopg; any other scheme refused by name."""
    return database_url(env.get("RULEWATCH_DATABASE_URL", ""))


def database_url(raw: str, what: str = "RULEWATCH_DATABASE_URL") -> str:
    """A database URL as rulewatch reads one (`what` names where it came from in an error)."""
    raw = raw.strip()
    if not raw:
        return ""
    for scheme in _POSTGRES_SCHEMES:
        if raw.startswith(scheme):
            return "postgresql+psycopg://" + raw[len(scheme):]
    if not raw.startswith(DATABASE_SCHEMES):
        shown = raw.split("://", 1)[0] if "://" in raw else raw[:20]
        raise SettingsError(f"{what}: {shown!r} is not a database rulewatch speaks: rulewatch "
                            "keeps its state in SQLite or PostgreSQL (postgresql://user@host/db, postgres://… "
                            "or sqlite:///path/to/rulewatch.db)")
    return raw


def _contact_url(env: Mapping[str, str]) -> str:
    """RULEWATCH_CONTACT_URL, sent in every request's User-Agent: one line of printable ASCII."""
    raw = env.get("RULEWATCH_CONTACT_URL", "").strip()
    if not raw:
        return DEFAULT_CONTACT_URL
    if not raw.isascii() or any(c.isspace() or not c.isprintable() for c in raw) or "(" in raw or ")" in raw:
        raise SettingsError("RULEWATCH_CONTACT_URL must be one URL or e-mail address of printable ASCII, without "
                            "spaces or parentheses: it is sent in every request's User-Agent header")
    return raw


def _analysis_workers(env: Mapping[str, str]) -> int | None:
    """RULEWATCH_ANALYSIS_WORKERS: `auto` (or unset) for one per CPU but one, else a count (0: none)."""
    raw = env.get("RULEWATCH_ANALYSIS_WORKERS", "").strip().lower()
    if raw in ("", "auto"):
        return None
    return int(number(env, "RULEWATCH_ANALYSIS_WORKERS", 0, int, maximum=MAX_ANALYSIS_WORKERS))


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw) if raw else None
