"""Search over history: the texts each source has shown, when each first appeared and when it went.

Written with each snapshot (Recorder): a baseline's texts all appear; a change's removed and added
blocks and items go and appear. Found by trigrams: SQLite's FTS5 trigram index for terms of three
characters or more, a LIKE scan for shorter ones (两个汉字 such as 外包: a trigram index cannot hold them);
PostgreSQL's pg_trgm index behind ILIKE (a plain scan where the extension could not be created).

The cycle only appends rows: SQLite's trigram index is brought up to date by the next search
(catch_up), because indexing in the cycle cost 0.12 ms a text, a baseline of 500 pages 4 s.

Versions stored before search existed (schema 0004) are indexed by replaying a source's snapshots
(`rulewatch db reindex-search`): each version's texts against the one before, so a text's first and
last sight are those of the snapshots that showed it. `unindexed_sources` tells search when to say so.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from rulewatch.core.model import Change, Document
from rulewatch.state import schema
from rulewatch.state.prepared import Prepared

log = logging.getLogger("rulewatch.state")

MAX_TEXT_CHARS = 20_000  # of one indexed text; a longer block is indexed by its opening
MIN_TRIGRAM_CHARS = 3
DEFAULT_SEARCH_LIMIT = 50
_H = schema.history_texts


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One text that held the query, in one source, and its life there."""

    source: str
    text: str
    first_seen: str
    gone_at: str | None  # None: still there

    def context(self, query: str, width: int = 40) -> str:
        """The text around the first occurrence of `query` (case-insensitive), cut to `width` each side."""
        at = self.text.lower().find(query.lower())
        if at < 0:
            return self.text[: 2 * width]
        start, end = max(0, at - width), min(len(self.text), at + len(query) + width)
        return ("…" if start else "") + self.text[start:end] + ("…" if end < len(self.text) else "")

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "text": self.text, "first_seen": self.first_seen, "gone_at": self.gone_at}


def create_search_index(conn: Connection) -> None:
    """The trigram index for this database. On PostgreSQL without the right to create pg_trgm, search
    still works, by scanning; a warning says so."""
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.execute(text(schema.SEARCH_EXTENSION_DDL))
        except DBAPIError as exc:
            log.warning("pg_trgm is not available (%s): `rulewatch search` scans instead of using an index",
                        str(getattr(exc, "orig", exc)).strip().splitlines()[0])
            return
    for statement in schema.search_ddl(conn.dialect.name):
        conn.execute(text(statement))


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def document_texts(document: Document) -> list[str]:
    """The texts a document shows, each once: its title, its blocks and its items' titles."""
    return _distinct([document.title, *(b.text for b in document.blocks), *(i.title for i in document.items)])


def change_texts(change: Change) -> tuple[list[str], list[str]]:
    """(gone, came): the texts a change took away and brought. Items pushed to a later page are not gone."""
    gone: list[str] = []
    came: list[str] = []
    if change.title:
        gone.append(change.title[0])
        came.append(change.title[1])
    for t in change.text:
        if t.kind in ("removed", "changed") and t.old:
            gone.append(t.old)
        if t.kind in ("added", "changed") and t.new:
            came.append(t.new)
    for i in change.items:
        if i.kind == "added":
            came.append(i.item.title)
        elif i.kind == "removed":
            gone.append(i.item.title)
        elif i.kind == "changed" and i.old is not None and i.old.title != i.item.title:
            gone.append(i.old.title)
            came.append(i.item.title)
    went, arrived = _distinct(gone), _distinct(came)
    moved = set(went) & set(arrived)  # a text that moved stays
    return [t for t in went if t not in moved], [t for t in arrived if t not in moved]


def _distinct(texts: list[str]) -> list[str]:
    """Non-blank texts as indexed (cut to MAX_TEXT_CHARS), each once, in order."""
    return list(dict.fromkeys(t[:MAX_TEXT_CHARS] for t in texts if t.strip()))


# Driver-level statements (state.prepared): a cycle records texts for every changed page.
_GONE = Prepared(update(_H).where(_H.c.source == bindparam("b_source"), _H.c.text_hash == bindparam("b_hash"),
                                  _H.c.gone_at.is_(None)))
_APPEAR = Prepared(insert(_H))
# The casts give PostgreSQL one type per parameter (it is both a value and a comparand here).
_APPEAR_UNLESS_OPEN = Prepared(text(
    "INSERT INTO history_texts (source, text_hash, text, first_seen, first_snapshot_id) "
    "SELECT CAST(:source AS VARCHAR(200)), CAST(:text_hash AS VARCHAR(64)), CAST(:text AS TEXT), "
    "CAST(:first_seen AS VARCHAR(32)), CAST(:first_snapshot_id AS INTEGER) WHERE NOT EXISTS ("
    "SELECT 1 FROM history_texts WHERE source = CAST(:source AS VARCHAR(200)) "
    "AND text_hash = CAST(:text_hash AS VARCHAR(64)) AND gone_at IS NULL)"))


def record_texts(conn: Connection, source: str, snapshot_id: int, now: str, gone: Iterable[str],
                 came: Iterable[str], *, fresh: bool = False) -> None:
    """Close the rows of texts that went and open rows for texts that appeared (a text already shown
    and still there is not opened twice). `fresh`: a baseline, nothing of this source is open."""
    _GONE.run_many(conn, [{"b_source": source, "b_hash": _hash(v), "gone_at": now, "gone_snapshot_id": snapshot_id}
                          for v in gone])
    rows = [{"source": source, "text_hash": _hash(v), "text": v, "first_seen": now, "first_snapshot_id": snapshot_id}
            for v in came]
    (_APPEAR if fresh else _APPEAR_UNLESS_OPEN).run_many(conn, rows)


