"""Schema upgrades with Alembic, run when a Store opens a database (and by `rulewatch db upgrade`).

- An empty database gets today's tables and is stamped at the head revision.
- A database from before migrations (rulewatch's tables, no alembic_version) is adopted: it is
  brought to revision 0001's shape (columns that very early versions lacked are added) and stamped
  0001, then upgraded like any other.
- A database behind the head is upgraded, one revision at a time, in one transaction under a lock
  (PostgreSQL: an advisory lock; SQLite: the writer's exclusive transaction), so two workers starting
  at once never migrate twice; the second finds the work done.
- A database ahead of this code (a newer rulewatch migrated it) is refused before anything is
  written: StateError says to upgrade rulewatch here. A process that opened the database before a
  newer rulewatch upgraded it is refused the same way at its next write (guard_write, in every write
  transaction; on PostgreSQL under a shared advisory lock that an upgrade waits for).

The common case, a database already at the head, costs one read and imports nothing of Alembic.
There is no downgrade: restore a backup (README, Upgrades).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from rulewatch.core.errors import StateError
from rulewatch.state import schema
from rulewatch.state.search import create_search_index

SCHEMA_HEAD = "0013"  # the newest revision in state/migrations/versions (a test keeps them in step)
FIRST_REVISION = "0001"
VERSION_TABLE = "alembic_version"
SCHEMA_LOCK_ID = 7_104_2026  # pg_advisory_xact_lock key for schema changes
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this code."""

    current: str | None  # its revision; None before migrations (legacy) or when empty
    legacy: bool  # rulewatch's tables without a version: from before migrations
    empty: bool

    @property
    def head(self) -> str:
        return SCHEMA_HEAD

    @property
    def up_to_date(self) -> bool:
        return self.current == SCHEMA_HEAD

    def describe(self) -> str:
        if self.empty:
            return f"empty; the first run creates the schema at revision {SCHEMA_HEAD}"
        if self.legacy:
            return f"from before migrations (adopted as {FIRST_REVISION}); upgrade to {SCHEMA_HEAD} pending"
        if self.up_to_date:
            return f"at revision {self.current} (head): up to date"
        if not _known(self.current):
            return f"at revision {self.current}, newer than this rulewatch knows (head {SCHEMA_HEAD})"
        return f"at revision {self.current}; upgrade to {SCHEMA_HEAD} pending"


def status(conn: Connection) -> SchemaStatus:
    """Where the database behind `conn` stands (reads only)."""
    tables = set(inspect(conn).get_table_names())
    if VERSION_TABLE in tables:
        current = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        return SchemaStatus(current=current, legacy=False, empty=False)
    legacy = "sources" in tables or "alerts" in tables
    return SchemaStatus(current=None, legacy=legacy, empty=not legacy)


def _at_head(conn: Connection) -> bool:
    """The fast path: one read, no Alembic."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return False
    return bool(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == SCHEMA_HEAD)


def prepare(reader: Engine, writer: Engine) -> tuple[SchemaStatus, str]:
    """Bring the database to the head revision if it is behind; refuse it if it is ahead. Returns its
    status before, and what was done ("current", "created", "upgraded")."""
    with reader.connect() as conn:
        if _at_head(conn):
            return SchemaStatus(SCHEMA_HEAD, legacy=False, empty=False), "current"
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two workers starting at once: the second waits here, then finds the work done.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_ID})")
        before = status(conn)
        if before.up_to_date:
            return before, "current"
        if before.empty:
            schema.metadata.create_all(conn)
            create_search_index(conn)
            for statement in schema.append_only_ddl(conn.dialect.name):
                conn.exec_driver_sql(statement)
            _alembic(conn, "stamp", SCHEMA_HEAD)
            return before, "created"
        if before.legacy:
            _adopt(conn)
        elif not _known(before.current):
            raise StateError(
                f"the database is at schema revision {before.current}, newer than this rulewatch knows "
                f"(its newest is {SCHEMA_HEAD}): a newer rulewatch migrated it. Upgrade rulewatch on this "
                "machine; nothing was written")
        _alembic(conn, "upgrade", "head")
        return before, "upgraded"


def guard_write(conn: Connection) -> None:
    """At the start of a write transaction: refuse to write when a newer rulewatch has upgraded the
    database since this process opened it (a worker or the web workspace left running through an
    upgrade). On PostgreSQL the check holds a shared advisory lock to the end of the transaction, so an
    upgrade (which takes it exclusively) waits for writes in flight and every later write sees it."""
    if conn.dialect.name == "postgresql":
        current = conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({SCHEMA_LOCK_ID}), "
                                       f"(SELECT version_num FROM {VERSION_TABLE})").one()[1]
    else:
        current = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    if current != SCHEMA_HEAD and not _known(current):
        raise StateError(
            f"the database was upgraded to schema revision {current} by a newer rulewatch while this "
            f"process ran (its newest is {SCHEMA_HEAD}): stop this process and run the new release; "
            "nothing was written")


def _adopt(conn: Connection) -> None:
    """A database from before migrations: bring it to revision 0001's shape and stamp it so."""
    first: Any = importlib.import_module("rulewatch.state.migrations.versions.0001_initial")
    first.metadata.create_all(conn)  # tables that very early versions did not have yet
    existing = inspect(conn)
    for table in first.metadata.sorted_tables:
        present = {c["name"] for c in existing.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            ddl = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(conn.dialect)}"
            if column.server_default is not None:
                ddl += f" NOT NULL DEFAULT {column.server_default.arg!r}"
            conn.exec_driver_sql(ddl)
    _alembic(conn, "stamp", FIRST_REVISION)


def _config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _alembic(conn: Connection, command_name: str, revision: str) -> None:
    from alembic import command

    getattr(command, command_name)(_config(conn), revision)


def _known(revision: str | None) -> bool:
    """Whether this code's migrations know `revision`."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return revision in {r.revision for r in script.walk_revisions()}
