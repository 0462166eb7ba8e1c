"""JSON APIs: record arrays become items; a single record carrying HTML (NFRA's docClob) becomes a page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from core.errors import ExtractError, LooksWrong
from core.model import Block, Document, Item
from core.noise import JSON_KEY, noisy_name
from core.text import find_date, squash_printable
from scrapers.extract.fields import (
    DATE_KEYS,
    ID_KEYS,
    TITLE_KEYS,
    infer_roles,
    page_link,
    with_unique_ids,
    without_constant_fields,
)
from scrapers.extract.fields import norm_key as _norm
from scrapers.extract.options import MAX_ITEMS, ExtractOptions, items_cut
from scrapers.urls import clean_url

SUMMARY_KEYS = [_norm(k) for k in ("abstract", "summary", "description", "docSummary", "excerpt", "snippet")]
ITEM_ARRAY_NAMES = frozenset(_norm(k) for k in ("rows", "results", "items", "list", "records", "data",
                                                  "docs", "documents", "entries", "articles", "content", "hits"))
HTML_HINT = re.compile(r"<(?:p|div|br|span|table|h[1-6])[\s>/]", re.IGNORECASE)
MAX_FIELD_CHARS = 500


def is_volatile_key(key: str) -> bool:
    """A field whose value changes on every request and says nothing about the rule (core.noise)."""
    return noisy_name(JSON_KEY, key) is not None


def _arrays(node: Any, path: str = "") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every array of records in the answer, with its path ("data.3.docInfoVOList")."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _arrays(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        records = [r for r in node if isinstance(r, dict)]
        if records and len(records) >= len(node) / 2:
            yield path, records
        for i, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _arrays(value, f"{path}.{i}")


_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def record_arrays(data: Any) -> dict[str, list[dict[str, Any]]]:
    """The answer's record arrays, sibling arrays of one shape joined into one list: NFRA nests one
    array per sub-column ("data.0.docInfoVOList", "data.1.docInfoVOList"...), and a rule in the sixth
    is as new as one in the first. Keyed by the path with indexes as "*"."""
    joined: dict[str, list[dict[str, Any]]] = {}
    for path, records in _arrays(data):
        joined.setdefault(_INDEX.sub("*", path), []).extend(records)
    return joined


def _pick(record: dict[str, Any], wanted: list[str], override: str = "") -> tuple[str, Any]:
    """The first of `wanted` (normalised names) that the record fills, or the `override` path."""
    if override:
        return override, _dotted(record, override)
    normed = {_norm(k): k for k in record}
    for want in wanted:
        if want in normed:
            key = normed[want]
            value = record[key]
            if value not in (None, "", [], {}):
                return key, value
    return "", None


def _dotted(node: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _score(path: str, records: list[dict[str, Any]]) -> float:
    titled = sum(1 for r in records if _pick(r, TITLE_KEYS)[1] is not None)
    if not titled:
        return 0.0
    name_bonus = 1.5 if _norm(path.rsplit(".", 1)[-1]) in ITEM_ARRAY_NAMES else 1.0
    return titled * name_bonus


def extract_json(text: str, url: str, options: ExtractOptions | None = None) -> Document:
    """Extract items from the best record array, or a page from a single record. Pure."""
    try:
        return _extract_json(text, url, options or ExtractOptions())
    except RecursionError as exc:  # json.loads and the array search both recurse, as deep as the nesting
        raise ExtractError("JSON nested too deeply to read (hundreds of levels): not an API answer") from exc


def _extract_json(text: str, url: str, options: ExtractOptions) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if options.items_path:
        found = _dotted(data, options.items_path)
        if not isinstance(found, list):
            raise ExtractError(f"items_path {options.items_path!r} is not an array in this response")
        return _list_document(data, [r for r in found if isinstance(r, dict)], url, options)
    arrays = record_arrays(data)
    scores = {p: _score(p, r) for p, r in arrays.items()}
    titled = [p for p, score in scores.items() if score > 0]
    # An array inside the records of a titled array is an attribute of each (a document's agencies).
    lists = [p for p in titled if not any(p.startswith(f"{t}.*.") for t in titled)]
    if lists:
        return _list_document(data, arrays[max(lists, key=lambda p: scores[p])], url, options)
    if _html_record(data) is not None:
        return _page_document(data, url, options)
    if arrays:
        # No known field names: the largest array is the list; its fields are inferred by their shape.
        path, records = max(arrays.items(), key=lambda kv: len(kv[1]))
        document = _list_document(data, records, url, options)
        if not document.items:
            raise LooksWrong(f"the answer holds {len(records)} records at {path!r} but none reads as an item; "
                             "name their fields with title_field and id_field (or items_path)")
        return document
    if options.kind == "list" or _looks_like_empty_search(data):
        return _list_document(data, [], url, options)
    return _page_document(data, url, options)


def _looks_like_empty_search(data: Any) -> bool:
    """A search API with no hits (the Federal Register omits `results` when count is 0)."""
    return isinstance(data, dict) and any(_norm(k) in ("count", "total", "totalcount") for k in data)


def _list_document(data: Any, records: list[dict[str, Any]], url: str, options: ExtractOptions) -> Document:
    held, records = len(records), records[:MAX_ITEMS]
    roles = infer_roles(records)
    volatile: set[str] = set()
    found = (_item(record, url, options, roles, volatile) for record in records)
    items = without_constant_fields(with_unique_ids([item for item in found if item]))
    title = ""
    if isinstance(data, dict):
        title = str(_pick(data, TITLE_KEYS)[1] or "")
    meta = {"volatile_fields": ",".join(sorted(volatile))} if volatile else {}
    meta.update(items_cut(held))
    return Document(kind="list", url=url, title=squash_printable(title), items=items, metadata=meta)


MAX_LIST_FIELD = 20  # scalar values a list field may hold to be kept as one field (longer: data, not metadata)


def _item(
    record: dict[str, Any], base: str, options: ExtractOptions, roles: dict[str, str], volatile: set[str]
) -> Item | None:
    id_key, ident = _pick(record, ID_KEYS, options.id_field or roles.get("id", ""))
    title_key, title = _pick(record, TITLE_KEYS, options.title_field or roles.get("title", ""))
    url_key, link = _pick(record, [], options.url_field) if options.url_field else page_link(record)
    date_key, date = _pick(record, DATE_KEYS, options.date_field or roles.get("date", ""))
    if title is None and ident is None:
        return None
    fields = {}
    for key, value in record.items():
        if isinstance(value, list) and 0 < len(value) <= MAX_LIST_FIELD and all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            value = ", ".join(map(str, value))  # docket_ids, regulation_id_numbers: a record's own short lists
        if key in (id_key, title_key, url_key, date_key) or isinstance(value, (dict, list)) or value is None:
            continue
        if is_volatile_key(key):
            volatile.add(key)
            continue
        fields[key] = _field_text(value)
    if options.url_template:
        try:
            link = options.url_template.format(**{k: v for k, v in record.items() if not isinstance(v, (dict, list))})
        except (KeyError, IndexError, ValueError) as exc:
            raise ExtractError(f"url_template {options.url_template!r} names a field this record lacks: {exc}") from exc
    clean = clean_url(str(link), base) if link else ""
    title_text = squash_printable(str(title or ""))
    item_id = str(ident) if ident not in (None, "") else (clean or title_text)
    return Item(
        id=item_id,
        title=title_text,
        url=clean,
        date=find_date(str(date)) or squash_printable(str(date or "")),
        fields=tuple(sorted(fields.items())),
    )


def _field_text(value: Any) -> str:
    text = str(value)
    if HTML_HINT.search(text):
        from scrapers.extract.html import extract_html  # local: only records that carry HTML need it

        text = extract_html(f"<html><body>{text}</body></html>", "", ExtractOptions(kind="page")).text
    return squash_printable(text)[:MAX_FIELD_CHARS]


def _record(data: Any) -> Any:
    """The answer's one record: the answer itself, or what its `data` holds (the first of a list)."""
    record = data.get("data", data) if isinstance(data, dict) else data
    if isinstance(record, list) and record and isinstance(record[0], dict):
        record = record[0]
    return record