def replay_texts(conn: Connection, source: str, versions: Iterable[tuple[int, str, Document]]) -> int:
    """Rebuild `source`'s rows from its stored versions, oldest first: (snapshot id, taken at, document).
    A text appears with the first version that shows it and goes with the first that no longer does.
    Returns the versions replayed. The caller owns the transaction (one per source)."""
    conn.execute(_H.delete().where(_H.c.source == source))
    shown: list[str] = []
    replayed = 0
    for snapshot_id, taken_at, document in versions:
        texts = document_texts(document)
        now_shown, was_shown = set(texts), set(shown)
        # Every text that was shown is open and every other is not: plain inserts are right here.
        record_texts(conn, source, snapshot_id, taken_at, [t for t in shown if t not in now_shown],
                     [t for t in texts if t not in was_shown], fresh=True)
        shown = texts
        replayed += 1
    return replayed


def rebuild_index(conn: Connection) -> None:
    """SQLite: rebuild the trigram index from history_texts whole (after rows were replaced, not only
    appended). PostgreSQL's index keeps itself."""
    if conn.dialect.name != "sqlite":
        return
    conn.execute(text(f"INSERT INTO {schema.HISTORY_FTS}({schema.HISTORY_FTS}) VALUES ('rebuild')"))
    newest = conn.execute(select(_H.c.id).order_by(_H.c.id.desc()).limit(1)).scalar() or 0
    conn.execute(text(f"UPDATE {schema.HISTORY_FTS_MARK} SET upto = :newest WHERE one = 1"), {"newest": newest})


def unindexed_sources(conn: Connection, source: str = "") -> list[str]:
    """Sources (or only `source`) with a stored version older than their first indexed text: stored
    before search existed (schema 0004), or never indexed. Versions with no text at all do not count.
    Over a year of 500 sources' history this reads every row of both tables: about 0.1 s."""
    s = schema.snapshots
    versions = select(s.c.source, func.min(s.c.id).label("first_id")).where(
        (s.c.blocks > 0) | (s.c["items"] > 0) | (s.c.title != ""))
    texts = select(_H.c.source, func.min(_H.c.first_snapshot_id).label("first_id"))
    if source:
        versions, texts = versions.where(s.c.source == source), texts.where(_H.c.source == source)
    first_version = versions.group_by(s.c.source).subquery()
    first_text = texts.group_by(_H.c.source).subquery()
    query = (select(first_version.c.source)
             .select_from(first_version.outerjoin(first_text, first_text.c.source == first_version.c.source))
             .where(first_text.c.first_id.is_(None) | (first_text.c.first_id > first_version.c.first_id))
             .order_by(first_version.c.source))
    return [row[0] for row in conn.execute(query)]


def catch_up(conn: Connection) -> int:
    """Index into SQLite's FTS5 the texts recorded since the last search (PostgreSQL's index keeps
    itself). Run in a write transaction: two searches never index a row twice. Returns the rows indexed."""
    upto = conn.execute(text(f"SELECT upto FROM {schema.HISTORY_FTS_MARK} WHERE one = 1")).scalar() or 0
    newest = conn.execute(select(_H.c.id).order_by(_H.c.id.desc()).limit(1)).scalar() or 0
    if newest <= upto:
        return 0
    conn.execute(text(f"INSERT INTO {schema.HISTORY_FTS}(rowid, text) "
                      "SELECT id, text FROM history_texts WHERE id > :upto AND id <= :newest"),
                 {"upto": upto, "newest": newest})
    conn.execute(text(f"UPDATE {schema.HISTORY_FTS_MARK} SET upto = :newest WHERE one = 1"), {"newest": newest})
    return int(newest - upto)


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character \\) that finds `text` as it is: its % and _ are not wildcards."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(conn: Connection, query: str, *, source: str = "", since: str = "",
           limit: int = DEFAULT_SEARCH_LIMIT) -> list[SearchHit]:
    """Texts holding `query` (case-insensitive), newest first; `since` (ISO) keeps texts still there
    at or after that moment."""
    query = query.strip()
    if not query:
        return []
    conditions = []
    if source:
        conditions.append(_H.c.source == source)
    if since:
        conditions.append((_H.c.gone_at.is_(None)) | (_H.c.gone_at >= since))
    pattern = like_pattern(query)
    if conn.dialect.name == "sqlite" and len(query) >= MIN_TRIGRAM_CHARS:
        # The index holds rows up to its mark; rows recorded since (no search could catch up: a cycle
        # held the write lock, or the file is read-only) are read as they are.
        phrase = '"' + query.replace('"', '""') + '"'
        upto = conn.execute(text(f"SELECT upto FROM {schema.HISTORY_FTS_MARK} WHERE one = 1")).scalar() or 0
        ids = select(text("rowid")).select_from(text(schema.HISTORY_FTS)).where(
            text(f"{schema.HISTORY_FTS} MATCH :phrase")).scalar_subquery()
        conditions.append(_H.c.id.in_(ids) | ((_H.c.id > upto) & _H.c.text.ilike(pattern, escape="\\")))
        params = {"phrase": phrase}
    else:
        conditions.append(_H.c.text.ilike(pattern, escape="\\"))
        params = {}
    statement = (select(_H.c.source, _H.c.text, _H.c.first_seen, _H.c.gone_at)
                 .where(and_(*conditions)).order_by(_H.c.id.desc()).limit(limit))
    return [SearchHit(*row) for row in conn.execute(statement, params)]
