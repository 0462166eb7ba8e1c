"""Renderings of a neutral Message (alerts.message), as pure functions: Slack Block Kit (within Slack's
limits) and plain console text. Sinks call these; nothing here posts.

Scraped text is data: it is escaped for mrkdwn (& < >), so a page can never ping a channel
(<!channel>, <@U123>) or inject a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from alerts.message import Fact, Line, Message, Section, alert_message, diff_text, headline
from core.model import Alert

HEADER_MAX = 150  # Slack: header text
SECTION_MAX = 3000  # Slack: section text
MAX_BLOCKS = 50  # Slack: blocks per message
FALLBACK_MAX = 300  # the notification text; Slack allows more, phones show less
BODY_SHARE = 1300  # characters of removed/added text shown inline, each; the rest goes to a file
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


def slack_message(message: Message) -> SlackMessage:
    """The Block Kit message for a Message. Pure: the same message always renders the same blocks."""
    head = message.headline
    header_text = head if len(head) <= HEADER_MAX else head[: HEADER_MAX - 1] + "…"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text, "emoji": False}}]
    if message.facts:
        context = " · ".join(_mrkdwn_fact(f) for f in message.facts)[:SECTION_MAX]
        blocks.append({"type": "context", "elements": [_verbatim(context)]})
    truncated = False
    for section in message.sections:
        text, cut = _slack_section(section)
        truncated = truncated or cut
        blocks.append({"type": "section", "text": _verbatim(text)})
    if truncated:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": "The full diff is attached in the thread."}]})
    fallback = message.notification
    fallback = fallback if len(fallback) <= FALLBACK_MAX else fallback[: FALLBACK_MAX - 1] + "…"
    return SlackMessage(
        text=escape_mrkdwn(fallback),
        blocks=blocks[:MAX_BLOCKS],
        metadata={"event_type": message.event, "event_payload": {HISTORY_KEY_FIELD: message.key}},
        full_diff=message.attachment,
        truncated=truncated,
    )


def render_slack(alert: Alert) -> SlackMessage:
    """The Block Kit message for an alert."""
    return slack_message(alert_message(alert))


def text_message(message: Message) -> str:
    """A Message as plain text: for a terminal, a log, or a chat webhook that takes text."""
    lines = [f"=== {message.headline}"]
    for fact in message.facts:
        value = fact.url if fact.url else fact.value
        lines.append(f"{fact.label or 'source'}: {value}")
    for section in message.sections:
        if section.marker:
            lines += [f"{section.marker} {text}" for text in section.plain.splitlines() if text.strip()]
            continue
        lines.append(f"{section.label}:")
        for line in section.lines:
            lines.append("".join(f"{s.text} <{s.url}>" if s.url else s.text for s in line))
    return "\n".join(lines) + "\n"


def render_console(alert: Alert) -> str:
    """A plain-text alert for a terminal."""
    return text_message(alert_message(alert))
