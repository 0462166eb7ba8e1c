"""HTML pages and HTML lists: the main content or the repeated items, without the page's furniture.

The main content is found from structure alone: boilerplate containers (navigation, sidebars, ads,
footers, forms, hidden and scripted parts) are dropped by tag, role and class vocabulary, then the
deepest element that still holds most of the non-link text is taken. A page whose text is mostly a
run of similar link items (a notice list) becomes a list document instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from lxml import etree

from rulewatch.core.errors import ChallengePage, EmptyBody, ExtractError, LooksWrong, Maintenance, NotADocument
from rulewatch.core.model import Block, Document, Item
from rulewatch.core.text import article_key, find_date, squash, without_controls
from rulewatch.scrapers.extract.challenge import (
    SHORT_TEXT,
    challenge_signal,
    looks_like_error_page,
    looks_like_maintenance,
)
from rulewatch.scrapers.extract.fields import with_unique_ids
from rulewatch.scrapers.extract.furniture import link_boxes, without_furniture
from rulewatch.scrapers.extract.options import MAX_ITEMS, ExtractOptions, items_cut
from rulewatch.scrapers.urls import clean_url

if TYPE_CHECKING:
    from lxml.cssselect import CSSSelector

_DROP_TAGS = frozenset(
    [
        "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "svg",
        "canvas", "map", "area", "audio", "video", "button", "select", "textarea", "input", "option", "label",
        "nav", "aside", "menu", "dialog"
    ]
)
_BLOCK_TAGS = frozenset(
    [
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "tbody", "thead", "tfoot",
        "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main", "header",
        "footer", "figure", "figcaption", "address", "hr", "br", "center"
    ]
)
# Elements that group paragraphs; the main content is searched among these only.
_CONTAINER_TAGS = frozenset(
    ["div", "section", "article", "main", "form", "table", "tbody", "tr", "td", "center", "font", "span"]
)
# Class/id vocabulary of page furniture, matched against whole tokens (so "head" never matches "ad").
_UNLIKELY = frozenset(
    [
        "ad", "ads", "adv", "advert", "adverts", "advertise", "advertising", "advertisement", "adbox", "adslot",
        "adsbygoogle", "banner",
        "sponsor", "sponsored", "promo", "sidebar", "side", "aside", "widget", "widgets", "footer", "foot",
        "header", "topbar", "navbar", "nav", "navigation", "menu", "submenu", "breadcrumb", "breadcrumbs",
        "crumb", "crumbs", "share", "sharing", "social", "comment", "comments", "related", "recommend",
        "recommended", "hot", "hotnews", "popular", "mostread", "ranking", "toolbar", "pagination", "pager",
        "copyright", "cookie", "cookies", "gdpr", "modal", "popup", "subscribe", "newsletter", "login",
        "search", "skip"
    ]
)
_LIKELY = frozenset(["article", "content", "main", "body", "text", "detail", "post", "entry", "story", "zw"])
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Classes that frameworks define as display:none (AngularJS, Bootstrap); "mhide"-style responsive ones are not.
_HIDDEN_CLASSES = frozenset(["ng-hide", "ng-cloak", "d-none", "hidden", "hide", "invisible"])
MIN_ITEMS = 3  # repeated link blocks needed to call something a list
SHORT_LIST = 2  # dated records enough on a page its source says is a list (kind: list)
# Elements that repeat once per list item (PBOC's lists are a table per item).
_ITEM_TAGS = frozenset(["li", "tr", "div", "dd", "dt", "p", "article", "section", "table"])
MIN_TITLE_CHARS = 4
RECORD_CHARS = 500  # a list record (title, date, a few labels) is at most this long
MIN_RECORDS = 5  # dated records a group needs to be rescued from furniture removed by its name
RESCUE_PROSE = 2000  # a page with this much prose of its own is an article: no records are rescued
PROSE_SHARE = 0.5  # a page whose own non-link text is under this share of such records has no prose
LIST_SHARE = 0.45  # share of the content text that item titles must carry for the page to be a list
MAIN_SHARE = 0.6  # descend into a child while it holds this share of its parent's text
CHAIN_TEXT = 20  # characters of its own a chain link must hold for the chain to be the content
NAVIGATION_SHARE = 0.8  # a page whose main text is this much link text is a menu, not a document
_ONLY_URLS = re.compile(r"(?:\s*(?:https?://|www\.)\S+)+\s*", re.IGNORECASE)
_UNRENDERED = re.compile(r"\{\{\s*[A-Za-z_$][\w$.\[\]|' ]*\}\}")  # AngularJS/Vue placeholders left unfilled
# An element without attributes can be furniture only by its tag (most elements: skipped cheaply).
_FURNITURE_TAGS = _DROP_TAGS | {"header", "footer", "form"}
_TEXT = etree.XPath("string()", smart_strings=False)  # an element's text, descendants included
# Private-use characters, one of which (one the page does not use) marks block boundaries while blocks are cut.
_BREAKS = [chr(c) for c in range(0xE000, 0xF900)]


def text_of(el: etree._Element) -> str:
    """An element's visible text (its descendants' included), whitespace squashed."""
    return squash(_TEXT(el))


@dataclass(slots=True)
class _Stats:
    text: int
    link: int


# Plain lxml elements, not lxml.html's: its element classes are chosen by a Python callback for every
# element the code touches, which cost a third of extraction. Parsers keep per-thread contexts.
_PARSER = etree.HTMLParser()


# End tags a browser ignores wherever they stand (HTML5 "after body" mode goes back to the body), but
# libxml2 obeys: a CMS include that closes </html> after the header makes it drop the rest of the page.
_STRAY_END_TAGS = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)


# Tags ("<", start and end) a page may have to be read: a 10,000-item list page has about 70,000, the
# largest real regulator page seen about 5,000. A tree costs some 250 bytes an element, so a 20 MB
# page of nothing but tags (900,000 links) took 900 MB.
MAX_TAGS = 500_000


def parse(text: str) -> etree._Element:
    """Parse HTML text into an lxml tree, as a browser would build it. Raises EmptyBody when there is
    nothing to parse."""
    tags = text.count("<")
    if tags > MAX_TAGS:
        raise ExtractError(f"the page has about {tags} tags, more than the {MAX_TAGS} rulewatch reads "
                           "(its tree alone would take gigabytes)")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    text = without_controls(_STRAY_END_TAGS.sub("", text))
    if not text.strip():
        raise EmptyBody("the body is empty")
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from exc
    if root is None:
        raise ExtractError("unparseable HTML: Document is empty")
    return root


@lru_cache(maxsize=256)
def _selector(css: str) -> CSSSelector:
    # Imported on first use: only sources with selectors need cssselect (5 ms of every start).
    from lxml.cssselect import CSSSelector

    return CSSSelector(css, translator="html")


def select(root: etree._Element, css: str) -> list[etree._Element]:
    """Elements matching a CSS selector (HTML rules: tag names case-insensitive)."""
    return _selector(css)(root)


def _tokens(el: etree._Element) -> set[str]:
    value = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}".lower()
    return {t for t in _TOKEN_SPLIT.split(value) if t}


def _is_hidden(el: etree._Element) -> bool:
    return (
        el.get("hidden") is not None
        or el.get("aria-hidden", "").lower() == "true"
        or bool(_HIDDEN_STYLE.search(el.get("style", "")))
        or el.get("type", "").lower() == "hidden"
        or not _HIDDEN_CLASSES.isdisjoint(el.get("class", "").lower().split())
    )


def _furniture_kind(el: etree._Element) -> str:
    """Why an element is furniture: "tag" (its tag, or hidden), "name" (its class, id or role
    vocabulary alone), or "" when it is not."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("html", "body"):
        return ""
    if tag in _DROP_TAGS or _is_hidden(el):
        return "tag"
    if tag == "header" and not el.xpath(".//h1"):
        return "tag"
    if tag == "footer":
        return "tag"
    tokens = _tokens(el)
    return "name" if tokens & _UNLIKELY and not (tokens & _LIKELY) else ""


