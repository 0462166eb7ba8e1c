"""A source's health, decided purely: when a page is an error page in disguise, and which notices a
failing or recovering source earns. state/ writes what these decide; it decides nothing itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulewatch.core.errors import ContentCollapsed
from rulewatch.core.model import Document, Finding

COLLAPSE_RATIO = 0.1  # a page that shrinks below this share of its last good size is an error page
COLLAPSE_MIN_SIZE = 30  # ...when the last good one had at least this much content (a short notice too)
LIST_MIN_ITEMS = 3  # a list of this many items that comes back with none has not emptied: it failed
BLOCK_SHRINK = 0.6  # a page smaller than this share of its last good size that reads as a block page failed
BLOCK_TEXT = 1000  # a block page says what it says in fewer characters
# What firewall, WAF and CDN block pages say, in any vendor's words: that the request was blocked,
# by what, and an id to quote to support. Two of these on a short page that shrank is a block page.
_BLOCK_CUES = (
    re.compile(r"\bblocked\b|\bdenied\b|\bforbidden\b|拦截|阻断|拒绝访问|访问被拒绝|禁止访问|访问受限|非法请求|"
               r"请求被", re.I),
    re.compile(r"firewall|\bwaf\b|security (?:service|check|policy|system)|ddos|防火墙|安全防护|防护系统|云盾|安全狗|"
               r"创宇盾|疑似攻击|攻击行为|安全策略", re.I),
    re.compile(r"ray id|incident id|reference (?:id|number|#)|support id|request id|event id|事件\s*id|请求\s*id|"
               r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])|\b[0-9a-f]{16,}\b", re.I),
)
DEFAULT_FAILING_AFTER = 3  # consecutive failures before a "source failing" notice
ERROR_SHOWN = 500  # characters of the last error quoted in a "source failing" notice


# A page that shrinks to one of these says the rule itself ended: the most important change, never an
# error page (本办法已废止, "This rule has been repealed").
REPEAL_MARKERS = ("废止", "失效", "撤销", "停止执行", "不再执行", "repealed", "rescinded", "revoked", "withdrawn",
                  "no longer in effect", "superseded")


def collapsed(previous: Document | None, document: Document) -> ContentCollapsed | None:
    """The failure to report when `document` shrank to a fraction of the last good one (a stub, a
    block page, a handful of characters, whatever the page's size), or a list came back with none of
    its items; else None. Also None when what is left says the rule was repealed or withdrawn (that is
    a change), and for a list read by another reader revision (comparison takes that as a baseline)."""
    if previous is None:
        return None
    remaining = f"{document.title}\n{document.text}".lower()
    if any(marker in remaining for marker in REPEAL_MARKERS):
        return None
    same_reader = previous.metadata.get("reader") == document.metadata.get("reader")
    # A list that comes back as a page (a block page, an error page) however much text that page has.
    if same_reader and len(previous.items) >= LIST_MIN_ITEMS and document.kind != "list":
        shown = f" (it shows {document.text[:80]!r})" if document.text else ""
        return ContentCollapsed(
            f"the list's {len(previous.items)} items are all gone and the page holds none{shown}; "
            "treated as an error or block page, not as a change", url=document.url)
    if previous.size() >= COLLAPSE_MIN_SIZE and document.size() < COLLAPSE_RATIO * previous.size():
        return ContentCollapsed(
            f"content shrank from {previous.size()} to {document.size()} characters; "
            "treated as an error page, not as a change",
            url=document.url,
        )
    signs = block_signs(document)
    if signs >= 2 and (document.size() < BLOCK_SHRINK * previous.size() or signs == len(_BLOCK_CUES)):
        return ContentCollapsed(
            f"the page reads as a firewall or CDN block page ({document.text[:80]!r}, {document.size()} characters "
            f"where the last good page had {previous.size()}); treated as a failure, not as a change", url=document.url)
    return None


PARTIAL_MIN_PARTS = 6  # blocks (or items) a page needs before losing most of them is suspect
PARTIAL_SHARE = 0.5  # ...losing this share of them, and of its size, at once, with next to nothing new
PARTIAL_NEW = 0.1  # share of the lost parts that may be replaced by new ones


def partial_render(previous: Document | None, document: Document) -> str:
    """Why `document` looks like a page rendered in part (a CMS that left out its tables one day), or
    "": it lost at least half its blocks or items, and half its size, with next to nothing new in
    their place. Such a page is a suspected render failure to confirm on the next check."""
    if previous is None or previous.kind != document.kind:
        return ""
    if document.kind == "list":
        old, new = {i.id for i in previous.items}, {i.id for i in document.items}
        what = "items"
    else:
        old, new = {b.text for b in previous.blocks}, {b.text for b in document.blocks}
        what = "blocks"
    if len(old) < PARTIAL_MIN_PARTS:
        return ""
    lost, gained = len(old - new), len(new - old)
    shrank = document.size() < PARTIAL_SHARE * previous.size()
    if lost < PARTIAL_SHARE * len(old) or gained > PARTIAL_NEW * lost or not shrank:
        return ""
    return (f"the page lost {lost} of its {len(old)} {what} at once ({previous.size()} -> {document.size()} "
            "characters) with nothing new in their place: a suspected partial render, confirmed as a change "
            "only if the next check shows the same")


def block_signs(document: Document) -> int:
    """In how many ways a short page reads as a block page: it says the request was blocked, by a
    firewall or security service, or quotes an id or address. All three: a block page at any size;
    two: one when the page also shrank. A long page: none."""
    text = f"{document.title}\n{document.text}"
    if len(text) > BLOCK_TEXT:
        return 0
    return sum(1 for cue in _BLOCK_CUES if cue.search(text))


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Which notices a source's health earns: one "failing" notice per outage, after `notify_after`
    consecutive failures, and one "recovered" notice when an announced outage ends. state/ asks these
    with the source's row locked, so two runs never both announce one outage."""

    notify_after: int = DEFAULT_FAILING_AFTER

    def failing(self, source: str, url: str, failures: int, error: str, notified: bool) -> Finding | None:
        """The notice due after `failures` consecutive failures (`notified`: one went out already)."""
        if failures < self.notify_after or notified:
            return None
        return Finding(kind="source_failing", title=source, url=url, subject=f"health:{source}",
                     added=f"{failures} consecutive checks failed; the last error: {error[:ERROR_SHOWN]}")

    def recovered(self, source: str, url: str, failures: int, notified: bool) -> Finding | None:
        """The notice due when a check works again after `failures` failures."""
        if not notified:
            return None
        return Finding(kind="source_recovered", title=source, url=url, subject=f"health:{source}",
                     added=f"checks work again after {failures} failures")
