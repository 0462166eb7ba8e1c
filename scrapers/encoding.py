"""Turn response bytes into text the way a careful browser would, without mojibake.

Order: the Content-Type charset, then a byte-order mark, then <meta charset> / http-equiv (or the XML
declaration), then detection by charset-normalizer. GB2312 and GBK are decoded as GB18030, their
superset, because Chinese government sites label GBK pages as gb2312 all the time.
"""

from __future__ import annotations

import codecs
import re

from core.errors import ExtractError

_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "iso-8859-1": "cp1252",  # browsers read latin-1 labels as windows-1252
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# A wrong guess shows as replacement characters; a few in a big page are the page's own defects.
MAX_REPLACEMENT_RATIO = 0.001
# A detected encoding whose text is this messy (charset-normalizer's chaos ratio) is a wrong guess.
MAX_DETECTION_CHAOS = 0.2


def normalise_label(label: str) -> str | None:
    """Map a charset label to a Python codec name, or None when Python does not know it."""
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([^;\"'\s]+)", content_type or "", re.IGNORECASE)
    return normalise_label(match.group(1)) if match else None


def declared_in_body(body: bytes) -> str | None:
    head = body[:4096]
    for pattern in (_XML_DECL, _META):
        match = pattern.search(head)
        if match:
            found = normalise_label(match.group(1).decode("ascii", "replace"))
            if found:
                return found
    return None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Return (text, encoding used). Raises ExtractError when no encoding reads the bytes cleanly."""
    candidates: list[str] = []
    header = charset_from_content_type(content_type)
    if header:
        candidates.append(header)
    for bom, name in _BOMS:
        if body.startswith(bom):
            candidates.append(name)
    declared = declared_in_body(body)
    if declared:
        candidates.append(declared)
    for encoding in candidates:
        text = _strict(body, encoding)
        if text is not None:
            return text, encoding
    text = _strict(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    from charset_normalizer import from_bytes  # imported late: only pages that need guessing pay for it

    best = from_bytes(body).best()
    if best is not None and best.chaos <= MAX_DETECTION_CHAOS:
        encoding = normalise_label(best.encoding) or best.encoding
        text = _strict(body, encoding)
        if text is not None:
            return text, encoding
    # Declared but slightly broken bytes: accept a handful of bad sequences, never a wrong guess.
    fallback = (candidates or ["utf-8"])[0]
    text = body.decode(fallback, errors="replace")
    if text.count("\ufffd") <= max(1, int(len(text) * MAX_REPLACEMENT_RATIO)):
        return text, fallback
    raise ExtractError(f"bytes are not valid {fallback} and no other encoding reads them cleanly")
