"""Per-source extraction overrides. Every field is optional: the extractors find things on their own."""

from __future__ import annotations

from dataclasses import dataclass

# Items a list keeps (the first ones: the newest, on a list ordered as lists are). A longer list is
# cut here, before its items are built, and says so in its metadata ("items_cut": how many it held):
# memory stays bounded on any body under the size cap (a 300,000-item list took 751 MB).
MAX_ITEMS = 10_000


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
    link_pattern: str = ""  # finds an item's link in onclick/data- attributes; its groups fill url_template
    html_path: str = ""  # dotted path to an HTML fragment inside a JSON answer


def items_cut(found: int) -> dict[str, str]:
    """A list document's metadata when it held more than MAX_ITEMS items."""
    return {"items_cut": str(found)} if found > MAX_ITEMS else {}