def strip_furniture(
    root: etree._Element, exclude: tuple[str, ...] = (), keep: list[etree._Element] | None = None
) -> list[etree._Element]:
    """Remove boilerplate in place: furniture by tag/class/role, short forms, comments, user excludes.

    Elements in `keep` (what a user's selector chose) and their ancestors are never dropped. Returns
    what was dropped by its name alone ("side-right-column"): a name can be wrong, and such an element
    may hold the page's own records (see `_rescued_records`)."""
    for sel in exclude:
        for el in select(root, sel):
            _drop(el)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    protected = {a for el in keep or [] for a in (el, *el.iterancestors())}
    named: list[etree._Element] = []
    for el in list(root.iter()):
        tag = el.tag
        if not isinstance(tag, str) or (tag not in _FURNITURE_TAGS and not el.keys()):
            continue
        if el.getparent() is None or el in protected:
            continue
        kind = _furniture_kind(el)
        if kind:
            _drop(el)
            if kind == "name":
                named.append(el)
        elif el.tag == "form" and len(text_of(el)) < 200:
            _drop(el)  # a search box; whole-page ASP.NET forms are kept
    return named


def _drop(el: etree._Element) -> None:
    """Remove an element and its subtree, keeping its tail text in the document flow."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _stats(el: etree._Element, memo: dict[etree._Element, _Stats]) -> _Stats:
    """Characters of visible text and of link text under an element (measured in C, then memoised)."""
    found = memo.get(el)
    if found is None:
        links = sum(len(text_of(a)) for a in el.iter("a"))
        found = memo[el] = _Stats(len(text_of(el)), links)
    return found


def _signature(el: etree._Element) -> tuple[str, str]:
    return el.tag, el.get("class", "")


def _main_container(body: etree._Element, memo: dict[etree._Element, _Stats]) -> etree._Element:
    """The deepest container that still holds most of the non-link text: never a single paragraph,
    and never a link of a chain of unclosed tags. An unclosed <div>, <center> or <font> nests each
    paragraph in the one before, as browsers nest them; descending the chain would leave all but the
    last paragraphs out. A chain shows as a kind of element (tag and class) met again on the way down
    while the step leaves text of its own behind."""
    node = body
    path: set[tuple[str, str]] = set()
    while True:
        stats = _stats(node, memo)
        own = stats.text - stats.link
        best, best_text = None, 0
        for child in node:
            if not isinstance(child.tag, str) or child.tag not in _CONTAINER_TAGS:
                continue
            child_stats = _stats(child, memo)
            t = child_stats.text - child_stats.link
            if t > best_text:
                best, best_text = child, t
        if best is None or own <= 0 or best_text < MAIN_SHARE * own:
            return node
        if _paragraph_text(node, memo) >= LEAD_TEXT:
            return node  # paragraphs beside the largest child (an advisory's summary) are the document's too
        path.add(_signature(node))
        if _signature(best) in path and own - best_text >= CHAIN_TEXT:
            return node
        node = best


_PARAGRAPH_TAGS = frozenset(["p", "ol", "ul", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"])
LEAD_TEXT = 300  # characters of paragraphs directly in a container that keep it the content


def _paragraph_text(node: etree._Element, memo: dict[etree._Element, _Stats]) -> int:
    """Characters of non-link text in a container's own paragraphs (not in its child containers)."""
    total = 0
    for child in node:
        if isinstance(child.tag, str) and child.tag in _PARAGRAPH_TAGS:
            stats = _stats(child, memo)
            total += stats.text - stats.link
    return total