def _html_record(data: Any) -> dict[str, Any] | None:
    """The answer's one record when it carries HTML text (NFRA's docClob): a page, whatever arrays of
    links (breadcrumbs, attachments) it also holds."""
    record = _record(data)
    if isinstance(record, dict) and any(isinstance(v, str) and HTML_HINT.search(v) for v in record.values()):
        return record
    return None


def _page_document(data: Any, url: str, options: ExtractOptions) -> Document:
    record = _record(data)
    if not isinstance(record, dict):
        raise ExtractError("the JSON holds neither a record array nor a record")
    title = squash_printable(str(_pick(record, TITLE_KEYS, options.title_field)[1] or ""))
    html_fields = [v for v in record.values() if isinstance(v, str) and HTML_HINT.search(v)]
    if html_fields:
        from scrapers.extract.html import extract_html

        body = max(html_fields, key=len)
        doc = extract_html(f"<html><body>{body}</body></html>", url, ExtractOptions(kind="page"))
        return Document(kind="page", url=url, title=title or doc.title, blocks=doc.blocks)
    blocks = [
        Block(text=f"{k}: {squash_printable(str(v))}", key=str(k))
        for k, v in record.items()
        if not isinstance(v, (dict, list)) and v not in (None, "") and not is_volatile_key(k)
    ]
    return Document(kind="page", url=url, title=title, blocks=blocks)
