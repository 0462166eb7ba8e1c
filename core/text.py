"""Text helpers shared by every stage: whitespace, NFKC, CJK ranges, article numbers, dates."""

from __future__ import annotations

import email.utils
import re
import unicodedata

# CJK character classes, for use inside [...] in a pattern; defined here only.
CJK_IDEOGRAPHS = "\u3400-\u9fff\uf900-\ufaff"  # extension A, unified ideographs, compatibility ideographs
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"  # ideographic space and punctuation, full-width forms
CJK_TEXT = CJK_IDEOGRAPHS + CJK_PUNCTUATION
CJK_CHARACTER = re.compile(f"[{CJK_IDEOGRAPHS}]")  # search() tells whether a text holds any Chinese

_ARTICLE = re.compile(
    r"^\s*(第[一二三四五六七八九十百千零〇两\d]+[条章节款]"
    r"|Article\s+\d+[A-Za-z]?"
    r"|§+\s*\d+(?:\.\d+)*"
    r"|Sec(?:tion|\.)\s+\d+(?:\.\d+)*)",
    re.IGNORECASE,
)
DATE_PATTERN = re.compile(
    r"(?<!\d)(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?(?!\d)"
)


def squash(text: str) -> str:
    """Collapse runs of whitespace (including ideographic and non-breaking spaces) to one space.

    str.split() splits on exactly the characters regex \\s matches (str.isspace()), in C: four times
    faster than a regex substitution, and extraction calls this for every text node."""
    return " ".join(text.split())


# Never text, and no XML or HTML tree may hold them (lxml refuses them, failing the page for good):
# C0 and C1 controls (ESC starts a terminal's escape sequence, and so does C1's CSI, U+009B), DEL,
# noncharacters and lone surrogates; tab, line feed and carriage return are text.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _space_or_nothing(match: re.Match[str]) -> str:
    return " " if match.group().isspace() else ""  # a vertical tab or form feed separates words


def without_controls(text: str) -> str:
    """`text` without control characters: those that separate words (vertical tab, form feed, the
    separators) become a space, the others are dropped, as browsers do. One scan when there are none."""
    return _CONTROLS.sub(_space_or_nothing, text) if _CONTROLS.search(text) else text


def squash_printable(text: str) -> str:
    """squash() of without_controls(): for text that reaches us without an HTML or XML parser's
    cleaning (JSON strings, PDF text), so an ESC never reaches a terminal or an alert."""
    return squash(without_controls(text))


_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")
_HALFWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_COMMON_FULLWIDTH = "，：；（）！？"  # most of Chinese text's full-width forms: replaced in C, not per match


def _halfwidth(match: re.Match[str]) -> str:
    return _HALFWIDTH[match.group()]


# Characters a reader never sees: Unicode's Default_Ignorable_Code_Point (zero-width spaces and joiners,
# direction marks and overrides, the BOM, the soft hyphen, variation selectors, fillers, tags), and
# control characters other than tab and line breaks. Inside a keyword they hide it; inserted alone
# they would make a change nobody can see.
_DEFAULT_IGNORABLE = [0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
                      *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0x3164,
                      *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFF9), *range(0x1BCA0, 0x1BCA4),
                      *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000)]
_INVISIBLE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
                            *_DEFAULT_IGNORABLE])


def _char_class(codes: list[int]) -> str:
    """A regex character class of these code points, as ranges."""
    parts, codes = [], sorted(codes)
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code != prev + 1:
            parts.append(re.escape(chr(start)) + (f"-{re.escape(chr(prev))}" if prev > start else ""))
            start = code
        prev = code
    return "[" + "".join(parts) + "]"


_ANY_INVISIBLE = re.compile(_char_class(list(_INVISIBLE)))


def strip_invisible(text: str) -> str:
    """`text` without the characters a reader cannot see. Most text has none: a regex scan (C speed)
    finds that out, and the per-character translation runs only when there is something to remove."""
    return text.translate(_INVISIBLE) if _ANY_INVISIBLE.search(text) else text


def storable(text: str) -> str:
    """`text` as every database stores it: PostgreSQL refuses NUL characters in text (a NUL in a JSON
    title or a PDF's text failed a whole batch), so each becomes U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), fast for Chinese text: its full-width punctuation (the
    usual reason NFKC has anything to do) is mapped first, as NFKC maps it, and the whole text is
    normalised only when something else is left to do."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for char in _COMMON_FULLWIDTH:
        text = text.replace(char, _HALFWIDTH[char])
    text = _FULLWIDTH.sub(_halfwidth, text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def article_key(text: str) -> str:
    """The article number a block starts with (第八条, Article 5, § 3), or ""."""
    match = _ARTICLE.match(text)
    return " ".join(match.group(1).split()) if match else ""


def find_date(text: str) -> str:
    """The first calendar date in `text` as YYYY-MM-DD (also RFC 2822 feed dates), or ""."""
    match = DATE_PATTERN.search(text)
    if not match:
        return _rfc2822_date(text)
    year, month, day = (int(g) for g in match.groups())
    if not (1900 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _rfc2822_date(text: str) -> str:
    try:
        parsed = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return ""
    return parsed.strftime("%Y-%m-%d") if parsed else ""
