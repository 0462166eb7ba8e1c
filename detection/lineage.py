"""A rule's life from draft to final: recognising a draft for comment, and matching a final version to
its draft. Pure: the caller passes titles and the records' fields.

Chinese titles are matched on the rule's own name: the draft wrapper is stripped (关于…公开征求意见的通知,
（征求意见稿）), the name in 《》 is taken, and the names are compared as multisets of characters, so a
swapped word order (规范和促进 / 促进和规范) still matches. A look-alike rule with a different subject
(数据安全管理办法 / 操作风险管理办法, 信息科技风险管理指引 / 信息科技外包风险管理指引) never links: any
character that differs, other than the words that name a document's form (办法, 规定, 暂行, 试行...),
rules the pair out, and so does the same characters in another order (数据安全 / 安全数据) unless two
words swap places around 和, 与 or "and". Names alone never assert a link between two publishers (NFRA's
and CAC's 数据安全管理办法 are two rules): such a pair is at most asked about. US documents match by
their Regulation Identifier Number, then by docket id, whoever publishes them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rulewatch.core.text import nfkc

CERTAIN_SCORE = 0.95  # a link at or above this is asserted
ASK_SCORE = 0.8  # between this and CERTAIN_SCORE, the thread asks "Is this the final version of ...?"
MatchMethod = Literal["rin", "docket", "name"]

DRAFT = re.compile(r"征求意见稿|草案|公开征求意见|征求意见的通知|proposed\s+rules?\b|"
                   r"notice\s+of\s+proposed\s+rulemaking|\bNPRM\b|request\s+for\s+comments?|draft\s+for\s+comment",
                   re.IGNORECASE)
# Characters that name a document's form or join words, not its subject: a difference in these alone
# can be the same rule (办法 adopted as 规定, 暂行 dropped, 和 for 与).
_FORM_CHARACTERS = frozenset("办法规定条例指引则细施实行暂试和与及的关于若干意见通知公告决定")
_WRAPPER = re.compile(
    r"^.*?关于(?:印发|发布|公布|公开征求|就)?|(?:公开)?征求(?:社会)?意见(?:的|稿的)?(?:通知|公告|函)?$|"
    r"(?:的)?(?:通知|公告|函)$|[（(][^）)]*(?:征求意见稿|草案|送审稿|试行|暂行|修订)[^）)]*[)）]")
_BOOK_TITLE = re.compile(r"《([^》]+)》")
_ENGLISH_SUFFIX = re.compile(r"[;:,]?\s*(?:interim\s+)?(?:proposed|final|direct\s+final)\s+rules?\b.*$"
                             r"|[;:,]?\s*notice\s+of\s+proposed\s+rulemaking.*$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CONJUNCTIONS = ("和", "与", "及", "、", "and", "&")
MAX_SWAP_CHARS = 200  # names longer than this are not tried for swapped words


def is_draft(title: str, text: str = "") -> bool:
    """A draft for comment: 征求意见稿, 草案, 公开征求意见, a Proposed Rule or NPRM."""
    return bool(DRAFT.search(title) or DRAFT.search(text[:2000]))


@lru_cache(maxsize=4096)  # a cycle matches each new final against every earlier draft's title
def rule_name(title: str) -> str:
    """The rule's own name in a title: the first name in 《》, else the title without its draft or
    notice wrapper; for English titles, without "; Proposed Rule" and the like. Lower case, no spaces."""
    text = nfkc(title).strip()
    named = _BOOK_TITLE.search(text)
    if named:
        text = named.group(1)
    for _ in range(3):  # wrappers nest: 关于…（征求意见稿）公开征求意见的通知
        text = _WRAPPER.sub("", text).strip()
    text = _ENGLISH_SUFFIX.sub("", text)
    return _SPACE.sub("", text).lower()


@dataclass(frozen=True, slots=True)
class LineageMatch:
    score: float  # 0..1
    method: MatchMethod

    @property
    def certain(self) -> bool:
        return self.score >= CERTAIN_SCORE


def name_score(draft_title: str, final_title: str) -> float:
    """How surely two titles name one rule: the Dice coefficient of their names' characters, or 0 when
    a character of the subject differs (a look-alike rule)."""
    draft_name, final_name = rule_name(draft_title), rule_name(final_title)
    a, b = Counter(draft_name), Counter(final_name)
    if not a or not b:
        return 0.0
    differing = (a - b) + (b - a)
    if any(ch not in _FORM_CHARACTERS for ch in differing if not ch.isascii()):
        return 0.0
    if any(ch.isascii() and ch.isalnum() for ch in differing) and (a - b) and (b - a):
        return 0.0  # English names that differ in words, not just in a suffix
    if not _in_the_same_order(draft_name, final_name):
        return 0.0  # 数据安全管理办法 / 安全数据管理办法: the same characters, another subject
    return 2 * sum((a & b).values()) / (sum(a.values()) + sum(b.values()))


def _subject_sequence(name: str) -> str:
    """A name without the characters of a document's form, conjunctions kept (they mark swappable words)."""
    return "".join(ch for ch in name if ch not in _FORM_CHARACTERS or ch in _CONJUNCTIONS)


