"""Per-source extraction overrides. Every field is optional: the extractors find things on their own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    kind: str = "auto"  # "auto", a shape ("page", "list") or an extractor's name (scrapers.extract.EXTRACTORS)
    select: str = ""  # CSS selector of the main content (HTML pages)
    exclude: tuple[str, ...] = ()  # CSS selectors removed before extraction
    items: str = ""  # CSS selector of one list item (HTML lists)
    items_path: str = ""  # dotted path to the records array (JSON)
    id_field: str = ""
    title_field: str = ""
    url_field: str = ""
    date_field: str = ""
    url_template: str = ""  # builds an item's URL from its fields, e.g. ".../detail?docId={docId}"
