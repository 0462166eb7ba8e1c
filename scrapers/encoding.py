"""Turn response bytes into text the way a careful browser would, without mojibake.

Order: the Content-Type charset, then a byte-order mark, then <meta charset> / http-equiv (or the XML
declaration), then detection by charset-normalizer. GB2312 and GBK are decoded as GB18030, their
superset, because Chinese government sites label GBK pages as gb2312 all the time.
"""

from __future__ import annotations

import codecs
import logging
import re

from rulewatch.core.errors import ExtractError, Undecodable

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
# Bytes invalid in the expected encoding, as a share of the body's non-ASCII bytes, up to which the
# body is that encoding damaged (a mislabelled page is invalid nearly everywhere).
DAMAGED_SHARE = 0.1
_ESCAPED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of an invalid byte
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
MAX_STRAY_BYTES = 20  # lone Windows-1252 bytes in a UTF-8 page read as such; more is a damaged body
log = logging.getLogger(__name__)
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


def damaged_bytes(body: bytes, encoding: str) -> tuple[int, int]:
    """How many bytes of `body` are not valid `encoding`, and the offset of the first (-1 if none)."""
    text = body.decode(encoding, errors="surrogateescape")
    first = _ESCAPED.search(text)
    if first is None:
        return 0, -1
    return len(_ESCAPED.findall(text)), len(text[: first.start()].encode(encoding, errors="surrogateescape"))


def _with_stray_cp1252(body: bytes) -> str | None:
    """A UTF-8 body whose only invalid bytes are lone Windows-1252 characters (a curly quote pasted
    from Word into the page), with those bytes read as Windows-1252; None
    when the damage is anything else. Such a page keeps its own encoding and says so in the log: it
    must not be switched whole to a guessed legacy code page."""
    text = body.decode("utf-8", errors="surrogateescape")
    runs = list(_ESCAPED_RUN.finditer(text))
    if not runs or len(runs) > MAX_STRAY_BYTES:
        return None
    parts, last = [], 0
    for run in runs:
        start, end = run.span()
        byte = ord(text[start]) - 0xDC00
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        # A lone byte: punctuation (0x80-0xBF: curly quotes, dashes) may sit anywhere; a letter byte
        # (é is 0xE9) only between ASCII, since it is also how a cut multi-byte character starts.
        if end - start != 1 or (byte >= 0xC0 and not (before.isascii() and after.isascii())):
            return None
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            return None
        parts += [text[last:start], char]
        last = end
    log.info("%d stray Windows-1252 byte(s) in a UTF-8 body, read as Windows-1252", len(runs))
    return "".join(parts) + text[last:]


def decode(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Return (text, encoding used). Raises ExtractError when no encoding reads the bytes cleanly,
    and Undecodable when the bytes are the declared encoding (or UTF-8) with damaged stretches: such
    a body is a failed fetch, not a change, and its repair is not a change either."""
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
    # Mostly valid in the declared encoding (or UTF-8), with a few bad stretches: a damaged body. A
    # mislabelled page is invalid nearly everywhere instead, and is left to detection.
    expected = (candidates or ["utf-8"])[0]
    if expected == "utf-8":
        repaired = _with_stray_cp1252(body)
        if repaired is not None:
            return repaired, "utf-8"
    bad, offset = damaged_bytes(body, expected)
    high = sum(1 for byte in body if byte >= 0x80)
    if bad <= DAMAGED_SHARE * high:
        raise Undecodable(f"{bad} byte(s) are not valid {expected} (the first at byte {offset}): "
                          "the server sent a damaged body; it is not read as the page")
    if candidates:
        # Declared, and invalid nearly everywhere: only a GBK page under a wrong label (common on
        # Chinese government sites) is read, and only when its text is plainly Chinese; anything
        # else is garbage, never read by a guessed code page.
        text = _plainly_chinese_gb18030(body)
        if text is not None:
            log.info("a body labelled %s is GBK: read as GB18030", expected)
            return text, "gb18030"
        raise Undecodable(f"{bad} byte(s) are not valid {expected}, the charset the response declares (the first "
                          f"at byte {offset}), and the body is no other page mislabelled: it is not read")
    from charset_normalizer import from_bytes  # imported late: only pages that need guessing pay for it

    best = from_bytes(body).best()
    if best is not None and best.chaos <= MAX_DETECTION_CHAOS:
        encoding = normalise_label(best.encoding) or best.encoding
        text = _strict(body, encoding)
        if text is not None:
            return text, encoding
    raise ExtractError(f"bytes are not valid {expected} and no other encoding reads them cleanly")


# GB2312's common hanzi (level 1, lead bytes 0xB0-0xD7) and its punctuation rows (0xA1-0xA3): nearly
# every double-byte character of real Chinese text, and only a third of random bytes'.
_COMMON_GB_LEADS = frozenset(range(0xB0, 0xD8)) | {0xA1, 0xA2, 0xA3}
PLAIN_CHINESE_SHARE = 0.8


def _plainly_chinese_gb18030(body: bytes) -> str | None:
    """The body read as GB18030 when it is valid GB18030 whose characters are mostly common hanzi
    and Chinese punctuation; None otherwise."""
    text = _strict(body, "gb18030")
    if text is None:
        return None
    wide = [ch for ch in text if ord(ch) >= 0x80]
    if not wide:
        return None
    common = sum(1 for ch in wide if len(raw := ch.encode("gb18030")) == 2 and raw[0] in _COMMON_GB_LEADS)
    return text if common >= PLAIN_CHINESE_SHARE * len(wide) else None


# JSON text (RFC 8259) is UTF-8; older producers send UTF-16 or UTF-32, told by a BOM or by where the
# zero bytes of the first two characters fall (both are ASCII).
_JSON_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _json_encoding(body: bytes) -> str:
    for bom, name in _JSON_BOMS:
        if body.startswith(bom):
            return name
    head = body[:4]
    if len(head) == 4:
        if head[:3] == b"\0\0\0":
            return "utf-32-be"
        if head[1:] == b"\0\0\0":
            return "utf-32-le"
    if len(head) >= 2:
        if head[0] == 0:
            return "utf-16-be"
        if head[1] == 0:
            return "utf-16-le"
    return "utf-8"


def decode_json(body: bytes, content_type: str = "") -> tuple[str, str]:
    """JSON text as RFC 8259 reads it: UTF-8, or UTF-16/32 by BOM or zero bytes; a charset the
    Content-Type names is tried first (Chinese APIs send GBK JSON so labelled). Never a charset found
    inside the text: an HTML <meta charset> in a field (NFRA's docClob) says nothing about the JSON.
    Raises Undecodable when the bytes are not that encoding beyond a few stray Windows-1252 bytes."""
    header = charset_from_content_type(content_type)
    encoding = _json_encoding(body)
    if header and encoding == "utf-8" and header not in ("utf-8", "utf-8-sig"):
        text = _strict(body, header)
        if text is not None:
            return text, header
    text = _strict(body, encoding)
    if text is not None:
        return text, encoding
    if encoding == "utf-8":
        repaired = _with_stray_cp1252(body)
        if repaired is not None:
            return repaired, encoding
    bad, offset = damaged_bytes(body, encoding)
    raise Undecodable(f"{bad} byte(s) of the JSON answer are not valid {encoding} (the first at byte {offset}): "
                      "it is not read")
