"""Furniture inside an article: boxes of links to other pages, share toolbars, disclaimers.

Class-name vocabulary (html._UNLIKELY) finds furniture that the site names as such. What sits inside
the article container under neutral names is found here by its shape instead:

- a link box: an element whose text is nearly all links to other pages ("related news", "more in
  this column"), with the short heading before it. Its entries rotate between checks, so it must never
  reach a diff. Links to files (a rule's attachments) do not count: an attachment list is rule text.
- a toolbar: a short block made only of control words (print, close, share to Weibo or WeChat, font
  size, scan the QR code).
- a trailing notice: a copyright or disclaimer section at the end of the page, and what follows it.
"""

from __future__ import annotations

import re

from lxml import etree

from rulewatch.core.model import Block

_TEXT = etree.XPath("string()", smart_strings=False)
# Elements that can hold a box of links.
_BOX_TAGS = frozenset(["ul", "ol", "dl", "div", "table", "tbody", "section", "p", "td"])
LINK_BOX_SHARE = 0.8  # share of an element's text that is link text for it to be a box of links
MIN_BOX_LINKS = 2
BOX_HEADING_CHARS = 20  # a box's heading ("相关新闻", "Related") is at most this long
_FILE_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|ofd|zip|rar|7z|csv|txt)(?:[?#]|$)", re.IGNORECASE)

# Words that only controls carry; a short block made of nothing else is a toolbar.
_CONTROL_WORDS = frozenset(
    [
        "打印", "打印本页", "关闭", "关闭窗口", "关闭本页", "分享", "分享到", "微博",
        "新浪微博", "微信", "朋友圈", "QQ", "QQ空间", "收藏", "字号", "字体", "大",
        "中", "小", "默认", "返回", "返回顶部", "顶部", "复制链接", "扫一扫", "二维码",
        "纠错", "print", "share", "email", "close", "tweet",
        "facebook", "twitter", "linkedin", "whatsapp", "copy",
        "link", "top", "back",
    ]
)
TOOLBAR_CHARS = 40
QR_PROMPT_CHARS = 16  # "手机扫一扫打开此页", "Scan to read on your phone"
_QR_PROMPT = re.compile(r"扫一扫|扫描二维码|二维码|\bscan\b", re.IGNORECASE)
_CONTROL_SPLIT = re.compile(r"[\s【】\[\]|/｜·:：]+")
# How a copyright or disclaimer section starts; it and what follows are furniture near the page's end.
_NOTICE_START = re.compile(
    r"^(?:版权(?:与免责)?声明|免责声明|版权所有|copyright\b|©|\(c\)\s*\d{4}|all rights reserved|disclaimer\b)",
    re.IGNORECASE,
)
NOTICE_TAIL_BLOCKS = 6  # a notice section is at most this many blocks, and sits in the page's last half


def _chars(el: etree._Element) -> int:
    return len("".join(_TEXT(el).split()))


def _is_link_box(el: etree._Element) -> bool:
    links = [a for a in el.iter("a") if _chars(a)]
    if len(links) < MIN_BOX_LINKS:
        return False
    if sum(1 for a in links if _FILE_LINK.search(a.get("href", ""))) * 2 >= len(links):
        return False  # an attachment list
    total = _chars(el)
    return total > 0 and sum(_chars(a) for a in links) >= LINK_BOX_SHARE * total


def _box_heading(box: etree._Element) -> etree._Element | None:
    previous = box.getprevious()
    if previous is None or not isinstance(previous.tag, str) or next(previous.iter("a"), None) is not None:
        return None
    chars = _chars(previous)
    return previous if 0 < chars <= BOX_HEADING_CHARS else None


def link_boxes(container: etree._Element) -> list[etree._Element]:
    """The boxes of links to other pages inside `container` (never `container` itself), each with
    the short heading before it. Only ancestors of links are looked at."""
    holders = {p for a in container.iter("a") for p in a.iterancestors()}
    found: list[etree._Element] = []
    stack = [container]
    while stack:
        for child in stack.pop():
            if child not in holders:
                continue
            if child.tag in _BOX_TAGS and _is_link_box(child):
                heading = _box_heading(child)
                found.extend([heading, child] if heading is not None else [child])
            else:
                stack.append(child)
    return found


def is_toolbar(text: str) -> bool:
    """A short block made only of control words ("打印 微博 微信", "【打印】【关闭】")."""
    if len(text) > TOOLBAR_CHARS:
        return False
    if len(text) <= QR_PROMPT_CHARS and _QR_PROMPT.search(text):
        return True
    words = [w for w in _CONTROL_SPLIT.split(text) if w]
    return bool(words) and all(w in _CONTROL_WORDS or w.lower() in _CONTROL_WORDS for w in words)


def without_furniture(blocks: list[Block]) -> list[Block]:
    """The blocks without toolbars, and without a copyright or disclaimer section at the page's end."""
    kept = [b for b in blocks if len(b.text) > TOOLBAR_CHARS or not is_toolbar(b.text)]  # block text is squashed
    start = max(len(kept) // 2, len(kept) - NOTICE_TAIL_BLOCKS)
    for i in range(start, len(kept)):
        if _NOTICE_START.match(kept[i].text):
            return kept[:i]
    return kept
