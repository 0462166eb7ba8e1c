"""Typed rows of rulewatch's state, shared by the store and the recorder, and the one mapping between
an Alert and its row (derived from the Alert's fields)."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from rulewatch.core.model import Alert, Document, plain
from rulewatch.state.schema import ALERT_LIST_FIELDS, ALERT_RECORD_FIELDS

ANY_SNAPSHOT: Any = object()  # record_success without an optimistic check on the last snapshot

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    url: str
    etag: str
    last_modified: str
    last_snapshot_id: int | None
    consecutive_failures: int
    last_error: str
    last_checked_at: str | None
    last_success_at: str | None
    failing_notified: bool
    compares: int = 0  # checks compared with a snapshot so far
    # (block shape, times it changed in place, the comparison it first changed at): what the source's
    # history teaches (detection.volatility.learned_volatile reads it)
    shape_history: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class AlertHead:
    """What matching a final to its draft reads of an alert: no text, no diff, no dates."""

    outbox_id: int
    kind: str
    title: str
    severity_reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    publisher: str = ""  # who published it (a source's publisher, else its host)


@dataclass(frozen=True, slots=True)
class SinkDelivery:
    """A sink took an alert: in `channel`, as message `ts` where the sink has message ids."""

    alert_id: int
    sink: str
    channel: str
    ts: str
    channel_name: str = ""  # the channel as people know it (#reg-alerts), when the sink knew it


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One alert's delivery to one sink."""

    alert_id: int
    sink: str
    channel: str
    ts: str
    delivered_at: str | None
    attempts: int
    last_error: str
    channel_name: str = ""  # as people know it (#reg-alerts), when the sink knew it

    @property
    def where(self) -> str:
        """The channel as a person reads it: its name, else its ID."""
        return self.channel_name or self.channel

    def to_json(self) -> dict[str, Any]:
        return {"sink": self.sink, "channel": self.channel or None, "channel_name": self.channel_name or None,
                "ts": self.ts or None,
                "delivered_at": self.delivered_at, "attempts": self.attempts, "last_error": self.last_error or None}


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    id: int
    source: str
    taken_at: str
    kind: str
    title: str
    blocks: int
    items: int
    size: int


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    id: int
    source: str
    old_snapshot_id: int
    new_snapshot_id: int
    detected_at: str
    summary: str
    relevant: bool


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a successful check wrote."""

    outcome: str  # baseline, changed, unchanged
    snapshot_id: int | None
    change_id: int | None
    alert_ids: tuple[int, ...]


ALERT_FIELDS = tuple(f.name for f in fields(Alert))


def alert_row(alert: Alert) -> dict[str, Any]:
    """The alerts row's values for an Alert (its id, when it has none yet, is left to the database)."""
    row = {}
    for name in ALERT_FIELDS:
        value = getattr(alert, name)
        if name == "id" and value is None:
            continue
        row[name] = json.dumps(plain(value), ensure_ascii=False) if name in ALERT_LIST_FIELDS else value
    return row


def alert_from_row(row: Any) -> Alert:
    """The Alert an alerts row holds (columns the model does not know, such as the delivery lease, are
    left out)."""
    values: dict[str, Any] = {}
    for name in ALERT_FIELDS:
        value = row[name]
        if name in ALERT_RECORD_FIELDS:
            record = ALERT_RECORD_FIELDS[name]
            values[name] = tuple(record(**element) for element in json.loads(value))
        else:
            values[name] = tuple(json.loads(value)) if name in ALERT_LIST_FIELDS else value
    return Alert(**values)


BLOB_COMPRESSION = 6  # zlib level of stored snapshots: 5x smaller than the JSON, at 0.1 ms a page


@dataclass(frozen=True, slots=True)
class EncodedDocument:
    """A Document as a snapshot's blob is stored: its canonical JSON's hash, compressed, and size.
    Pure, so a cycle's analysis worker makes it beside the page, off the thread that records it."""

    hash: str
    data: bytes
    size: int


def encode_document(document: Document) -> EncodedDocument:
    raw = document.canonical_bytes()
    return EncodedDocument(hashlib.sha256(raw).hexdigest(), zlib.compress(raw, BLOB_COMPRESSION), len(raw))


def stored_document(data: bytes) -> Document:
    """A snapshot's blob as the recorder stored it (canonical JSON, zlib-compressed), as a Document."""
    return Document.from_bytes(zlib.decompress(data))


IN_LIST_MAX = 500  # ids per IN (...) list


def chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices of at most IN_LIST_MAX: IN lists stay within what every database takes."""
    for start in range(0, len(ids), IN_LIST_MAX):
        yield ids[start:start + IN_LIST_MAX]
