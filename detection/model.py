"""Typed results of detection: what changed (Change), and what it means (Verdict, AlertDraft)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from scrapers.document import Item

TextChangeKind = Literal["added", "removed", "changed"]
ItemChangeKind = Literal["added", "removed", "changed", "moved_off"]


@dataclass(frozen=True, slots=True)
class TextChange:
    """A block of text added, removed or changed; fragments are the inline differences."""

    kind: TextChangeKind
    key: str = ""  # article number, when the block has one
    old: str = ""
    new: str = ""
    removed_fragments: tuple[str, ...] = ()
    added_fragments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A list item that appeared, disappeared, changed, or was pushed off the end of the list."""

    kind: ItemChangeKind
    item: Item  # the new version (the old one for removed/moved_off)
    old: Item | None = None
    fields: tuple[tuple[str, str, str], ...] = ()  # (field, old value, new value)


@dataclass(frozen=True, slots=True)
class Ignored:
    """Something that differed but was set aside as noise, and why."""

    what: str
    why: str


@dataclass(slots=True)
class Change:
    """Everything that differs between two Documents of one source."""

    title: tuple[str, str] | None = None
    text: list[TextChange] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    observed: list[str] = field(default_factory=list)  # shapes of blocks that changed in place

    @property
    def substantive(self) -> bool:
        return bool(self.title or self.text or any(c.kind != "moved_off" for c in self.items))

    @property
    def empty(self) -> bool:
        return not (self.substantive or self.items or self.ignored)

    def summary(self) -> str:
        parts = []
        if self.title:
            parts.append("title changed")
        counts: dict[str, int] = {}
        for t in self.text:
            counts[f"text {t.kind}"] = counts.get(f"text {t.kind}", 0) + 1
        for i in self.items:
            counts[f"items {i.kind}"] = counts.get(f"items {i.kind}", 0) + 1
        parts += [f"{n} {k}" for k, n in counts.items()]
        if self.ignored:
            parts.append(f"{len(self.ignored)} ignored as noise")
        return ", ".join(parts) or "no change"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": list(self.title) if self.title else None,
            "text": [
                {"kind": t.kind, "key": t.key, "old": t.old, "new": t.new,
                 "removed": list(t.removed_fragments), "added": list(t.added_fragments)}
                for t in self.text
            ],
            "items": [
                {"kind": c.kind, "id": c.item.id, "title": c.item.title, "url": c.item.url, "date": c.item.date,
                 "old_title": c.old.title if c.old else None, "fields": [list(f) for f in c.fields]}
                for c in self.items
            ],
            "ignored": [{"what": i.what, "why": i.why} for i in self.ignored],
        }


AlertKind = Literal[
    "new_item", "removed_item", "changed_item", "changed_text", "title_changed", "source_failing", "source_recovered"
]


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert to be written to the outbox: self-explaining, with only substantive text."""

    kind: AlertKind
    title: str
    url: str
    topics: tuple[str, ...]
    matched_terms: tuple[str, ...]
    added: str = ""
    removed: str = ""
    article: str = ""
    subject: str = ""  # what the alert is about (item id or page url): later alerts thread under it


@dataclass(slots=True)
class Verdict:
    """What a Change means: substantive or not, relevant or not, and the alerts it raises."""

    substantive: bool
    relevant: bool
    topics: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()
    alerts: list[AlertDraft] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
