"""An Atom feed (RFC 4287) of alerts, for GRC tools that ingest RSS/Atom (ServiceNow's regulatory
change module, for example). Pure: the caller passes the alerts and the clock.

Each entry's id is the alert's idempotency key as a URN, stable however often the feed is rebuilt;
its content is the alert as the console shows it (the exact change, English line, key dates, why).
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from rulewatch.alerts.message import alert_message, headline, parse_stamp
from rulewatch.alerts.render import text_message
from rulewatch.core.model import Alert
from rulewatch.core.text import without_controls

if TYPE_CHECKING:  # the CLI imports this module for its defaults: no database layer at start
    from rulewatch.state import Store

ATOM = "http://www.w3.org/2005/Atom"
DEFAULT_FEED_ENTRIES = 50
FEED_ID = "urn:rulewatch:alerts"
FEED_TITLE = "rulewatch alerts"


def _stamp(iso: str, fallback: datetime) -> str:
    """An RFC 3339 timestamp (Atom's date-time) from a stored ISO stamp."""
    moment = parse_stamp(iso) or fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_id(alert: Alert) -> str:
    return "urn:rulewatch:alert:" + quote(alert.idempotency_key or str(alert.id), safe=":")


def atom_feed(alerts: Iterable[Alert], now: datetime, self_url: str = "") -> bytes:
    """The alerts (newest first, as given) as an Atom feed document, UTF-8."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = FEED_ID
    ET.SubElement(feed, f"{{{ATOM}}}title").text = FEED_TITLE
    entries = list(alerts)
    updated = max((_stamp(a.detected_at, now) for a in entries), default=_stamp("", now))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "rulewatch"
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "rulewatch"
    if self_url:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    for alert in entries:
        _add_entry(feed, alert, now)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _add_entry(feed: ET.Element, alert: Alert, now: datetime) -> None:
    """One alert as an entry. XML 1.0 holds no control characters: stored text has none, but a feed
    must parse whatever it is given, so every text goes through without_controls."""
    def child(parent: ET.Element, name: str, value: str = "", **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
        if value:
            element.text = without_controls(value)
        return element

    entry = child(feed, "entry")
    child(entry, "id", _entry_id(alert))
    title = headline(alert)
    child(entry, "title", f"[{alert.severity.upper()}] {title}" if alert.severity else title)
    child(entry, "updated", _stamp(alert.detected_at, now))
    if alert.published:
        child(entry, "published", f"{alert.published[:10]}T00:00:00Z")
    child(child(entry, "author"), "name", alert.publisher or alert.source or "rulewatch")
    if alert.url:
        child(entry, "link", rel="alternate", href=alert.url)
    for topic in alert.topics:
        child(entry, "category", term=topic)
    if alert.severity:
        child(entry, "category", term=f"severity:{alert.severity}")
    child(entry, "summary", alert.gloss_en.split("\n", 1)[0] if alert.gloss_en else title)
    child(entry, "content", text_message(alert_message(alert)), type="text")


def write_feed(path: Path, data: bytes) -> None:
    """Replace the feed file whole (a reader never sees half a feed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".feed-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def feed_alerts(store: Store, limit: int = DEFAULT_FEED_ENTRIES) -> list[Alert]:
    """The newest `limit` alerts about rules (not source health notices, not reminders), newest first."""
    found: list[Alert] = []
    batch = limit * 2
    while True:
        alerts = store.outbox.alerts(limit=batch)
        found = [a for a in alerts if not a.is_health and a.kind not in ("deadline_reminder", "triage_nudge")
                 and a.muted_by is None][:limit]
        if len(found) >= limit or len(alerts) < batch:
            return found
        batch *= 4
