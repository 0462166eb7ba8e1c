"""Typed rows of rulewatch's state, shared by the store and the recorder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    learned_volatile: frozenset[str] = frozenset()  # block shapes this source's history shows as noise


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    idempotency_key: str
    source: str
    kind: str
    title: str
    url: str
    topics: tuple[str, ...]
    matched_terms: tuple[str, ...]
    added: str
    removed: str
    article: str
    subject: str
    channel: str
    detected_at: str
    delivered_at: str | None
    delivered_channel: str | None
    delivered_ts: str | None
    attempts: int
    last_error: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "kind": self.kind,
            "title": self.title,
            "topics": list(self.topics),
            "matched_terms": list(self.matched_terms),
            "added": self.added,
            "removed": self.removed,
            "article": self.article,
            "detected_at": self.detected_at,
            "delivered_at": self.delivered_at,
            "channel": self.delivered_channel or self.channel or None,
            "attempts": self.attempts,
            "last_error": self.last_error or None,
        }


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