def _unused_char(text: str) -> str:
    for char in _BREAKS:
        if char not in text:
            return char
    raise ExtractError("the page uses every private-use character; its paragraphs cannot be told apart")


def _blocks(container: etree._Element) -> list[Block]:
    """Split a container's text into paragraph blocks at block-level elements and <br>.

    A boundary character is put where each block element starts and ends, then the container's text is
    read once (in C) and cut there: no walk over the elements in Python. The tree is this extraction's
    own, so marking it costs nothing else."""
    mark = _unused_char(_TEXT(container))
    for el in container.iter(*_BLOCK_TAGS):
        el.text = mark + (el.text or "")
        if el is not container:
            el.tail = mark + (el.tail or "")
    words = (part.split() for part in _TEXT(container).split(mark))
    return [Block(text=t, key=article_key(t)) for t in (" ".join(w) for w in words if w)]


@dataclass(slots=True)
class _Group:
    elements: list[etree._Element]
    score: float
    dated: int  # members that show a date

    @property
    def mostly_dated(self) -> bool:
        return self.dated * 2 >= len(self.elements)


def _link_title(a: etree._Element) -> str:
    text = text_of(a)
    title = squash(a.get("title", ""))
    if title and (not text or text.endswith(("...", "…")) or len(title) > len(text)):
        return title
    return text


def _item_from(el: etree._Element, base: str) -> Item | None:
    links = [a for a in el.iter("a") if _link_title(a)]
    if not links:
        return None
    main = max(links, key=lambda a: len(_link_title(a)))
    title = _link_title(main)
    if len(title) < MIN_TITLE_CHARS:
        return None
    url = clean_url(main.get("href", ""), base)
    date = find_date(text_of(el).replace(title, " "))
    fields: tuple[tuple[str, str], ...] = ()
    if not date:
        # The date written inside the link after the title (<a><span>title</span><span>date</span></a>).
        trailing = _TRAILING_DATE.search(title)
        if trailing and len(title[: trailing.start()].strip()) >= MIN_TITLE_CHARS:
            title, date = title[: trailing.start()].strip(), find_date(trailing.group())
    history = _TRAILING_HISTORY.search(title)
    if history and len(title[: history.start()].strip()) >= MIN_TITLE_CHARS:
        # "规定（2015年10月29日证监会令第118号公布 根据…修订）": the rule's name, and its history apart.
        note = squash(history.group()).strip()
        title, fields = title[: history.start()].strip(), (("history", note),)
        date = date or find_date(note)
    return Item(id=url or title, title=title, url=url, date=date, fields=fields)


