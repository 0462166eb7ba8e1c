"""Recognise anti-bot challenge and error pages that servers return with a 200 status."""

from __future__ import annotations

import re

# Markers that only challenge walls carry (PBOC's wzws, Cloudflare, Jiasule, Akamai-style interstitials),
# lower case: the page's head is lowered once and searched for each (substring tests, not a regex scan).
_STRONG = ("wzwschallenge", "wzwsquestion", "wzwsmethod", "__jsl_clearance", "cf_chl_", "cf-browser-verification",
           "challenge-platform", "_incapsula_resource", "ak_bmsc_challenge")
# Markers that suggest a challenge when the page carries almost no readable text; the regex runs only
# on pages that carry one of the hints.
_WEAK_HINTS = ("document.cookie", "location.", "javascript", "checking your browser", "just a moment", "访问验证",
               "安全验证", "人机验证")
_WEAK = re.compile(
    r"document\.cookie\s*=|location\.(?:reload|replace|href\s*=)|enable javascript|"
    r"checking your browser|just a moment|请开启\s*javascript|请启用\s*javascript|访问验证|安全验证|人机验证",
    re.IGNORECASE,
)
_ERROR_TITLE = re.compile(
    r"^\s*(?:40[0-9]|50[0-9])\b|page not found|not found|service unavailable|bad gateway|"
    r"internal server error|页面不存在|找不到页面|页面未找到|服务器错误|系统繁忙|访问出错",
    re.IGNORECASE,
)
SHORT_TEXT = 300  # characters of visible text below which a page is suspect
# A stub that says the site is down for maintenance right now ("系统维护中"), not a notice announcing
# maintenance for a later date ("将于…进行系统维护"): only "in progress" phrasings.
_MAINTENANCE = re.compile(
    r"系统维护中|网站维护中|正在(?:进行)?(?:系统)?维护|维护升级中|升级维护中|系统升级中|网站升级中|"
    r"under maintenance|down for maintenance|scheduled maintenance|maintenance mode|temporarily unavailable",
    re.IGNORECASE,
)
MAINTENANCE_TEXT = 600  # characters of visible text up to which a maintenance phrase makes a stub


CHALLENGE_HEAD = 20000  # characters of markup searched for challenge markers


def challenge_signal(raw: str) -> str:
    """"strong" when the markup carries a challenge wall's own marker, "weak" when it carries a hint of
    one (a challenge only if the page has almost no readable text), else ""."""
    head = raw[:CHALLENGE_HEAD].lower()
    if any(marker in head for marker in _STRONG):
        return "strong"
    if any(hint in head for hint in _WEAK_HINTS) and _WEAK.search(head):
        return "weak"
    return ""


def looks_like_challenge(raw: str, visible_text: str) -> bool:
    """True when the markup is a JS/cookie challenge rather than content."""
    signal = challenge_signal(raw)
    return signal == "strong" or (signal == "weak" and len(visible_text) < SHORT_TEXT)


def looks_like_error_page(title: str, visible_text: str) -> bool:
    """True for a short page whose title is an HTTP error served with status 200."""
    return len(visible_text) < SHORT_TEXT * 2 and bool(_ERROR_TITLE.search(title or ""))


def looks_like_maintenance(title: str, visible_text: str) -> bool:
    """True for a maintenance stub: a maintenance phrase in the title, or in a short page's text. A
    page of any size may be replaced by one, so this never depends on the last good page's size."""
    if _MAINTENANCE.search(title or ""):
        return True
    return len(visible_text) <= MAINTENANCE_TEXT and bool(_MAINTENANCE.search(visible_text))