def _in_the_same_order(a: str, b: str) -> bool:
    """Whether two names (which differ only in form characters or a suffix) say their subject in one order:
    the shorter's subject is a subsequence of the longer's, or two words swap around a conjunction
    (促进和规范 / 规范和促进)."""
    x, y = _subject_sequence(a), _subject_sequence(b)
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    return in_order(short, long) or (len(x) == len(y) and _swapped_around_a_conjunction(x, y))


def in_order(short: str, long: str) -> bool:
    """Every character of `short` in `long`, in order, with others between (数据安全办法 in 数据安全管理办法)."""
    rest = iter(long)
    return all(ch in rest for ch in short)


def _swapped_around_a_conjunction(x: str, y: str) -> bool:
    """y is x with the words on either side of one conjunction swapped: P + A + c + B + S -> P + B + c + A + S."""
    if len(x) > MAX_SWAP_CHARS:
        return False
    for conjunction in _CONJUNCTIONS:
        at = x.find(conjunction)
        while at != -1:
            end = at + len(conjunction)
            for start in range(at):
                for stop in range(end + 1, len(x) + 1):
                    if x[:start] + x[end:stop] + conjunction + x[start:at] + x[stop:] == y:
                        return True
            at = x.find(conjunction, at + 1)
    return False


def _ids(fields: dict[str, str], name: str) -> set[str]:
    return {part.strip().upper() for part in fields.get(name, "").split(",") if part.strip()}


RIN, DOCKET, REF = "rin:", "docket:", "ref:"  # prefixes of rule_ids
_DOCKET_FIELDS = ("docket_ids", "docketId", "docket_id", "docketNumber", "docket_number")
# Identifiers a reader looks a document up by: a CVE id, a Chinese document number (银发〔2026〕30号,
# 国办发〔2026〕28号), a Federal Register document number where the record names it as one.
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}", re.IGNORECASE)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,16}[〔\[［【(（]\s*(?:19|20)\d\d\s*[〕\]］】)）]\s*(?:第\s*)?\d{1,5}\s*号")
_NUMBER_FIELDS = ("document_number", "frDocNum", "fr_doc_num", "documentNo", "docNo", "doc_no", "wenhao", "fwzh",
                  "pcode", "fileNo", "cveID", "cve_id", "cve")
MAX_REFS = 3


def rule_ids(fields: dict[str, str], item_id: str = "") -> tuple[str, ...]:
    """The ids a list item is known by, from its id and its record fields: the ids that name a
    rulemaking for its whole life (its Regulation Identifier Numbers, rin:1670-AA04, and docket ids,
    docket:CISA-2022-0010), then the identifiers a reader looks it up by (ref:CVE-2026-1234,
    ref:银发〔2026〕30号). An alert carries them (Alert.rule_ids): a final is matched to its draft
    without reading stored pages, and a reader sees which CVE or document a line is about."""
    dockets = set().union(*(_ids(fields, name) for name in _DOCKET_FIELDS))
    return tuple(f"{RIN}{v}" for v in sorted(_ids(fields, "regulation_id_numbers"))) + \
        tuple(f"{DOCKET}{v}" for v in sorted(dockets)) + tuple(f"{REF}{v}" for v in references(fields, item_id))


def references(fields: dict[str, str], item_id: str = "") -> tuple[str, ...]:
    """The identifiers a reader uses that an item carries: its id when it is one (a CVE id, a document
    number), a field that names a document number, and those written in its fields."""
    found: list[str] = []
    for name, value in [("", item_id), *fields.items()]:
        value = value.strip()
        if not value or len(value) > 200:
            continue
        if name in _NUMBER_FIELDS and len(value) <= 40 and " " not in value:
            found.append(value.upper() if _CVE.fullmatch(value) else value)
            continue
        found += [m.group().upper() for m in _CVE.finditer(value)]
        found += [re.sub(r"\s+", "", m.group()) for m in _DOC_NUMBER.finditer(value)]
    return tuple(dict.fromkeys(found))[:MAX_REFS]


def match(draft_title: str, draft_ids: Iterable[str], final_title: str,
          final_ids: Iterable[str], same_publisher: bool = True) -> LineageMatch | None:
    """Whether the final names the draft's rule: by RIN, then docket id (rule_ids), then the name.
    None: no link (below ASK_SCORE, or each has RINs and none is shared). A name match between two
    publishers is at most asked about (ASK_SCORE), never asserted."""
    draft, final = set(draft_ids), set(final_ids)
    draft_rins, final_rins = {i for i in draft if i.startswith(RIN)}, {i for i in final if i.startswith(RIN)}
    if draft_rins & final_rins:
        return LineageMatch(1.0, "rin")
    if draft_rins and final_rins:
        return None  # two rulemakings: a RIN names one for its whole life, whatever the titles say
    if {i for i in draft & final if i.startswith(DOCKET)}:
        return LineageMatch(0.97, "docket")
    score = name_score(draft_title, final_title)
    if not same_publisher:
        score = min(score, ASK_SCORE)
    return LineageMatch(round(score, 3), "name") if score >= ASK_SCORE else None
