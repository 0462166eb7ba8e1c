"""Prepared statements run on the driver's cursor: same SQL as SQLAlchemy's, same transaction, on
SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select, update

from rulewatch.state import Store, schema
from rulewatch.state.prepared import Prepared

_S = schema.sources
_INSERT_SOURCE = Prepared(insert(_S))
_BUMP = Prepared(update(_S).where(_S.c.name == bindparam("b_name")).values(compares=_S.c.compares + 2))
_SET = Prepared(update(_S).where(_S.c.name == bindparam("b_name")))
_INSERT_CHECK = Prepared(insert(schema.checks))


def _row(store: Store, name: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(_S).where(_S.c.name == name)).mappings().one())


def test_writes_commit_with_the_callers_transaction(store: Store) -> None:
    with store.writer.begin() as conn:
        _INSERT_SOURCE.run(conn, {"name": "a", "url": "http://a/"})
        assert _BUMP.run(conn, {"b_name": "a"}).rowcount == 1  # the literal 2 is bound for the driver
        assert _BUMP.run(conn, {"b_name": "missing"}).rowcount == 0
        # Different columns each time: each set of names has its own compiled form.
        _SET.run(conn, {"b_name": "a", "etag": '"v1"'})
        _SET.run(conn, {"b_name": "a", "last_error": "boom", "failing_notified": True})
    row = _row(store, "a")
    assert (row["compares"], row["etag"], row["last_error"], row["failing_notified"]) == (2, '"v1"', "boom", True)


def test_a_rolled_back_transaction_keeps_nothing(store: Store) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), store.writer.begin() as conn:
        _INSERT_SOURCE.run(conn, {"name": "b", "url": "http://b/"})
        raise Abort
    with store.engine.connect() as conn:
        assert conn.execute(select(_S).where(_S.c.name == "b")).first() is None


def test_insert_returns_each_new_rows_id(store: Store) -> None:
    with store.writer.begin() as conn:
        _INSERT_SOURCE.run(conn, {"name": "c", "url": "http://c/"})
        ids = [_INSERT_CHECK.insert(conn, {"source": "c", "checked_at": f"t{n}", "outcome": "changed", "detail": ""})
               for n in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    with store.engine.connect() as conn:
        stored = conn.execute(select(schema.checks.c.id, schema.checks.c.checked_at)
                              .where(schema.checks.c.source == "c").order_by(schema.checks.c.id)).all()
    assert [(i, f"t{n}") for n, i in enumerate(ids)] == [tuple(r) for r in stored]


_ROW = Prepared(select(_S).where(_S.c.name == bindparam("b_name")))


def test_first_reads_a_row_by_column_name_with_booleans_as_bool(store: Store) -> None:
    with store.writer.begin() as conn:
        _INSERT_SOURCE.run(conn, {"name": "d", "url": "http://d/"})
        _SET.run(conn, {"b_name": "d", "failing_notified": True, "consecutive_failures": 4})
        row = _ROW.first(conn, {"b_name": "d"})
        assert _ROW.first(conn, {"b_name": "nobody"}) is None
    assert row is not None
    assert row["name"] == "d" and row["consecutive_failures"] == 4
    assert row["failing_notified"] is True  # SQLite hands back 1
    assert row == _row(store, "d")  # the same as SQLAlchemy's own reading
