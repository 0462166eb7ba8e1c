"""HTML pages and HTML lists: the main content or the repeated items, without the page's furniture.

The main content is found from structure alone: boilerplate containers (navigation, sidebars, ads,
footers, forms, hidden and scripted parts) are dropped by tag, role and class vocabulary, then the
deepest element that still holds most of the non-link text is taken. A page whose text is mostly a
run of similar link items (a notice list) becomes a list document instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from scrapers.document import Block, Document, Item
from scrapers.errors import ChallengePage, EmptyBody, ExtractError, NotADocument
from scrapers.extract.challenge import SHORT_TEXT, challenge_signal, looks_like_error_page
from scrapers.extract.options import ExtractOptions
from scrapers.extract.text import article_key, find_date, squash
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


@dataclass(slots=True)
class _Stats:
    text: int
    link: int


def parse(text: str) -> etree._Element:
    """Parse HTML text into an lxml tree. Raises EmptyBody when there is nothing to parse."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        raise EmptyBody("the body is empty")
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from exc


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
        for el in root.cssselect(sel):
            _drop(el)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    protected = {a for el in keep or [] for a in (el, *el.iterancestors())}
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el in protected:
            continue
        if _is_furniture(el):
            _drop(el)
        elif el.tag == "form" and len(squash(el.text_content())) < 200:
            _drop(el)  # a search box; whole-page ASP.NET forms are kept


def _drop(el: etree._Element) -> None:
    """Remove an element and its subtree, keeping its tail text in the document flow."""
    if el.getparent() is not None:
        el.drop_tree()


def _stats(root: etree._Element) -> dict[etree._Element, _Stats]:
    """Characters of visible text and of link text under every element (one bottom-up pass)."""
    out: dict[etree._Element, _Stats] = {}

    def walk(el: etree._Element, in_link: bool) -> _Stats:
        is_link = in_link or el.tag == "a"
        own = len(squash(el.text or "")) if isinstance(el.tag, str) else 0
        total, link = own, own if is_link else 0
        for child in el:
            if isinstance(child.tag, str):
                s = walk(child, is_link)
                total += s.text
                link += s.link
            tail = len(squash(child.tail or ""))
            total += tail
            link += tail if is_link else 0
        st = _Stats(total, link)
        out[el] = st
        return st

    walk(root, False)
    return out


def _main_container(body: etree._Element, stats: dict[etree._Element, _Stats]) -> etree._Element:
    """The deepest container that still holds most of the non-link text (never a single paragraph)."""
    node = body
    while True:
        own = stats[node].text - stats[node].link
        best, best_text = None, 0
        for child in node:
            if not isinstance(child.tag, str) or child not in stats or child.tag not in _CONTAINER_TAGS:
                continue
            t = stats[child].text - stats[child].link
            if t > best_text:
                best, best_text = child, t
        if best is None or own <= 0 or best_text < MAIN_SHARE * own:
            return node
        node = best


def _blocks(container: etree._Element) -> list[Block]:
    """Split a container's text into paragraph blocks at block-level elements and <br>."""
    parts: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = squash("".join(buf))
        if text:
            parts.append(text)
        buf.clear()

    def walk(el: etree._Element) -> None:
        block = el.tag in _BLOCK_TAGS
        if block:
            flush()
        if el.text:
            buf.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            flush()

    walk(container)
    flush()
    return [Block(text=t, key=article_key(t)) for t in parts]


@dataclass(slots=True)
class _Group:
    elements: list[etree._Element]
    score: float


def _link_title(a: etree._Element) -> str:
    text = squash(a.text_content())
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
    date = find_date(squash(el.text_content()).replace(title, " "))
    return Item(id=url or title, title=title, url=url, date=date)


def _candidate_groups(root: etree._Element) -> list[_Group]:
    groups = []
    for parent in root.iter():
        if not isinstance(parent.tag, str):
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
            dated = sum(1 for m in with_links if find_date(squash(m.text_content())))
            score = sum(titles) * (1.5 if dated >= len(with_links) / 2 else 1.0)
            groups.append(_Group(with_links, score))
    return sorted(groups, key=lambda g: g.score, reverse=True)


def _title(root: etree._Element) -> str:
    h1 = root.find(".//h1")
    if h1 is not None and squash(h1.text_content()):
        return squash(h1.text_content())
    t = root.find(".//title")
    return squash(t.text_content()) if t is not None else ""


def extract_html(text: str, url: str, options: ExtractOptions | None = None) -> Document:
    """Extract a page (blocks) or a list (items) from HTML text. Pure: no fetching."""
    options = options or ExtractOptions()
    root = parse(text)
    head_title = root.find(".//title")
    page_title = squash(head_title.text_content()) if head_title is not None else ""
    body = root.find("body")
    if body is None:
        body = root
    signal = challenge_signal(text)  # the page's visible text is measured only when it matters
    if signal == "strong" or (signal == "weak" and len(squash(body.text_content())) < SHORT_TEXT):
        raise ChallengePage("the server sent a JavaScript/cookie challenge page instead of content")
    chosen = [el for sel in (options.select, options.items) if sel for el in root.cssselect(sel)]
    strip_furniture(root, options.exclude, keep=chosen)
    title = _title(root) or page_title
    content_text = squash(body.text_content())
    if looks_like_error_page(page_title, content_text):
        raise NotADocument(f"the server sent an error page titled {page_title!r}")
    if not content_text:
        raise EmptyBody("the page has no visible text")

    if options.kind != "page":
        if options.items:
            members = root.cssselect(options.items)
            items = _items(members, url)
            if options.kind == "list" or items:
                return Document(kind="list", url=url, title=title, items=items)
        else:
            groups = _candidate_groups(body)
            if groups:
                items = _items(groups[0].elements, url)
                # A list page is mostly its items (their titles and dates), an article mostly prose.
                item_chars = sum(len(squash(el.text_content()).replace(" ", "")) for el in groups[0].elements)
                if options.kind == "list" or item_chars >= LIST_SHARE * len(content_text.replace(" ", "")):
                    return Document(kind="list", url=url, title=title, items=items)
        if options.kind == "list":
            return Document(kind="list", url=url, title=title)

    if options.select:
        found = root.cssselect(options.select)
        if not found:
            raise ExtractError(f"the selector {options.select!r} matched nothing")
        blocks = [b for el in found for b in _blocks(el)]
    else:
        stats = _stats(body)
        blocks = _blocks(_main_container(body, stats))
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
