"""Which field of a JSON record is its id, title, date and link: by name where the name is familiar,
else by the shape of the values across all records.

Real APIs name fields in ways no list foresees (`cveID`, `vulnerabilityName`, `dateAdded`). A record
array whose titles cannot be found must never read as "no items", so each role falls back to a test of
the values: the id is short and unique across records, the date parses as a date, the title is the
most title-like text. Links are ranked: a page beats a download, so an alert opens the rule's page and
not a Word file. Fields with one value in every item (JSON records, feed summaries) are dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from rulewatch.core.model import Item
from rulewatch.core.text import find_date


@lru_cache(maxsize=4096)  # a few dozen field names, asked for once per field of every record
def norm_key(key: str) -> str:
    """A field name compared without case, '_' or '-' ("doc_title" == "docTitle")."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


# Field names recognised by meaning, best first.
ID_KEYS = [norm_key(k) for k in ("id", "docId", "guid", "uuid", "document_number", "documentId", "articleId",
                                 "noticeId", "itemId", "infoId", "contentId", "code", "key", "slug")]
TITLE_KEYS = [norm_key(k) for k in ("title", "docTitle", "headline", "subject", "name", "docSubtitle", "caption")]
URL_KEYS = [norm_key(k) for k in ("url", "html_url", "link", "href", "detailUrl", "pageUrl", "titleLink",
                                  "uri", "permalink", "docFileUrl", "pdf_url", "pdfFileUrl", "fileUrl")]
DATE_KEYS = [norm_key(k) for k in ("publishDate", "publication_date", "pubDate", "publishTime", "published",
                                   "releaseDate", "issueDate", "postedDate", "date", "effective_on", "signing_date",
                                   "createTime", "created", "updated", "modified")]

