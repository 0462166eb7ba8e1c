"""JSON APIs: record arrays become items; a single record carrying HTML (NFRA's docClob) becomes a page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rulewatch.core.errors import ExtractError, LooksWrong
from rulewatch.core.model import Block, Document, Item
from rulewatch.core.noise import JSON_KEY, noisy_name
from rulewatch.core.text import find_date, squash_printable
from rulewatch.scrapers.extract.fields import (
    DATE_KEYS,
    ID_KEYS,
    TITLE_KEYS,
    epoch_date,
    infer_roles,
    page_link,
    with_unique_ids,
    without_constant_fields,
)
from rulewatch.scrapers.extract.fields import norm_key as _norm
from rulewatch.scrapers.extract.options import MAX_ITEMS, ExtractOptions, items_cut
from rulewatch.scrapers.urls import clean_url

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
SAME_SHAPE = 0.5  # share of field names two arrays must have in common to be one list


def record_arrays(data: Any) -> dict[str, list[dict[str, Any]]]:
    """The answer's record arrays, sibling arrays of one shape joined into one list: NFRA nests one
    array per sub-column ("data.0.docInfoVOList", "data.1.docInfoVOList"...), gov.cn's policy search
    one per category under named keys ("searchVO.catMap.gongwen.listVO", "...bumenfile.listVO"), and
    a rule in the last is as new as one in the first. Keyed by the path with indexes and such
    varying keys as "*"."""
    joined: dict[str, list[dict[str, Any]]] = {}
    for path, records in _arrays(data):
        joined.setdefault(_INDEX.sub("*", path), []).extend(records)
    return _joined_by_key(joined)


def _fields(records: list[dict[str, Any]]) -> set[str]:
    return {k for r in records[:20] for k in r}


def _joined_by_key(arrays: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Arrays at paths that differ in one key above their own name ("a.X.list", "a.Y.list") and hold
    records of one shape, joined as "a.*.list"."""
    families: dict[tuple[str, ...], list[str]] = {}
    for path in arrays:
        parts = path.split(".")
        for i in range(len(parts) - 1):
            if parts[i] != "*":
                families.setdefault((*parts[:i], "*", *parts[i + 1:]), []).append(path)
    for pattern, paths in families.items():
        paths = [p for p in paths if p in arrays]
        if len(paths) < 2:
            continue
        shapes = [_fields(arrays[p]) for p in paths]
        common = set.intersection(*shapes)
        if len(common) < SAME_SHAPE * max(len(s) for s in shapes):
            continue
        merged = [r for p in paths for r in arrays.pop(p)]
        arrays.setdefault(".".join(pattern), []).extend(merged)
    return arrays


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


# What a facet or aggregation entry holds: a label and a count ("国务院组织机构", 370), nothing to read.
_COUNT_KEYS = frozenset(_norm(k) for k in ("count", "docCount", "doc_count", "total", "totalCount", "num", "hits",
                                           "frequency", "size"))
FACET_FIELDS = 5  # a facet entry has at most this many scalar fields


SAMPLE = 50  # records of an array read to judge what its records hold


@dataclass(frozen=True, slots=True)
class _Profile:
    """What an array's records hold, judged on its first SAMPLE records."""

    dated: float  # share with a date
    linked: float  # share with a page link
    holding: float  # share with either
    facets: bool  # category names with counts, not documents

    @classmethod
    def of(cls, records: list[dict[str, Any]]) -> _Profile:
        sample = records[:SAMPLE]
        dated = [_dated(r) for r in sample]
        linked = [page_link(r)[1] is not None for r in sample]
        facets = sum(1 for r, d, k in zip(sample, dated, linked, strict=True) if not d and not k and _facet(r))
        n = len(sample)
        return cls(sum(dated) / n, sum(linked) / n, sum(d or k for d, k in zip(dated, linked, strict=True)) / n,
                   facets * 2 > n)


def _facet(record: dict[str, Any]) -> bool:
    """A facet or aggregation entry: few fields, one of them a count (its lack of date and link is
    judged by the caller)."""
    scalars = {k: v for k, v in record.items() if not isinstance(v, (dict, list))}
    return len(scalars) <= FACET_FIELDS and any(
        _norm(k) in _COUNT_KEYS and str(v).isdigit() for k, v in scalars.items())


