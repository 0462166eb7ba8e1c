"""The history of every stored version's text, for search (a repository of the Store over
state.search's statements)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from rulewatch.core.errors import StateError
from rulewatch.state import migrate, schema
from rulewatch.state.records import stored_document
from rulewatch.state.search import (
    DEFAULT_SEARCH_LIMIT,
    SearchHit,
    catch_up,
    rebuild_index,
    replay_texts,
    search,
    unindexed_sources,
)

if TYPE_CHECKING:
    from rulewatch.state.database import Database
    from rulewatch.state.recorder import Recorder


class History:
    """Searching what every stored version said, and rebuilding that index."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, query: str, *, source: str = "", since: str = "", limit: int = DEFAULT_SEARCH_LIMIT
               ) -> list[SearchHit]:
        """Texts of every stored version that hold `query`, with when each appeared and went."""
        if self.db.writer.dialect.name == "sqlite":  # PostgreSQL's trigram index needs no catching up
            self._catch_up_if_free()
        with self.db.engine.connect() as conn:
            return search(conn, query, source=source, since=since, limit=limit)

    def _catch_up_if_free(self) -> None:
        """Index the texts recorded since the last search, when the write lock is free at once: a search
        never waits for a cycle's writes (nor fails on a read-only file); search() reads the rows past
        the index's mark without it."""
        with self.db.writer.connect() as conn:
            driver = conn.connection.dbapi_connection  # below SQLAlchemy: a statement here begins nothing
            assert driver is not None
            waits = driver.execute("PRAGMA busy_timeout").fetchone()[0]
            driver.execute("PRAGMA busy_timeout = 0")
            try:
                with conn.begin():
                    migrate.guard_write(conn)
                    catch_up(conn)
            except (OperationalError, StateError):
                pass  # locked, read-only or upgraded elsewhere: this search reads the tail as it is
            finally:
                driver.execute(f"PRAGMA busy_timeout = {int(waits)}")

    def unindexed_sources(self, source: str = "") -> list[str]:
        """Sources (or only `source`) whose early versions search cannot find yet (stored before schema
        0004)."""
        with self.db.engine.connect() as conn:
            return unindexed_sources(conn, source)

    def reindex(self, sources: Iterable[str] | None = None) -> tuple[int, int]:
        """Rebuild the search rows of these sources (default: every source with a stored version) from
        their snapshots, one transaction per source; returns (sources, versions) replayed."""
        s, b = schema.snapshots, schema.blobs
        if sources is None:
            with self.db.engine.connect() as conn:
                sources = [row[0] for row in conn.execute(select(s.c.source).distinct().order_by(s.c.source))]
        done = versions = 0
        for name in sources:
            def replay(recorder: Recorder, name: str = name) -> int:
                # Fetched whole before the rows are rewritten on the same connection; one source's
                # versions at a time, each decompressed only as it is replayed.
                stored = recorder.conn.execute(select(s.c.id, s.c.taken_at, b.c.data).join(b, b.c.hash == s.c.blob_hash)
                                               .where(s.c.source == name).order_by(s.c.id)).all()
                return replay_texts(recorder.conn, name, ((row[0], row[1], stored_document(row[2])) for row in stored))
            versions += self.db.write(replay)
            done += 1
        self.db.write(lambda recorder: rebuild_index(recorder.conn))
        return done, versions
