"""Per-source extraction overrides. Every field is optional: the extractors find things on their own."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# Items a list keeps (the first ones: the newest, on a list ordered as lists are). A longer list is
# cut here, before its items are built, and says so in its metadata ("items_cut": how many it held):
# memory stays bounded on any body under the size cap (a 300,000-item list took 751 MB).
MAX_ITEMS = 10_000


def _option(help_line: str, default: Any = "") -> Any:
    """A field of ExtractOptions with the help line sources.yaml's documentation shows for it."""
    return field(default=default, metadata={"help": help_line})


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """A source's extraction options. Each is a field of sources.yaml too (rulewatch.config.Source takes
    its help from here), and each extractor names the ones it reads (`options`)."""

    kind: str = _option(
        "`auto` (default) detects how to read the response; an extractor's name (`html`, `json`, `feed`, `pdf`, "
        "`text`) forces it; `page` or `list` tells the HTML and JSON extractors what shape to expect, without "
        "forcing how to read it", "auto")
    select: str = _option("CSS selector of the main content (HTML pages)")
    exclude: tuple[str, ...] = _option("CSS selectors removed before extraction (HTML pages)", ())
    items: str = _option("CSS selector of one list item (HTML lists)")
    items_path: str = _option(
        "dotted path to the records array (JSON APIs). Without it and the `*_field`s, fields are found by name "
        "(`docId`, `docTitle`, `publishDate`, `html_url`, ...), else by their values: the id is short and unique "
        "across records, the date parses as a date, the title is the most title-like text. Sibling record arrays "
        "of one shape (one per sub-column) are read as one list; a page link is preferred to a `.doc`/`.pdf` "
        "download")
    id_field: str = _option("the record field holding an item's id (JSON APIs)")
    title_field: str = _option("the record field holding an item's title (JSON APIs)")
    url_field: str = _option("the record field holding an item's link (JSON APIs)")
    date_field: str = _option("the record field holding an item's date (JSON APIs)")
    url_template: str = _option(
        "build an item's link from its fields, e.g. `https://.../detail.html?docId={docId}`")
    link_pattern: str = _option(
        "a regular expression finding an item's link where the page has none but in script: "
        "`onclick=\"jumpDetail('123','45')\"` or `data-id=\"…\"` (and `href=\"javascript:…\"`); its groups fill "
        "`url_template` (`{1}`, `{2}` or `{name}`), or the first group is the link itself (HTML lists)")
    html_path: str = _option(
        "a dotted path to an HTML fragment inside a JSON answer (`data.html`), read as HTML. Without it, a JSON "
        "record whose largest field is HTML with links is read as the list it holds")


# Every extraction option but `kind` (which chooses the extractor), with its help line.
OPTION_HELP: dict[str, str] = {f.name: f.metadata["help"] for f in fields(ExtractOptions)}
OPTION_NAMES: tuple[str, ...] = tuple(name for name in OPTION_HELP if name != "kind")


def items_cut(found: int) -> dict[str, str]:
    """A list document's metadata when it held more than MAX_ITEMS items."""
    return {"items_cut": str(found)} if found > MAX_ITEMS else {}