COVERAGE = 0.8  # share of records a field must fill to play a role
MAX_ID_CHARS = 64
MAX_DATE_CHARS = 40
TITLE_CHARS = 60  # the length a title-like field's values are closest to
_ID_NAME = re.compile(r"id$|ref$|code$|number$|^no$|num$", re.IGNORECASE)
_TITLE_NAME = re.compile(r"title|name|subject|headline|caption", re.IGNORECASE)
_DATE_NAME = re.compile(r"date|time|publish|added|released|issued|created", re.IGNORECASE)
_LINKISH = re.compile(r"^(?:https?:)?//|^/[^\s]*$|^\.{1,2}/")
_LINK_NAME = re.compile(r"(?:url|link|href|uri)$", re.IGNORECASE)
_DOWNLOAD = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|wps|ofd|zip|rar|7z)(?:[?#]|$)", re.IGNORECASE)
_DOWNLOAD_NAME = re.compile(r"file|pdf|doc|download|attach", re.IGNORECASE)
_IMAGE_NAME = re.compile(r"logo|image|img|pic|icon|thumb|avatar", re.IGNORECASE)
_HTML = re.compile(r"<[a-z][^>]*>", re.IGNORECASE)
_WORDED = re.compile(r"[^\W\d_]{2}")  # two letters in a row: words, not a number or a code
_CJK = re.compile(r"[\u3400-\u9fff]")


def _known(records: list[dict[str, Any]], wanted: list[str]) -> bool:
    """Whether most records fill one of the familiar names."""
    hits = 0
    for record in records:
        if any(record.get(k) not in (None, "", [], {}) for k in record if norm_key(k) in wanted):
            hits += 1
    return hits >= len(records) / 2


def _columns(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each scalar field that nearly every record fills, with its values as text."""
    counts: dict[str, list[str]] = {}
    for record in records:
        for key, value in record.items():
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                counts.setdefault(key, []).append(str(value))
    return {k: v for k, v in counts.items() if len(v) >= COVERAGE * len(records)}


def infer_roles(records: list[dict[str, Any]]) -> dict[str, str]:
    """The field that plays each role ("id", "title", "date") the familiar names leave unfilled."""
    if not records:
        return {}
    roles: dict[str, str] = {}
    columns = _columns(records)
    dates = [k for k, vs in columns.items() if all(len(v) <= MAX_DATE_CHARS and find_date(v) for v in vs)]
    if dates and not _known(records, DATE_KEYS):
        roles["date"] = next((k for k in dates if _DATE_NAME.search(k)), dates[0])
    # An id is a code: unique, short, without spaces, and never Chinese text (a CJK title has no spaces
    # either, and taken for an id it left the title role to a constant field such as the site's name).
    ids = [k for k, vs in columns.items()
           if k not in dates and len(vs) == len(records) and len(set(vs)) == len(vs)
           and all(len(v) <= MAX_ID_CHARS and " " not in v and not _CJK.search(v) for v in vs)
           and not any(_LINKISH.match(v) for v in vs)]
    if ids and not _known(records, ID_KEYS):
        roles["id"] = next((k for k in ids if _ID_NAME.search(k)), ids[0])
    if not _known(records, TITLE_KEYS):
        # A field every record fills alike (the publisher's name) names no record: never the title.
        texts = {k: vs for k, vs in columns.items() if k not in dates and k != roles.get("id")
                 and not any(_LINKISH.match(v) or _HTML.search(v) for v in vs) and any(_WORDED.search(v) for v in vs)
                 and (len(set(vs)) > 1 or len(vs) == 1)}
        if texts:
            roles["title"] = max(texts, key=lambda k: _title_score(k, texts[k]))
        elif "id" in roles and all(_WORDED.search(v) for v in columns[roles["id"]]):
            roles["title"] = roles["id"]  # the records' only text: a title without spaces (CJK) is unique too
    return roles


def _title_score(key: str, values: list[str]) -> float:
    """How title-like a field is: a title's name, values that differ, of about a headline's length."""
    unique = len(set(values)) / len(values)
    mean = sum(len(v) for v in values) / len(values)
    closeness = -abs(math.log(max(mean, 1) / TITLE_CHARS))
    named = 2.0 if _TITLE_NAME.search(key) else 0.0
    worded = 0.5 if any(" " in v for v in values) else 0.0
    return named + unique + closeness + worded


def page_link(record: dict[str, Any]) -> tuple[str, Any]:
    """The record's best link and its field: a page before a download (.doc, .pdf, "docFileUrl"),
    familiar names before others; never an image."""
    best: tuple[int, int, str, str] | None = None
    for position, (key, value) in enumerate(record.items()):
        if not isinstance(value, str) or not value.strip():
            continue
        name = norm_key(key)
        if name not in URL_KEYS and not _LINK_NAME.search(key):
            continue
        if _IMAGE_NAME.search(key) or not (_LINKISH.match(value.strip()) or "/" in value):
            continue
        download = bool(_DOWNLOAD.search(value) or _DOWNLOAD_NAME.search(name))
        order = URL_KEYS.index(name) if name in URL_KEYS else len(URL_KEYS) + position
        candidate = (int(download), order, key, value)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    return (best[2], best[3]) if best else ("", None)


MIN_ITEMS_FOR_CONSTANT = 3


def without_constant_fields(items: list[Item]) -> list[Item]:
    """Items without the fields whose value is the same in every item: an aggregator's boilerplate
    ("Apply mitigations per vendor instructions") says nothing about one item, and would make every
    item look relevant (or none)."""
    if len(items) < MIN_ITEMS_FOR_CONSTANT:
        return items
    first = items[0].field_map()
    constant = {k for k, v in first.items() if all(i.field_map().get(k) == v for i in items[1:])}
    if not constant:
        return items
    return [replace(i, fields=tuple(f for f in i.fields if f[0] not in constant)) for i in items]


def with_unique_ids(items: list[Item]) -> list[Item]:
    """Items identified by what stays stable. An id that several different items share (every link
    `href="#"`, a feed repeating one <guid>, a URL that lost its only distinguishing parameter) says
    nothing: those items are identified by their title and date instead. True duplicates (one id, one
    title and date: a rule pinned on top and listed again) are kept once."""
    versions: dict[str, set[tuple[str, str]]] = {}
    for item in items:
        versions.setdefault(item.id, set()).add((item.title, item.date))
    unique: list[Item] = []
    seen: set[str] = set()
    for item in items:
        if len(versions[item.id]) > 1 and item.title:
            item = replace(item, id=f"{item.title} | {item.date}" if item.date else item.title)
        if item.id not in seen:
            seen.add(item.id)
            unique.append(item)
    return unique


# Epoch timestamps in date fields (MIIT's deploytime, gov.cn's ptime): seconds or milliseconds within
# these years are dates; other numbers are not.
_EPOCH_YEARS = (1990, 2100)
CHINA_TIME = timezone(timedelta(hours=8))


def epoch_date(value: Any, base: str) -> str:
    """The ISO day of an epoch timestamp in a date field, or "". The day is the publisher's: China's
    (UTC+8) for a .cn site, whose midnight is 16:00 UTC the day before; UTC elsewhere."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or len(text) not in (10, 13):
        return ""
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    host = (urlsplit(base).hostname or "").lower()
    moment = datetime.fromtimestamp(seconds, CHINA_TIME if host.endswith(".cn") else UTC)
    return moment.date().isoformat() if _EPOCH_YEARS[0] <= moment.year < _EPOCH_YEARS[1] else ""
