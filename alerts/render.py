"""Renderings of a neutral Message (alerts.message), as pure functions: Slack Block Kit (within Slack's
limits) and plain console text. Sinks call these; nothing here posts.

Scraped text is data: it is escaped for mrkdwn (& < >), so a page can never ping a channel
(<!channel>, <@U123>) or inject a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from urllib.parse import quote

from rulewatch.alerts.message import Fact, Line, Message, Section, Span, alert_message, diff_text, headline, shortened
from rulewatch.core.model import Alert

HEADER_MAX = 150  # Slack: header text
SECTION_MAX = 3000  # Slack: section text
MAX_BLOCKS = 50  # Slack: blocks per message
FALLBACK_MAX = 300  # the notification text; Slack allows more, phones show less
BODY_SHARE = 1300  # characters of removed/added text shown inline, each; the rest goes to a file
RICH_TEXT_MAX = 3000  # characters of one rich_text block we send (Slack states no lower bound; sections take 3000)
HISTORY_KEY_FIELD = "key"  # metadata.event_payload field that carries the idempotency key

__all__ = [
    "BODY_SHARE", "HEADER_MAX", "SECTION_MAX", "SlackMessage", "diff_text", "escape_mrkdwn", "headline", "link",
    "render_console", "render_slack", "slack_message", "text_message",
]


@dataclass(frozen=True, slots=True)
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any]
    full_diff: str  # the whole change as a unified-style diff, for a thread file when truncated
    truncated: bool


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack gives meaning to, so scraped text stays inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    safe_url = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return f"<{safe_url}|{escape_mrkdwn(label).replace('|', '¦')}>"


def _clip(text: str, limit: int) -> tuple[str, int]:
    """Text cut to `limit` characters with a note of how much was left out; and that count."""
    if len(text) <= limit:
        return text, 0
    rest = len(text) - limit
    return text[:limit].rstrip() + f"\n… {rest} more characters", rest


def _mrkdwn_fact(fact: Fact) -> str:
    if fact.url:
        return link(fact.url, fact.value)
    if not fact.label:
        return f"*{escape_mrkdwn(fact.value)}*"
    return f"{fact.label}: {escape_mrkdwn(fact.value)}"


def _mrkdwn_line(line: Line) -> str:
    return "".join(link(s.url, s.text) if s.url else f"*{escape_mrkdwn(s.text)}*" if s.strong
                   else escape_mrkdwn(s.text) for s in line)


def _slack_section(section: Section) -> tuple[str, bool]:
    """A section's mrkdwn, and whether page text was cut to fit."""
    if not section.marker:
        body = "\n".join(_mrkdwn_line(line) for line in section.lines)
        return f"*{escape_mrkdwn(section.label)}*\n{body}"[:SECTION_MAX], False
    shown, cut = _clip(section.plain, BODY_SHARE)
    quoted = "\n".join("> " + escape_mrkdwn(line) if line else ">" for line in shown.splitlines())
    return f"*{section.label}*\n{quoted}"[:SECTION_MAX], bool(cut)


def _verbatim(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack shows as written: no bare URL turned into a link, no @channel,
    @here or #channel in scraped text turned into a mention (only our own <url|label> links are)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _rich_text(section: Section) -> tuple[dict[str, Any], bool]:
    """A styled section as a rich_text block: mrkdwn's ~strike~ and *bold* do not render next to CJK
    characters, styled runs do. Text elements are plain text: scraped text cannot mention or link."""
    elements: list[dict[str, Any]] = []
    budget = RICH_TEXT_MAX
    cut = False
    for n, line in enumerate(section.lines):
        for span in ((Span("\n"),) if n else ()) + line:
            if budget <= 0:
                cut = True
                break
            text = span.text[:budget]
            budget -= len(text)
            element: dict[str, Any] = {"type": "text", "text": text}
            if span.struck or span.strong:
                element["style"] = {"strike": True} if span.struck else {"bold": True}
            elements.append(element)
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}, cut


def slack_message(message: Message, controls: Sequence[dict[str, Any]] = ()) -> SlackMessage:
    """The Block Kit message for a Message. Pure: the same message always renders the same blocks."""
    head = message.headline
    header_text = shortened(head, HEADER_MAX)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text, "emoji": False}}]
    if message.facts:
        context = " · ".join(_mrkdwn_fact(f) for f in message.facts)[:SECTION_MAX]
        blocks.append({"type": "context", "elements": [_verbatim(context)]})
    truncated = False
    for section in message.sections:
        if section.styled:
            block, cut = _rich_text(section)
            truncated = truncated or cut or message.elided
            blocks.append(block)
            continue
        text, cut = _slack_section(section)
        truncated = truncated or cut
        blocks.append({"type": "section", "text": _verbatim(text)})
    if message.mentions:  # ids checked by the Message (SLACK_USER_ID): nothing scraped becomes a ping
        blocks.append({"type": "context", "elements": [_verbatim(" ".join(f"<@{u}>" for u in message.mentions))]})
    if truncated:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": "The full diff is attached in the thread."}]})
    fallback = message.notification
    fallback = shortened(fallback, FALLBACK_MAX)
    return SlackMessage(
        text=escape_mrkdwn(fallback),
        blocks=blocks[:MAX_BLOCKS - len(controls)] + list(controls),  # controls last, never cut
        metadata={"event_type": message.event, "event_payload": {HISTORY_KEY_FIELD: message.key}},
        full_diff=message.attachment,
        truncated=truncated,
    )


def render_slack(alert: Alert, tz: tzinfo | None = None, controls: Sequence[dict[str, Any]] = ()) -> SlackMessage:
    """The Block Kit message for an alert, ending with `controls` (triage's, alerts.triage_blocks)."""
    return slack_message(alert_message(alert, tz), controls)


# The exact change in plain text: wdiff's markers, or colour (red struck, green bold) on a terminal.
PLAIN_MARKS = (("[-", "-]"), ("{+", "+}"))
COLOUR_MARKS = (("\x1b[9;31m", "\x1b[0m"), ("\x1b[1;32m", "\x1b[0m"))


def _styled_line(line: Line, colour: bool) -> str:
    (rem_open, rem_close), (add_open, add_close) = COLOUR_MARKS if colour else PLAIN_MARKS
    return "".join(f"{rem_open}{s.text}{rem_close}" if s.struck else f"{add_open}{s.text}{add_close}" if s.strong
                   else s.text for s in line)


def text_message(message: Message, colour: bool = False) -> str:
    """A Message as plain text: for a terminal (`colour` on a TTY), a log, or a chat webhook."""
    lines = [f"=== {message.headline}"]
    for fact in message.facts:
        value = f"{fact.value} <{fact.url}>" if fact.url else fact.value
        lines.append(f"{fact.label or 'from'}: {value}")
    for section in message.sections:
        if section.styled:
            lines.append(f"{section.label}:")
            lines += ["  " + _styled_line(line, colour) for line in section.lines]
            continue
        if section.marker:
            lines += [f"{section.marker} {text}" for text in section.plain.splitlines() if text.strip()]
            continue
        lines.append(f"{section.label}:")
        for line in section.lines:
            lines.append("".join(f"{s.text} <{s.url}>" if s.url else s.text for s in line))
    return "\n".join(lines) + "\n"


def render_console(alert: Alert, tz: tzinfo | None = None, colour: bool = False) -> str:
    """A plain-text alert for a terminal."""
    return text_message(alert_message(alert, tz), colour)
