"""The daily digest: per channel, the day's changes, the sources in error, and the recoveries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.deliver import Sink
from alerts.render import HEADLINES, SECTION_MAX, SlackMessage, escape_mrkdwn, link
from core.errors import DeliveryError
from core.model import Alert
from state import SourceState, Store

MAX_LINES = 40  # changes listed in full; the rest are counted


@dataclass(slots=True)
class Digest:
    day: str
    changes: list[Alert] = field(default_factory=list)
    failing: list[SourceState] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_MAX]}}


def render_digest(digest: Digest) -> SlackMessage:
    """Block Kit for one channel's digest. Pure."""
    lines = []
    for a in digest.changes[:MAX_LINES]:
        label = HEADLINES.get(a.kind, a.kind)
        topics = f" ({', '.join(a.topics)})" if a.topics else ""
        title = link(a.url, a.title[:120]) if a.url else escape_mrkdwn(a.title[:120])
        lines.append(f"• *{escape_mrkdwn(a.source)}* — {label}: {title}{topics}")
    if len(digest.changes) > MAX_LINES:
        lines.append(f"… and {len(digest.changes) - MAX_LINES} more (`rulewatch alerts`)")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"rulewatch digest {digest.day}"}},
        _section(f"*{len(digest.changes)} change(s)*\n" + ("\n".join(lines) if lines else "No relevant changes.")),
    ]
    if digest.failing:
        text = "\n".join(f"• *{escape_mrkdwn(s.name)}*: {s.consecutive_failures} failed check(s), "
                         f"{escape_mrkdwn(s.last_error[:200])}" for s in digest.failing)
        blocks.append(_section(f"*Sources in error*\n{text}"))
    if digest.recovered:
        names = ", ".join(escape_mrkdwn(n) for n in digest.recovered)
        blocks.append(_section(f"*Recovered*: {names}"))
    text = f"rulewatch digest {digest.day}: {len(digest.changes)} change(s), {len(digest.failing)} source(s) in error"
    return SlackMessage(text=text, blocks=blocks, metadata={"event_type": "rulewatch_digest",
                        "event_payload": {"day": digest.day}}, full_diff="", truncated=False)


def build_digests(store: Store, sink: Sink, now: datetime | None = None) -> dict[str, Digest]:
    """Digests per channel for the 24 hours before `now`."""
    now = now or datetime.now(UTC)
    day = now.strftime("%Y-%m-%d")
    since = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    digests: dict[str, Digest] = defaultdict(lambda: Digest(day))
    for alert in store.alerts_since(since):
        channel = sink.channel_for(alert)
        if alert.kind == "source_recovered":
            digests[channel].recovered.append(alert.source)
        elif alert.kind != "source_failing":
            digests[channel].changes.append(alert)
    digests[sink.default_channel]  # noqa: B018 - the default channel always gets one: "all quiet" is news too
    failing = [s for s in store.all_source_states() if s.consecutive_failures > 0]
    for d in digests.values():
        d.failing = failing
    return dict(digests)


def send_digests(store: Store, sink: Sink, now: datetime | None = None) -> dict[str, str]:
    """Post each channel's digest once per day. Returns channel -> outcome."""
    results = {}
    for channel, digest in build_digests(store, sink, now).items():
        if store.digest_posted(channel, digest.day):
            results[channel] = "already posted today"
            continue
        try:
            delivered = sink.post(channel, render_digest(digest))
        except DeliveryError as exc:
            results[channel] = f"not posted: {exc}"
            continue
        store.mark_digest(channel, digest.day, delivered.ts)
        results[channel] = "posted"
    return results
