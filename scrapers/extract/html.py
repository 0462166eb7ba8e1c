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

from lxml import etree
from lxml.cssselect import CSSSelector

from core.errors import ChallengePage, EmptyBody, ExtractError, NotADocument
from core.model import Block, Document, Item
from core.text import article_key, find_date, squash
from scrapers.extract.challenge import SHORT_TEXT, challenge_signal, looks_like_error_page
from scrapers.extract.options import ExtractOptions
from scrapers.urls import clean_url

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
MIN_ITEMS = 3  # repeated link blocks needed to call something a list
# Elements that repeat once per list item (PBOC's lists are a table per item).
_ITEM_TAGS = frozenset(["li", "tr", "div", "dd", "dt", "p", "article", "section", "table"])
MIN_TITLE_CHARS = 4
LIST_SHARE = 0.45  # share of the content text that item titles must carry for the page to be a list
MAIN_SHARE = 0.6  # descend into a child while it holds this share of its parent's text
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


def parse(text: str) -> etree._Element:
    """Parse HTML text into an lxml tree. Raises EmptyBody when there is nothing to parse."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
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
    )


def _is_furniture(el: etree._Element) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("html", "body"):
        return False
    if tag in _DROP_TAGS or _is_hidden(el):
        return True
    if tag == "header" and not el.xpath(".//h1"):
        return True
    if tag == "footer":
        return True
    tokens = _tokens(el)
    return bool(tokens & _UNLIKELY) and not (tokens & _LIKELY)


def strip_furniture(
    root: etree._Element, exclude: tuple[str, ...] = (), keep: list[etree._Element] | None = None
) -> None:
    """Remove boilerplate in place: furniture by tag/class/role, short forms, comments, user excludes.

    Elements in `keep` (what a user's selector chose) and their ancestors are never dropped."""
    for sel in exclude:
        for el in select(root, sel):
            _drop(el)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    protected = {a for el in keep or [] for a in (el, *el.iterancestors())}
    for el in list(root.iter()):
        tag = el.tag
        if not isinstance(tag, str) or (tag not in _FURNITURE_TAGS and not el.keys()):
            continue
        if el.getparent() is None or el in protected:
            continue
        if _is_furniture(el):
            _drop(el)
        elif el.tag == "form" and len(text_of(el)) < 200:
            _drop(el)  # a search box; whole-page ASP.NET forms are kept


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


def _main_container(body: etree._Element) -> etree._Element:
    """The deepest container that still holds most of the non-link text (never a single paragraph)."""
    memo: dict[etree._Element, _Stats] = {}
    node = body
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
        node = best


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
    return Item(id=url or title, title=title, url=url, date=date)


def _candidate_groups(root: etree._Element) -> list[_Group]:
    # Only an ancestor of at least MIN_ITEMS titled links can hold a list; most of an article has none.
    titled = [a for a in root.iter("a") if len(_link_title(a)) >= MIN_TITLE_CHARS]
    if len(titled) < MIN_ITEMS:
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
            with_links = [m for m in members if any(len(_link_title(a)) >= MIN_TITLE_CHARS for a in m.iter("a"))]
            if len(with_links) < MIN_ITEMS:
                continue
            titles = [max((len(_link_title(a)) for a in m.iter("a")), default=0) for m in with_links]
            dated = sum(1 for m in with_links if find_date(text_of(m)))
            score = sum(titles) * (1.5 if dated >= len(with_links) / 2 else 1.0)
            groups.append(_Group(with_links, score))
    return sorted(groups, key=lambda g: g.score, reverse=True)


def _title(root: etree._Element) -> str:
    h1 = root.find(".//h1")
    if h1 is not None and text_of(h1):
        return text_of(h1)
    t = root.find(".//title")
    return text_of(t) if t is not None else ""


def extract_html(text: str, url: str, options: ExtractOptions | None = None) -> Document:
    """Extract a page (blocks) or a list (items) from HTML text. Pure: no fetching."""
    options = options or ExtractOptions()
    root = parse(text)
    head_title = root.find(".//title")
    page_title = text_of(head_title) if head_title is not None else ""
    body = root.find("body")
    if body is None:
        body = root
    signal = challenge_signal(text)  # the page's visible text is measured only when it matters
    if signal == "strong" or (signal == "weak" and len(text_of(body)) < SHORT_TEXT):
        raise ChallengePage("the server sent a JavaScript/cookie challenge page instead of content")
    chosen = [el for sel in (options.select, options.items) if sel for el in select(root, sel)]
    strip_furniture(root, options.exclude, keep=chosen)
    title = _title(root) or page_title
    content_text = text_of(body)
    if looks_like_error_page(page_title, content_text):
        raise NotADocument(f"the server sent an error page titled {page_title!r}")
    if not content_text:
        raise EmptyBody("the page has no visible text")

    if options.kind != "page":
        if options.items:
            members = select(root, options.items)
            items = _items(members, url)
            if options.kind == "list" or items:
                return Document(kind="list", url=url, title=title, items=items)
        else:
            groups = _candidate_groups(body)
            if groups:
                items = _items(groups[0].elements, url)
                # A list page is mostly its items (their titles and dates), an article mostly prose.
                item_chars = sum(len(text_of(el).replace(" ", "")) for el in groups[0].elements)
                if options.kind == "list" or item_chars >= LIST_SHARE * len(content_text.replace(" ", "")):
                    return Document(kind="list", url=url, title=title, items=items)
        if options.kind == "list":
            return Document(kind="list", url=url, title=title)

    if options.select:
        found = select(root, options.select)
        if not found:
            raise ExtractError(f"the selector {options.select!r} matched nothing")
        blocks = [b for el in found for b in _blocks(el)]
    else:
        blocks = _blocks(_main_container(body))
    return Document(kind="page", url=url, title=title, blocks=blocks)


def _items(members: list[etree._Element], base: str) -> list[Item]:
    seen: set[str] = set()
    items = []
    for el in members:
        item = _item_from(el, base)
        if item and item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return items
