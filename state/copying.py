"""Copying one rulewatch database into another (`rulewatch db copy`): from the embedded SQLite to
PostgreSQL when a team grows, or back. Every table is carried with its ids (sources' state, snapshots
and their blobs, changes, the search index, alerts, deliveries, rules, lineage, triage and its audit
trail, mutes, accounts), in one transaction on the target, and checked there before it commits: each
table's row count and a SHA-256 of its rows in key order must equal the source's.

Safe to re-run: a target that already holds exactly the source's rows is left as it is ("already
copied"); a target holding anything else is refused, naming a table that differs, and nothing is
written. Politeness leases (host_slots, host_pace) are a running cycle's, not history: not copied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection

from rulewatch.core.errors import StateError
from rulewatch.state import schema
from rulewatch.state.store import Store

NOT_COPIED = frozenset({"host_slots", "host_pace"})  # a running cycle's leases, not history
CHUNK = 500  # rows per INSERT batch


@dataclass(frozen=True, slots=True)
class TableCopy:
    name: str
    rows: int
    digest: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: tuple[TableCopy, ...]
    already: bool  # the target held exactly these rows before: nothing was written

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def copied_tables() -> list[Table]:
    """The tables a copy carries, parents before children (foreign keys hold at every insert)."""
    return [t for t in schema.metadata.sorted_tables if t.name not in NOT_COPIED]


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield dict(row)


def _plain(value: Any) -> Any:
    """A value as both databases give it back, for the digest: bytes as hex, booleans as booleans."""
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def _digest(conn: Connection, table: Table) -> TableCopy:
    sha = hashlib.sha256()
    count = 0
    names = [c.name for c in table.columns]
    for row in _rows(conn, table):
        sha.update(json.dumps([_plain(row[n]) for n in names], ensure_ascii=False, default=str).encode())
        sha.update(b"\n")
        count += 1
    return TableCopy(table.name, count, sha.hexdigest())


def _digests(conn: Connection) -> dict[str, TableCopy]:
    return {t.name: _digest(conn, t) for t in copied_tables()}


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL hands out ids from sequences: after rows came with their ids, each sequence must start
    after the largest, or the next alert would collide with a copied one."""
    for table in copied_tables():
        if "id" not in table.columns or not table.columns["id"].autoincrement or not table.columns["id"].primary_key:
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
        if sequence:
            largest = conn.execute(select(func.max(table.columns["id"]))).scalar()
            conn.execute(text("SELECT setval(:s, :v, :called)"),
                         {"s": sequence, "v": largest or 1, "called": largest is not None})


def copy_database(source: Store, target: Store) -> CopyReport:
    """Copy every table of `source` into `target` (both at this rulewatch's schema: opening them
    upgraded them), checked by counts and digests before the target's transaction commits."""
    with source.engine.connect() as conn:
        wanted = _digests(conn)
    with target.writer.connect() as conn:
        present = _digests(conn)
    if present == wanted:
        return CopyReport(tuple(wanted.values()), already=True)
    busy = [name for name, t in present.items() if t.rows]
    if busy:
        raise StateError(f"the target already holds other data (table {busy[0]}: {present[busy[0]].rows} rows): "
                         "copy into an empty database; nothing was written")
    with source.engine.connect() as reading, target.writer.begin() as writing:
        for table in copied_tables():
            batch: list[dict[str, Any]] = []
            for row in _rows(reading, table):
                batch.append(row)
                if len(batch) >= CHUNK:
                    writing.execute(insert(table), batch)
                    batch = []
            if batch:
                writing.execute(insert(table), batch)
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing)
        copied = _digests(writing)
        differing = [name for name in wanted if copied[name] != wanted[name]]
        if differing:  # raising rolls the whole copy back
            name = differing[0]
            raise StateError(f"the copy of table {name} does not match its source ({copied[name].rows} rows against "
                             f"{wanted[name].rows}, or their contents differ): nothing was written")
    return CopyReport(tuple(wanted.values()), already=False)