# A title's closing parenthesis that opens with a date: the rule's issuing history, not its name.
_TRAILING_HISTORY = re.compile(r"\s*[（(]\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[^（）()]*[)）]\s*$")


_TRAILING_DATE = re.compile(
    r"\s*[\[【(（]?\s*\d{4}\s*(?:[-/.]|年)\s*\d{1,2}\s*(?:[-/.]|月)\s*\d{1,2}\s*日?\s*[\]】)）]?\s*$")


def _titled(a: etree._Element) -> bool:
    """Whether a link has a title long enough to name a document."""
    return len(_link_title(a)) >= MIN_TITLE_CHARS


def _titled_links(el: etree._Element) -> int:
    return sum(1 for a in el.iter("a") if _titled(a))


def _records_in(el: etree._Element) -> list[etree._Element]:
    """The dated records inside `el`: its topmost descendants holding exactly one titled link and a date."""
    found: list[etree._Element] = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        links = _titled_links(child)
        if links == 1 and find_date(text_of(child)):
            found.append(child)
        elif links > 1:
            found += _records_in(child)
    return found


def _finer(group: _Group) -> _Group:
    """A group whose members each hold several dated records (boxes of two or three entries) as
    those records, so none is lost to its box's longest link."""
    if sum(_titled_links(el) for el in group.elements) < 1.5 * len(group.elements):
        return group
    records = [r for el in group.elements for r in _records_in(el)]
    if len(records) < 1.5 * len(group.elements):
        return group
    return _Group(records, group.score, len(records))


def _shape(el: etree._Element) -> tuple[str, str, tuple[str, ...]]:
    """What a record looks like: its tag, its parent's tag and its children's tags."""
    parent = el.getparent()
    return el.tag, parent.tag if parent is not None else "", tuple(c.tag for c in el if isinstance(c.tag, str))[:4]


def _own_records(elements: list[etree._Element], directory: str) -> bool:
    """Whether most of these records link under the page's own directory (its column's documents)."""
    own = 0
    for el in elements:
        link = next((a for a in el.iter("a") if _titled(a)), None)
        if link is not None and clean_url(link.get("href", ""), directory).startswith(directory):
            own += 1
    return own * 2 > len(elements)


def _with_sections(top: _Group, body: etree._Element, url: str) -> list[etree._Element]:
    """The best group's records, with the records of the same shape in the page's other sections: a
    column page grouped under headings (法律法规 / 部门规章 / 规范性文件, each a short list) is one list.
    Only dated records linking under the page's own directory join, so a sidebar of the same shape
    (latest news from other columns) never does."""
    directory = clean_url(url).rsplit("/", 1)[0] + "/"
    if not top.mostly_dated or directory.count("/") < 4 or not _own_records(top.elements, directory):
        return top.elements
    shape = _shape(top.elements[0])
    chosen = set(top.elements)
    joined = [el for el in body.iter(shape[0]) if el in chosen or (
        _shape(el) == shape and next(el.iterdescendants(shape[0]), None) is None
        and len(text := text_of(el)) <= RECORD_CHARS and find_date(text) and _own_records([el], directory))]
    return joined if len(joined) > len(top.elements) else top.elements


def _wrap_flat_records(root: etree._Element) -> None:
    """Records written as a flat run of siblings (`<a>title</a><span>date</span><br>` repeated, no
    element per record) wrapped in place, one `<li>` per run from a titled link to the next, so they
    are found as any other list. Only a run where most links are followed by a date is wrapped."""
    parents = {a.getparent() for a in root.iter("a")}
    for parent in [p for p in parents if p is not None and p.tag not in ("ul", "ol", "a")
                   and len(p.findall("a")) >= MIN_ITEMS]:
        links = [c for c in parent if c.tag == "a" and _titled(c)]
        if len(links) < MIN_ITEMS:
            continue
        runs: list[list[etree._Element]] = []
        for child in list(parent):
            if child.tag == "a" and _titled(child):
                runs.append([child])
            elif runs:
                runs[-1].append(child)
        dated = sum(1 for run in runs if find_date(" ".join(f"{text_of(el)} {el.tail or ''}" for el in run)))
        if dated * 2 < len(runs):
            continue
        for run in runs:
            wrapper = etree.Element("li")
            run[0].addprevious(wrapper)
            for el in run:
                wrapper.append(el)  # its tail text goes with it


