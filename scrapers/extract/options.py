"""Per-source extraction overrides. Every field is optional: the extractors find things on their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["auto", "page", "list", "json", "feed", "pdf"]


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    kind: SourceKind = "auto"
    select: str = ""  # CSS selector of the main content (HTML pages)
    exclude: tuple[str, ...] = ()  # CSS selectors removed before extraction
    items: str = ""  # CSS selector of one list item (HTML lists)
    items_path: str = ""  # dotted path to the records array (JSON)
    id_field: str = ""
    title_field: str = ""
    url_field: str = ""
    date_field: str = ""
    url_template: str = ""  # builds an item's URL from its fields, e.g. ".../detail?docId={docId}"