def _dated(record: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and len(v) <= 40 and find_date(v) for v in record.values())


def _flattened(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records whose title is one level down (JSON:API's `{"id", "attributes": {"title", ...}}`) with
    their nested objects' scalar fields beside their own; other records as they are."""
    if _known_titles(records):
        return records
    flat = []
    for record in records:
        extra = {k: v for value in record.values() if isinstance(value, dict)
                 for k, v in value.items() if not isinstance(v, (dict, list)) and k not in record}
        flat.append({**record, **extra} if extra else record)
    return flat


def _known_titles(records: list[dict[str, Any]]) -> bool:
    return sum(1 for r in records if _pick(r, TITLE_KEYS)[1] is not None) * 2 >= len(records)


def _score(path: str, records: list[dict[str, Any]], profile: _Profile) -> float:
    """How much an array reads as the answer's list: records with titles, the more so with dates and
    links; a familiar array name helps; facets and aggregations never count."""
    titled = sum(1 for r in records if _pick(r, TITLE_KEYS)[1] is not None)
    if not titled or profile.facets:
        return 0.0
    name_bonus = 1.5 if _norm(path.rsplit(".", 1)[-1]) in ITEM_ARRAY_NAMES else 1.0
    return titled * (1 + profile.dated + profile.linked) * name_bonus


MIN_RICHER = 3  # records another array needs to say the chosen one is the wrong list


def _refuse_bare_records(chosen: str, arrays: dict[str, list[dict[str, Any]]], profiles: dict[str, _Profile],
                         groups: set[str]) -> None:
    """LooksWrong when the chosen records hold no dates and no links while another array's records
    do: rulewatch is reading labels, not the documents, and says which items_path would read them."""
    if profiles[chosen].holding > 0:
        return
    richer = [p for p, records in arrays.items() if p != chosen and p not in groups and len(records) >= MIN_RICHER
              and not profiles[p].facets and profiles[p].holding >= 0.5 and not p.startswith(f"{chosen}.*.")]
    if richer:
        best = max(richer, key=lambda p: len(arrays[p]))
        raise LooksWrong(f"the records read at {chosen!r} hold no dates and no links, while the {len(arrays[best])} "
                         f"at {best!r} do: set `items_path: {best.replace('*', '0')}` (or the path you mean)")


def _grouped(path: str, inner: str, arrays: dict[str, list[dict[str, Any]]], profiles: dict[str, _Profile]) -> bool:
    """Whether the records at `path` are groups of the records at `inner` (agency -> documents)
    rather than `inner` being an attribute of each (a document's agencies): the outer records carry
    no dates and fewer records than those nested in them."""
    return profiles[path].dated == 0 and len(arrays[inner]) > len(arrays[path])


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
    except ValueError as exc:  # a number of thousands of digits: Python refuses to convert it
        raise ExtractError(f"JSON not read: {str(exc).split(';')[0]}") from exc
    if options.html_path:
        fragment = _dotted(data, options.html_path)
        if not isinstance(fragment, str):
            raise ExtractError(f"html_path {options.html_path!r} is not a string in this response")
        return _fragment_document(fragment, url, options)
    if options.items_path:
        found = _dotted(data, options.items_path)
        if not isinstance(found, list):
            raise ExtractError(f"items_path {options.items_path!r} is not an array in this response")
        return _list_document(data, [r for r in found if isinstance(r, dict)], url, options)
    arrays = {p: _flattened(r) for p, r in record_arrays(data).items()}
    profiles = {p: _Profile.of(r) for p, r in arrays.items()}
    scores = {p: _score(p, r, profiles[p]) for p, r in arrays.items()}
    titled = [p for p, score in scores.items() if score > 0]
    # An array inside the records of a titled array is an attribute of each (a document's agencies),
    # unless those records only group it (agency -> category -> documents).
    groups = {p for p in arrays if any(q.startswith(f"{p}.*.") and _grouped(p, q, arrays, profiles) for q in arrays)}
    lists = [p for p in titled if p not in groups
             and not any(p.startswith(f"{t}.*.") and not _grouped(t, p, arrays, profiles) for t in titled)]
    if lists:
        chosen = max(lists, key=lambda p: scores[p])
        _refuse_bare_records(chosen, arrays, profiles, groups)
        return _list_document(data, arrays[chosen], url, options)
    if _html_record(data) is not None:
        return _page_document(data, url, options)
    candidates = [p for p in arrays if p not in groups and not profiles[p].facets]
    if candidates:
        # No known field names: the array whose records hold most (dates and links, then count) is
        # the list; its fields are inferred by their shape.
        path = max(candidates, key=lambda p: (profiles[p].dated + profiles[p].linked, len(arrays[p])))
        records = arrays[path]
        document = _list_document(data, records, url, options)
        if not any(item.title or item.url for item in document.items):  # ids alone tell a reader nothing
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
    title_text = squash_printable(_TAG.sub(" ", _whole_title(record, title_key, title)))
    item_id = str(ident) if ident not in (None, "") else (clean or title_text)
    return Item(
        id=item_id,
        title=title_text,
        url=clean,
        date=find_date(str(date)) or epoch_date(date, base) or squash_printable(str(date or "")),
        fields=tuple(sorted(fields.items())),
    )


_TAG = re.compile(r"<[A-Za-z/][^>]*>")  # markup inside a title field (gov.cn's gazette titles hold <br/>)
_TITLE_PART = re.compile(r"^(.*?)([12])$")


def _whole_title(record: dict[str, Any], key: str, title: Any) -> str:
    """The title, with its other half when the record splits it in two numbered fields (the Federal
    Register's `subject_1` "Assessment Rates:" and `subject_2` "Walnuts Grown in California")."""
    match = _TITLE_PART.match(key)
    if not match:
        return str(title or "")
    stem, number = match.groups()
    other = record.get(f"{stem}{'2' if number == '1' else '1'}")
    if not isinstance(other, str) or not other.strip():
        return str(title or "")
    first, second = (title, other) if number == "1" else (other, title)
    return f"{first} {second}"


def _field_text(value: Any) -> str:
    text = str(value)
    if HTML_HINT.search(text):
        from rulewatch.scrapers.extract.html import extract_html  # local: only records that carry HTML need it

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


MIN_FRAGMENT_LINKS = 3  # links an HTML field needs before it may be read as a list
LINK_HINT = re.compile(r"<a\s[^>]*href", re.IGNORECASE)


def _fragment_document(fragment: str, url: str, options: ExtractOptions) -> Document:
    """An HTML fragment carried inside JSON, read by the HTML extractor with the source's options."""
    from rulewatch.scrapers.extract.html import extract_html

    return extract_html(f"<html><body>{fragment}</body></html>", url,
                        ExtractOptions(kind=options.kind if options.kind in ("page", "list") else "auto",
                                       link_pattern=options.link_pattern, url_template=options.url_template))


def _page_document(data: Any, url: str, options: ExtractOptions) -> Document:
    record = _record(data)
    if not isinstance(record, dict):
        raise ExtractError("the JSON holds neither a record array nor a record")
    title = squash_printable(str(_pick(record, TITLE_KEYS, options.title_field)[1] or ""))
    html_fields = [v for v in record.values() if isinstance(v, str) and HTML_HINT.search(v)]
    if html_fields:
        body = max(html_fields, key=len)
        if options.kind != "page" and len(LINK_HINT.findall(body)) >= MIN_FRAGMENT_LINKS:
            # A CMS's list API that answers a rendered fragment ({"data": {"html": "<ul><li><a…"}}):
            # the fragment says whether it is a list. (Not a list: it is read again as a page, since
            # looking for a list rewrites flat runs of links in the tree.)
            listed = _fragment_document(body, url, options)
            if listed.kind == "list" and listed.items:
                return listed
        doc = _fragment_document(body, url, ExtractOptions(kind="page"))
        return Document(kind="page", url=url, title=title or doc.title, blocks=doc.blocks)
    blocks = [
        Block(text=f"{k}: {squash_printable(str(v))}", key=str(k))
        for k, v in record.items()
        if not isinstance(v, (dict, list)) and v not in (None, "") and not is_volatile_key(k)
    ]
    return Document(kind="page", url=url, title=title, blocks=blocks)
