"""The typed result of extraction: what a page says, without the page's furniture.

A Document serialises to a canonical JSON form; that form is what state/ stores and hashes, so two
fetches that say the same thing produce the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

DocumentKind = Literal["page", "list", "pdf"]


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like unit of text, with a stable key (an article number such as 第八条 or § 3) if any."""

    text: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list page, JSON API or feed: a rule, notice or article."""

    id: str
    title: str
    url: str = ""
    date: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    detail: str = ""  # opening of the followed detail page, when it was fetched

    def field_map(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(slots=True)
class Document:
    """What one source says right now."""

    kind: DocumentKind
    url: str
    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All block text, one block per line."""
        return "\n".join(b.text for b in self.blocks)

    def size(self) -> int:
        """A measure of how much content the document carries (for collapse detection)."""
        return sum(len(b.text) for b in self.blocks) + sum(len(i.title) + 20 for i in self.items)

    def to_canonical(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "blocks": [[b.key, b.text] for b in self.blocks],
            "items": [
                {
                    "id": i.id,
                    "title": i.title,
                    "url": i.url,
                    "date": i.date,
                    "fields": [list(f) for f in i.fields],
                    "detail": i.detail,
                }
                for i in self.items
            ],
            "metadata": dict(sorted(self.metadata.items())),
        }

    def canonical_bytes(self) -> bytes:
        return json.dumps(self.to_canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> Document:
        return cls(
            kind=data["kind"],
            url=data["url"],
            title=data.get("title", ""),
            blocks=[Block(text=t, key=k) for k, t in data.get("blocks", [])],
            items=[
                Item(
                    id=i["id"],
                    title=i.get("title", ""),
                    url=i.get("url", ""),
                    date=i.get("date", ""),
                    fields=tuple((str(k), str(v)) for k, v in i.get("fields", [])),
                    detail=i.get("detail", ""),
                )
                for i in data.get("items", [])
            ],
            metadata=dict(data.get("metadata", {})),
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Document:
        return cls.from_canonical(json.loads(raw))