def _link_path(member: etree._Element) -> tuple[str, ...]:
    """The tags from a record down to its main (longest-titled) link: where its title sits."""
    main = max(member.iter("a"), key=lambda a: len(_link_title(a)))
    path: list[str] = []
    for el in main.iterancestors():
        if el is member or len(path) == 6:
            break
        path.append(el.tag)
    return tuple(path)


def _alike(members: list[etree._Element]) -> bool:
    """Whether most members carry their title the same way: records of one list do, the rows of a
    layout table (a banner, a breadcrumb, the article with a share link) do not."""
    paths: dict[tuple[str, ...], int] = {}
    for member in members:
        path = _link_path(member)
        paths[path] = paths.get(path, 0) + 1
    if max(paths.values()) * 2 <= len(members):
        return False
    # One member holding more prose than all the others together is the article, not a record.
    prose = [len(text_of(m)) - sum(len(text_of(a)) for a in m.iter("a")) for m in members]
    return max(prose) <= 2 * (sum(prose) - max(prose)) + RECORD_CHARS // 5


def _candidate_groups(root: etree._Element, least: int = MIN_ITEMS) -> list[_Group]:
    """Repeated link blocks, best first. `least`: the members a group needs (fewer than MIN_ITEMS only
    on a page the source says is a list, and then every member must be a dated record)."""
    # Only an ancestor of at least `least` titled links can hold a list; most of an article has none.
    titled = [a for a in root.iter("a") if _titled(a)]
    if len(titled) < least:
        return []
    holders = {p for a in titled for p in a.iterancestors()}
    groups = []
    for parent in root.iter():
        if parent not in holders:
            continue
        by_tag: dict[str, list[etree._Element]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag in _ITEM_TAGS:
                by_tag.setdefault(child.tag, []).append(child)
        for members in by_tag.values():
            with_links = [m for m in members if any(_titled(a) for a in m.iter("a"))]
            if len(with_links) < least:
                continue
            titles = [len(label) + SHORT_LINK if (label := _row_label(m)) else
                      max((len(_link_title(a)) for a in m.iter("a")), default=0) for m in with_links]
            dated = sum(1 for m in with_links if find_date(text_of(m)))
            if len(with_links) < MIN_ITEMS and dated < len(with_links):
                continue  # two undated links are any two links; two dated records are a short list
            score = sum(titles) * (1.5 if dated >= len(with_links) / 2 else 1.0)
            groups.append(_Group(with_links, score, dated))
    # Layout rows (a header, a breadcrumb, the article) each holding some link are no list; tested
    # best first, and only until the best real list is found (the test reads every member's text).
    ranked = sorted(groups, key=lambda g: g.score, reverse=True)
    for k, group in enumerate(ranked):
        if _alike(group.elements):
            return ranked[k:]
    return []


def _rescued_records(
    named: list[etree._Element], body: etree._Element, groups: list[_Group], memo: dict[etree._Element, _Stats]
) -> _Group | None:
    """The page's own dated records when furniture removal took them by a misleading name (CAC's
    rule lists sit in `div.side-right-column`): a group of repeated, dated, linked records inside
    something dropped by name, on a page left with no prose and no stronger list of its own. A dated
    sidebar beside an article never qualifies: the article's prose stays."""
    if not named:
        return None
    stats = _stats(body, memo)  # the main container's search reads it again from the memo
    prose = stats.text - stats.link
    if prose >= RESCUE_PROSE:
        return None  # an article: its prose stays the content (the test below would say so too, dearer)
    best: _Group | None = None
    for dropped in named:
        if sum(1 for _ in dropped.iter("a")) < MIN_RECORDS:
            continue
        for group in _candidate_groups(dropped):
            if group.mostly_dated and len(group.elements) >= MIN_RECORDS and (best is None or group.score > best.score):
                best = group
    if best is None or (groups and groups[0].score >= best.score):
        return None
    record_chars = sum(len(text_of(el)) for el in best.elements)
    return best if prose < PROSE_SHARE * record_chars else None


# "当前位置：首页 > 网信政务 > 政策法规", "You are here: Home / Rules": a trail of where the page sits.
_TRAIL_START = re.compile(
    r"^(?:您?(?:当前|现在|所在)的?位置|当前页面|current location|you are here|location)\s*[:：]?\s*", re.IGNORECASE)
_TRAIL_SEP = re.compile(r"\s*(?:>>?|»|›|→|＞|/|\\)\s*")
_HOME = frozenset(["首页", "网站首页", "主页", "home", "homepage"])
TRAIL_CHARS = 200
TRAIL_PART_CHARS = 30


def is_trail(text: str) -> bool:
    """Whether a block is only a breadcrumb: a "current location" lead, or a run of short steps from
    the home page, separated by ">" or "/"."""
    if len(text) > TRAIL_CHARS:
        return False
    rest = _TRAIL_START.sub("", text, count=1)
    parts = [p for p in _TRAIL_SEP.split(rest) if p]
    if rest != text:
        return not parts or all(len(p) <= TRAIL_PART_CHARS for p in parts)
    return len(parts) >= 2 and parts[0].lower() in _HOME and all(len(p) <= TRAIL_PART_CHARS for p in parts)


MANY_DATED_LINKS = 12  # dated links on a page that cannot be a list without items


def _dated_links(roots: list[etree._Element]) -> int:
    """Links with a title whose own entry (the link's parent, or its parent's parent) shows a date:
    how many records a page holds, whatever their shape."""
    count = 0
    for root in roots:
        for a in root.iter("a"):
            if len(_link_title(a)) < MIN_TITLE_CHARS:
                continue
            entry = a
            for _ in range(3):
                if entry is None:
                    break
                text = text_of(entry)
                if len(text) <= TRAIL_CHARS and find_date(text):
                    count += 1
                    break
                entry = entry.getparent()
    return count


# <meta> names that carry the document's own title, best first (TRS and other CMSs write ArticleTitle),
# and those that carry the site's name, which is never a document's title.
_TITLE_METAS = ("articletitle", "og:title", "twitter:title", "dc.title", "dcterms.title")
_SITE_METAS = ("sitename", "og:site_name", "application-name", "apple-mobile-web-app-title")
# What separates a <title>'s parts ("Rule_Column_Site", "Site | Rule"); a bare hyphen only with spaces.
_TITLE_PARTS = re.compile(r"\s*(?:[_|｜–—]|(?<!\d)－(?!\d))\s*|\s+-{1,2}\s+|\s*::\s*")  # 2026－2030 is a range
_HEADINGS = ("h1", "h2", "h3")


@dataclass(frozen=True, slots=True)
class PageTitles:
    """What a page says about its own title: its <meta> titles, its <title>, and the site's name."""

    metas: tuple[str, ...]
    head: str
    site: str

    @classmethod
    def read(cls, root: etree._Element) -> PageTitles:
        found: dict[str, str] = {}
        for meta in root.iter("meta"):
            key = (meta.get("name") or meta.get("property") or "").strip().lower()
            value = squash(meta.get("content") or "")
            if key and value:
                found.setdefault(key, value)
        head = root.find(".//title")
        site = next((found[k] for k in _SITE_METAS if k in found), "")
        return cls(tuple(found[k] for k in _TITLE_METAS if k in found), text_of(head) if head is not None else "", site)

    def parts(self) -> tuple[list[str], str]:
        """The <title>'s parts that are not the site's name, and the site's name (its <meta>, else the
        last part of a "Rule_Column_Site" title)."""
        parts = [p for p in _TITLE_PARTS.split(self.head) if p]
        site = self.site or (parts[-1] if len(parts) > 1 else "")
        return [p for p in parts if p != site] or parts, site

    def trimmed(self, title: str) -> str:
        """A <meta> title without a site-name part that some CMSs append to it too."""
        parts = [p for p in _TITLE_PARTS.split(title) if p and p != self.site]
        return title if len(parts) <= 1 or not self.site else parts[0]


def _title(root: etree._Element, titles: PageTitles) -> str:
    """The document's title: a <meta> title, else a heading that the <title> agrees with (or the h1),
    else the <title> without its site-name part. Never the site's name when anything else is there."""
    for meta in titles.metas:
        if meta != titles.site:
            return titles.trimmed(meta)
    parts, site = titles.parts()
    h1 = ""
    for tag in _HEADINGS:
        for heading in root.iter(tag):
            text = text_of(heading)
            if not text or text == site:
                continue
            if any(min(len(text), len(part)) >= MIN_TITLE_CHARS and (text in part or part in text) for part in parts):
                return text
            if tag == "h1" and not h1:
                h1 = text
    return h1 or (parts[0] if parts else "")


def extract_html(text: str, url: str, options: ExtractOptions | None = None) -> Document:
    """Extract a page (blocks) or a list (items) from HTML text. Pure: no fetching."""
    options = options or ExtractOptions()
    root = parse(text)
    titles = PageTitles.read(root)
    page_title = titles.head
    body = root.find("body")
    if body is None:
        body = root
    signal = challenge_signal(text)  # the page's visible text is measured only when it matters
    if signal == "strong" or (signal == "weak" and len(text_of(body)) < SHORT_TEXT):
        raise ChallengePage("the server sent a JavaScript/cookie challenge page instead of content")
    if options.link_pattern:
        _links_from_pattern(root, options.link_pattern, options.url_template, url)
    chosen = [el for sel in (options.select, options.items) if sel for el in select(root, sel)]
    named = strip_furniture(root, options.exclude, keep=chosen)
    memo: dict[etree._Element, _Stats] = {}  # text statistics, read by the list rescue and the content search
    title = _title(root, titles)
    content_text = text_of(body)
    if looks_like_error_page(page_title, content_text):
        raise NotADocument(f"the server sent an error page titled {page_title!r}")
    if looks_like_maintenance(page_title, content_text):
        raise Maintenance(f"the server sent a maintenance page: {content_text[:80]!r}")
    if not content_text:
        raise EmptyBody("the page has no visible text")
    if _UNRENDERED.search(content_text):
        raise LooksWrong("the page's text holds unrendered template placeholders ({{...}}): it is built by "
                         "JavaScript in the browser; watch its JSON API, or set `fetcher: browser`")

    if options.kind != "page":
        if options.items:
            members = select(root, options.items)
            if not members:
                raise ExtractError(f"the items selector {options.items!r} matched nothing")
            items = _items(members[:MAX_ITEMS], url)
            if options.kind == "list" or items:
                return Document(kind="list", url=url, title=title, items=items, metadata=items_cut(len(members)))
        else:
            _wrap_flat_records(body)
            # A source that says it watches a list may show only two entries (a new or quiet column).
            groups = _candidate_groups(body, SHORT_LIST if options.kind == "list" else MIN_ITEMS)
            rescued = _rescued_records(named, body, groups, memo)
            if rescued is not None:
                members = rescued.elements
                return Document(kind="list", url=url, title=title, items=_items(members[:MAX_ITEMS], url),
                                metadata=items_cut(len(members)))
            if groups:
                members = _with_sections(_finer(groups[0]), body, url)
                # A list page is mostly its items (their titles and dates), an article mostly prose.
                item_chars = sum(len(text_of(el).replace(" ", "")) for el in members)
                if options.kind == "list" or item_chars >= LIST_SHARE * len(content_text.replace(" ", "")):
                    return Document(kind="list", url=url, title=title, items=_items(members[:MAX_ITEMS], url),
                                    metadata=items_cut(len(members)))
        if options.kind == "list":
            dated = _dated_links([body, *named])
            if dated >= MANY_DATED_LINKS:
                raise LooksWrong(f"the list yields no items although the page holds {dated} dated links: its "
                                 "entries have a shape rulewatch does not recognise; name one with `items:`")
            return Document(kind="list", url=url, title=title)

    if options.select:
        found = select(root, options.select)
        if not found:
            raise ExtractError(f"the selector {options.select!r} matched nothing")
    else:
        found = [_main_container(body, memo)]
        stats = _stats(found[0], memo)
        if stats.link >= NAVIGATION_SHARE * stats.text:
            raise LooksWrong(f"the page's main text is only navigation links ({text_of(found[0])[:80]!r}); "
                             "if it is a list, set `kind: list`, else name its content with `select:`")
    if title and title == titles.site:
        raise LooksWrong(f"the page's only title is the site's name {title!r}: the document's own title is "
                         "missing (a page rendered by JavaScript?); try `fetcher: browser`")
    for container in found:
        for box in link_boxes(container):
            _drop(box)
    blocks = without_furniture(without_repeats([b for el in found for b in _blocks(el)]))
    text = " ".join(b.text for b in blocks)
    if not text:
        raise LooksWrong("the page has no text outside its furniture (menus, toolbars, link boxes)")
    if all(is_trail(b.text) for b in blocks):
        dated = _dated_links([body, *named])
        if dated >= MIN_ITEMS:
            hint = (f"; the page holds {dated} dated links: if it is a list, set `kind: list` (and `items:` "
                    "naming one entry if that finds none)")
        else:
            hint = ("; its content may be loaded by JavaScript (watch the site's JSON API, or set "
                    "`fetcher: browser`), or name it with `select:`")
        raise LooksWrong(f"the page's main text is only a breadcrumb trail ({text[:80]!r}): its content was not "
                         f"found{hint}")
    if _ONLY_URLS.fullmatch(text):
        raise LooksWrong(f"the page's text is only a URL ({text[:80]!r}): its content was not found")
    return Document(kind="page", url=url, title=title, blocks=blocks)


# A later run of blocks that repeats an earlier run is a second copy of the body when it is this long
# (several different blocks, or one long one): short repeats ("罚款1万元" in a table, the same line
# many times) are the page's own.
MIN_REPEAT_CHARS = 200
MIN_REPEAT_RUN_CHARS = 80


def without_repeats(blocks: list[Block]) -> list[Block]:
    """The blocks with any later copy of an earlier run removed: pages that carry their body twice
    (a desktop and a mobile copy, one hidden by CSS) would otherwise report every edit twice."""
    if len({b.text for b in blocks}) == len(blocks):
        return blocks  # no block repeats: the usual page, decided by one set built in C
    first: dict[str, int] = {}
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        earlier = first.get(blocks[i].text)
        if earlier is not None:
            run = 0
            while i + run < len(blocks) and earlier + run < i and blocks[earlier + run].text == blocks[i + run].text:
                run += 1
            copy = blocks[i : i + run]
            chars = sum(len(b.text) for b in copy)
            distinct = len({b.text for b in copy})
            if (distinct == 1 and chars >= MIN_REPEAT_CHARS) or (distinct >= 2 and chars >= MIN_REPEAT_RUN_CHARS):
                i += run
                continue
        first.setdefault(blocks[i].text, i)
        kept.append(blocks[i])
        i += 1
    return kept


_SCRIPT_LINK = ("", "#", "javascript:", "javascript:;", "javascript:void(0)", "javascript:void(0);")


def _links_from_pattern(root: etree._Element, pattern: str, template: str, base: str) -> None:
    """Give links that exist only in script (onclick="jumpDetail('id', …)", data-id="…") a real href:
    the source's `link_pattern` finds the values in an element's attributes and `url_template` builds
    the URL from them ({1} or {name}; the first group itself when there is no template)."""
    regex = re.compile(pattern)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            scripted = name == "onclick" or name.startswith("data-") or (
                name == "href" and value.startswith("javascript"))
            if not scripted:
                continue
            found = regex.search(value)
            if found is None:
                continue
            groups = (found.group(0), *(g or "" for g in found.groups()))
            try:
                link = template.format(*groups, **found.groupdict("")) if template else groups[1]
            except (IndexError, KeyError) as exc:
                raise ExtractError(f"url_template {template!r} names a group link_pattern lacks: {exc}") from exc
            target = el if el.tag == "a" else next(
                (a for a in el.iter("a") if a.get("href", "").strip().lower() in _SCRIPT_LINK), None)
            if target is not None:
                target.set("href", urljoin(base, link))
            break


def _items(members: list[etree._Element], base: str) -> list[Item]:
    found: list[Item] = []
    for el in members:
        label = _row_label(el)
        if label:
            found += _labelled_items(el, label, base)
        else:
            item = _item_from(el, base)
            if item:
                found.append(item)
    return with_unique_ids(found)


SHORT_LINK = 8  # a link this short ("Jan.", "第3期", "PDF") names a version of its row, not a document


def _row_label(el: etree._Element) -> str:
    """A record's own label when its links are all short versions of it (a bulletin's row "(1)
    Summary of Imports and Exports" with one link per month), else ""."""
    links = [a for a in el.iter("a") if _link_title(a)]
    if len(links) < 2 or any(len(_link_title(a)) > SHORT_LINK for a in links):
        return ""
    # The row's text outside any part that holds its links: a table row's label cell, a list entry's lead.
    parts = [el.text or ""] + [f"{text_of(c)} {c.tail or ''}" if next(c.iter("a"), None) is None else (c.tail or "")
                               for c in el if isinstance(c.tag, str)]
    label = squash(" ".join(parts))
    return label if len(label) > SHORT_LINK else ""


def _labelled_items(el: etree._Element, label: str, base: str) -> list[Item]:
    """One item per link of a labelled row, titled by the row's label and the link's text."""
    items = []
    for a in el.iter("a"):
        text = _link_title(a)
        url = clean_url(a.get("href", ""), base)
        if text and url:
            items.append(Item(id=url, title=f"{label} {text}", url=url, date=find_date(text)))
    return items
