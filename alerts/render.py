"""Alert rendering as pure functions: Slack Block Kit (within Slack's limits) and plain console text.

Scraped text is data: it is escaped for mrkdwn (& < >), so a page can never ping a channel
(<!channel>, <@U123>) or inject a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from core.model import Alert

HEADER_MAX = 150  # Slack: header text
SECTION_MAX = 3000  # Slack: section text
MAX_BLOCKS = 50  # Slack: blocks per message
FALLBACK_MAX = 300  # the notification text; Slack allows more, phones show less
BODY_SHARE = 1300  # characters of removed/added text shown inline, each; the rest goes to a file
METADATA_EVENT = "rulewatch_alert"
HISTORY_KEY_FIELD = "key"  # metadata.event_payload field that carries the idempotency key

HEADLINES = {
    "new_item": "New",
    "removed_item": "Withdrawn",
    "changed_item": "Updated",
    "changed_text": "Amended",
    "title_changed": "Retitled",
    "source_failing": "Source failing",
    "source_recovered": "Source recovered",
}


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


def headline(alert: Alert) -> str:
    return f"{HEADLINES.get(alert.kind, alert.kind.replace('_', ' ').capitalize())}: {alert.title}"


def diff_text(alert: Alert) -> str:
    lines = [f"--- {alert.source} (before)", f"+++ {alert.source} (after)"]
    lines += [f"-{line}" for line in alert.removed.splitlines()]
    lines += [f"+{line}" for line in alert.added.splitlines()]
    return "\n".join(lines) + "\n"


def render_slack(alert: Alert) -> SlackMessage:
    """The Block Kit message for an alert. Pure: the same alert always renders the same message."""
    head = headline(alert)
    header_text = head if len(head) <= HEADER_MAX else head[: HEADER_MAX - 1] + "…"
    context = [f"*{escape_mrkdwn(alert.source)}*"]
    if alert.topics:
        context.append("topics: " + ", ".join(escape_mrkdwn(t) for t in alert.topics))
    if alert.matched_terms:
        context.append("matched: " + ", ".join(escape_mrkdwn(t) for t in alert.matched_terms[:8]))
    if alert.article:
        context.append("article: " + escape_mrkdwn(alert.article))
    context.append(f"detected {alert.detected_at[:16].replace('T', ' ')} UTC")
    if alert.url:
        context.append(link(alert.url, "open page"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text, "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)[:SECTION_MAX]}]},
    ]
    truncated = False
    for label, body in (("Removed", alert.removed), ("Added", alert.added)):
        if not body.strip():
            continue
        shown, cut = _clip(body, BODY_SHARE)
        truncated = truncated or bool(cut)
        quoted = "\n".join("> " + escape_mrkdwn(line) if line else ">" for line in shown.splitlines())
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{label}*\n{quoted}"[:SECTION_MAX]}})
    if truncated:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": "The full diff is attached in the thread."}]})
    fallback = head if len(head) <= FALLBACK_MAX else head[: FALLBACK_MAX - 1] + "…"
    return SlackMessage(
        text=escape_mrkdwn(fallback),
        blocks=blocks[:MAX_BLOCKS],
        metadata={"event_type": METADATA_EVENT, "event_payload": {HISTORY_KEY_FIELD: alert.idempotency_key}},
        full_diff=diff_text(alert),
        truncated=truncated,
    )


def render_console(alert: Alert) -> str:
    """A plain-text alert for a terminal."""
    lines = [f"=== {headline(alert)}", f"source: {alert.source}   detected: {alert.detected_at}"]
    if alert.topics:
        lines.append(f"topics: {', '.join(alert.topics)}   matched: {', '.join(alert.matched_terms[:8])}")
    if alert.article:
        lines.append(f"article: {alert.article}")
    if alert.url:
        lines.append(f"link: {alert.url}")
    for prefix, body in (("- ", alert.removed), ("+ ", alert.added)):
        lines += [prefix + line for line in body.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"


def render_console_message(message: SlackMessage) -> str:
    """A Block Kit message as plain text (the digest on a console)."""
    lines = []
    for block in message.blocks:
        text = (block.get("text") or {}).get("text", "")
        if text:
            lines.append(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return "\n".join(lines) + "\n"
