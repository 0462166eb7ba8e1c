"""The only writer of rulewatch's state. A snapshot, its change and its alerts commit together or not at all.

Store opens the database (engines, schema upgrades) and owns the transaction: `write` (retried whole
when PostgreSQL breaks a deadlock) and `batch`. What is read and written goes through its repositories,
each owning its statements: `sources`, `snapshots`, `outbox` (alerts and deliveries), `rules` (and
lineage), `history` (search), `triage` (decisions and their audit trail)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
)

from rulewatch.core.errors import StateError, WriteRefused
from rulewatch.state import migrate, schema
from rulewatch.state.history import History
from rulewatch.state.inbox import InboxReader
from rulewatch.state.mutes import Mutes
from rulewatch.state.outbox import Outbox
from rulewatch.state.prepared import storable_params
from rulewatch.state.recorder import HealthRules, Recorder
from rulewatch.state.records import Recorded
from rulewatch.state.rules import Rules
from rulewatch.state.snapshots import Snapshots
from rulewatch.state.sources import Sources
from rulewatch.state.triage import Triage
from rulewatch.state.users import Users

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open: a cycle's threads (RULEWATCH_WORKERS, 16 by default) each read their source's
# last snapshot, and a connection opened per page costs more than the read (SQLite's set-up pragmas,
# PostgreSQL's handshake).
SUPPORTED_URLS = ("sqlite", "postgresql")
# Two writers can deadlock on PostgreSQL (rows locked in different orders); the database aborts one.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
# Data exceptions (class 22: too long, bad encoding, NUL) and integrity violations (23) that one row's
# data causes: the rest of its batch can be written without it.
DATA_SQLSTATE_CLASSES = frozenset({"22", "23"})
WRITE_RETRIES = 3
IN_LIST_MAX = 500  # ids per IN (...) list
WRITE_RETRY_PAUSE = 0.05  # seconds, times the attempt
POOL_SIZE = 16
POOL_OVERFLOW = 16

_D = schema.deliveries
_T = TypeVar("_T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL is a property of the file: switch once. The switch needs a moment alone with the file, and
    # SQLite answers "locked" without waiting when another process is creating it at the same time.
    for _ in range(100):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            break
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, writer: bool = False) -> Engine:
    """An engine for `url`. On SQLite a writer engine starts every transaction with BEGIN IMMEDIATE,
    so two cycles never interleave a read-then-write of the same source (readers are never blocked:
    WAL)."""
    sqlite = url.startswith("sqlite")
    if sqlite:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                               pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    event.listen(engine, "before_cursor_execute", _storable_text, retval=True)
    if not sqlite:
        return engine
    event.listen(engine, "connect", _sqlite_pragmas)
    if writer:
        def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves

        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _storable_text(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> tuple[str, Any]:
    """Every string SQLAlchemy sends the database made storable (no NUL): scraped text reaches every
    table, and one NUL would fail a PostgreSQL batch (SQLite would keep it, to show up later)."""
    return statement, storable_params(parameters)


class Store:
    """rulewatch's state in one SQL database (SQLite by default, PostgreSQL by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if not url.startswith(SUPPORTED_URLS):
            raise StateError(f"RULEWATCH_DATABASE_URL: rulewatch keeps its state in SQLite or PostgreSQL, "
                             f"e.g. postgresql+psycopg://user@host/rulewatch (got {_shown(url)})")
        try:
            self.writer = make_engine(url, writer=True)
        except ImportError as exc:  # the driver is an extra
            raise StateError(f"RULEWATCH_DATABASE_URL names PostgreSQL, whose driver is not installed ({exc}): "
                             "pip install 'rulewatch[postgres]' (`make` installs it)") from exc
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StateError(f"RULEWATCH_DATABASE_URL is not a database URL rulewatch can use ({exc}); "
                             "e.g. postgresql+psycopg://user@host/rulewatch") from exc
        self.engine = self.writer if not url.startswith("sqlite") else make_engine(url)
        try:
            self.schema_before, self.schema_action = migrate.prepare(self.engine, self.writer)
        except DBAPIError as exc:  # unreachable, refused, locked, read-only, or not a database at all
            self.close()
            hint = ""
            if "not a database" in str(exc.orig) or "malformed" in str(exc.orig):
                hint = "; the file is damaged or is not rulewatch's: move it away to start afresh (its history is lost)"
            raise StateError(f"cannot open the database {_shown(url)} (RULEWATCH_DATABASE_URL): "
                             f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}{hint}") from exc
        except BaseException:
            self.close()
            raise
        # The repositories, each owning its statements: what the rest of rulewatch reads and writes through.
        self.sources = Sources(self)
        self.snapshots = Snapshots(self)
        self.outbox = Outbox(self)
        self.rules = Rules(self)
        self.history = History(self)
        self.triage = Triage(self)
        self.mutes = Mutes(self)
        self.users = Users(self)
        self.inbox = InboxReader(self)

    def close(self) -> None:
        self.engine.dispose()
        self.writer.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def count_rows(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in schema.metadata.sorted_tables
            }

    # ---- writing ------------------------------------------------------------------------------------

    def record_success(self, health: HealthRules | None = None, **kwargs: Any) -> Recorded:
        """Record a good fetch (see Recorder.record_success) in its own transaction."""
        with self.batch(health) as recorder:
            return recorder.record_success(**kwargs)

    def record_not_modified(self, health: HealthRules | None = None, **kwargs: Any) -> None:
        with self.batch(health) as recorder:
            recorder.record_not_modified(**kwargs)

    def record_failure(self, health: HealthRules | None = None, **kwargs: Any) -> int:
        with self.batch(health) as recorder:
            return recorder.record_failure(**kwargs)

    def write(self, records: Callable[[Recorder], _T], health: HealthRules | None = None) -> _T:
        """`records(recorder)` in one transaction. A transaction PostgreSQL aborted to break a deadlock
        (or a serialization failure) with another writer is run again, whole: it was rolled back, so
        nothing is written twice. Data the database refuses (too long, malformed) raises WriteRefused,
        so the caller can write the others without it. Other errors propagate."""
        for attempt in range(WRITE_RETRIES + 1):
            try:
                with self.batch(health) as recorder:
                    return records(recorder)
            except _database_errors(self.writer.dialect.name) as exc:
                state = _sqlstate(exc)
                if state[:2] in DATA_SQLSTATE_CLASSES:
                    raise WriteRefused(f"the database refused the data (SQLSTATE {state})") from exc
                if attempt == WRITE_RETRIES or state not in RETRYABLE_SQLSTATES:
                    # Locked past the busy timeout, read-only, a full disk, a lost server: nothing of
                    # this batch was written; say so in one line (the CLI exits 2, the flow fails).
                    why = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
                    raise StateError(f"cannot write to the database {_shown(self.url)}: {why[0]}; "
                                     "nothing of this batch was recorded") from exc
                time.sleep(WRITE_RETRY_PAUSE * (attempt + 1))
        raise AssertionError("unreachable")

    @contextmanager
    def batch(self, health: HealthRules | None = None) -> Iterator[Recorder]:
        """One transaction for many sources' results (a cycle writes in batches, not per page), with
        the health notices `health` calls for (none without it)."""
        with self.begin_write() as conn:
            yield Recorder(conn, health)

    @contextmanager
    def begin_write(self) -> Iterator[Connection]:
        """A write transaction on a database this release can still write: StateError, with nothing
        written, once a newer rulewatch has upgraded it (migrate.guard_write)."""
        with self.writer.begin() as conn:
            migrate.guard_write(conn)
            yield conn


def _database_errors(dialect: str) -> tuple[type[BaseException], ...]:
    """Database errors as they come: wrapped by SQLAlchemy, or raw from the driver's cursor (the
    recorder's prepared statements). psycopg is imported only where it is in use already."""
    if dialect != "postgresql":
        return (DBAPIError, sqlite3.Error)
    from psycopg import Error as PsycopgError

    return (DBAPIError, PsycopgError)


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error, wrapped by SQLAlchemy or raw from the driver's cursor."""
    return str(getattr(getattr(exc, "orig", None) or exc, "sqlstate", "") or "")


def _shown(url: str) -> str:
    """A database URL fit for a message: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "an unparsable URL"
