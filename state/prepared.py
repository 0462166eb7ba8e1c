"""Prebuilt statements run straight on the database driver's cursor.

SQLAlchemy's execution path (execution contexts, events, result objects) costs about 30 µs a
statement, ten times what SQLite itself takes, and a cycle writes thousands: a 500-page cycle spent
0.1 s of its 1.1 s there. The SQL is still SQLAlchemy's, compiled once per dialect and set of columns;
the statement runs on the same DB-API connection, so inside the caller's transaction. Only the
statements a cycle runs per page go this way; the rest, and the rare paths that rely on SQLAlchemy's
savepoints and error translation, stay on SQLAlchemy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Boolean, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable

from rulewatch.core.text import storable


def storable_params(params: Any) -> Any:
    """Statement parameters (a dict, a sequence, or a list of them) with every string storable
    (core.text.storable): the one boundary where text reaches the database, whichever it is."""
    if isinstance(params, str):
        return storable(params)
    if isinstance(params, dict):
        return {k: storable(v) if isinstance(v, str) else storable_params(v) if isinstance(v, (list, tuple, dict))
                else v for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return type(params)(storable_params(v) if isinstance(v, (str, list, tuple, dict)) else v for v in params)
    return params


class Prepared:
    """One statement, compiled lazily per (dialect, parameter names), executed by the driver."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # Drivers hand SQLite's booleans back as 0/1; SQLAlchemy would have made them bool.
        columns = getattr(statement, "selected_columns", ())
        self._booleans = frozenset(c.name for c in columns if isinstance(c.type, Boolean))
        # (dialect name, parameter names) -> (SQL, parameter order for positional drivers or None,
        # literal values compiled into the statement, whether the SQL returns the new row's id)
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...] | None, dict[str, Any], bool]] = {}

    def _compile(
        self, dialect: Dialect, keys: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...] | None, dict[str, Any], bool]:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup) if compiled.positional else None
            literals = {name: bind.effective_value for name, bind in compiled.binds.items()
                        if name not in keys and not bind.required}
            found = (compiled.string, order, literals, bool(compiled.effective_returning))
            self._compiled[(dialect.name, keys)] = found
        return found

    def run(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Execute with `params` (column values and b_-named bound parameters); returns the driver's
        cursor (for rowcount)."""
        sql, order, literals, _ = self._compile(conn.dialect, tuple(params))
        values = storable_params({**literals, **params} if literals else params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, tuple(values[k] for k in order) if order is not None else values)
        return cursor

    def run_many(self, conn: Connection, rows: list[dict[str, Any]]) -> int:
        """Execute once per row (the driver's executemany); every row has the same keys. Returns the
        rows changed in all, as the driver counts them (-1 where it does not)."""
        if not rows:
            return 0
        sql, order, literals, _ = self._compile(conn.dialect, tuple(rows[0]))
        values = [storable_params({**literals, **row} if literals else row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [tuple(v[k] for k in order) for v in values] if order is not None else values)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert(self, conn: Connection, params: dict[str, Any]) -> int:
        """Execute an INSERT; returns the new row's integer id."""
        _, _, _, returning = self._compile(conn.dialect, tuple(params))
        cursor = self.run(conn, params)
        try:
            return int(cursor.fetchone()[0] if returning else cursor.lastrowid)
        finally:
            cursor.close()

    def first(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        """Execute a SELECT; its first row by column name, or None."""
        cursor = self.run(conn, params)
        try:  # closed at once: an open SQLite statement would hold its read snapshot
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        finally:
            cursor.close()
        if row is None:
            return None
        found = dict(zip(names, row, strict=True))
        for name in self._booleans:
            if found.get(name) is not None:
                found[name] = bool(found[name])
        return found


@cache
def insert_ignoring_duplicates(dialect: str, table: Table) -> Prepared:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect at hand (built once per dialect and table)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return Prepared(pg_insert(table).on_conflict_do_nothing())
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return Prepared(sqlite_insert(table).on_conflict_do_nothing())
