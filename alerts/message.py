"""The neutral message: what an alert or a digest says, before any sink's markup. Pure.

Every sink renders a Message its own way (Slack Block Kit, console text, a JSON webhook's body), so
no sink un-escapes another's markup, and a new alert field reaches every sink by one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Alert
from core.text import strip_invisible

HEADLINES = {
    "new_item": "New",
    "removed_item": "Withdrawn",
    "changed_item": "Updated",
    "changed_text": "Amended",
    "title_changed": "Retitled",
    "source_failing": "Source failing",
    "source_recovered": "Source recovered",
}
ALERT_EVENT = "rulewatch_alert"
DIGEST_EVENT = "rulewatch_digest"


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text: scraped text stays data in every rendering; `url` makes it a link."""

    text: str
    url: str = ""
    strong: bool = False


Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled fact of the context line (source, topics, detected...). No label: the fact is a
    name shown in bold."""

    label: str
    value: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A titled block of lines. `marker` ("-" removed, "+" added) marks quoted page text."""

    label: str
    lines: tuple[Line, ...]
    marker: str = ""

    @property
    def plain(self) -> str:
        return "\n".join("".join(span.text for span in line) for line in self.lines)


@dataclass(frozen=True, slots=True)
class Message:
    """One alert or digest as every sink sees it."""

    headline: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...]
    event: str  # ALERT_EVENT or DIGEST_EVENT
    key: str  # the alert's idempotency key, or the digest's day: sinks that can, store it with the post
    summary: str = ""  # one line for notifications; the headline when empty
    attachment: str = ""  # the whole change as a diff, for sinks that can attach a file

    @property
    def notification(self) -> str:
        return self.summary or self.headline


def headline(alert: Alert) -> str:
    """What the alert is, and the document's title without invisible characters: an RTL override
    in a scraped title must not reorder what a headline (or a notification) shows."""
    return f"{HEADLINES.get(alert.kind, alert.kind.replace('_', ' ').capitalize())}: {strip_invisible(alert.title)}"


def diff_text(alert: Alert) -> str:
    lines = [f"--- {alert.source} (before)", f"+++ {alert.source} (after)"]
    lines += [f"-{line}" for line in alert.removed.splitlines()]
    lines += [f"+{line}" for line in alert.added.splitlines()]
    return "\n".join(lines) + "\n"


def _quoted(label: str, body: str, marker: str) -> Section:
    return Section(label, tuple((Span(line),) for line in body.splitlines()), marker)


def alert_message(alert: Alert) -> Message:
    """The message for one alert: headline, facts, and the removed and added text."""
    facts = [Fact("", alert.source)]
    if alert.topics:
        facts.append(Fact("topics", ", ".join(alert.topics)))
    if alert.matched_terms:
        facts.append(Fact("matched", ", ".join(alert.matched_terms[:8])))
    if alert.article:
        facts.append(Fact("article", alert.article))
    facts.append(Fact("detected", f"{alert.detected_at[:16].replace('T', ' ')} UTC"))
    if alert.url:
        facts.append(Fact("link", "open page", alert.url))
    # A health notice's text is its explanation, not page text that was added.
    sections = [_quoted("Removed", alert.removed, "-"), _quoted("Added", alert.added, "+")]
    if alert.is_health:
        sections = [Section("Details", tuple((Span(line),) for line in alert.added.splitlines()))]
    return Message(
        headline=headline(alert), facts=tuple(facts), sections=tuple(s for s in sections if s.plain.strip()),
        event=ALERT_EVENT, key=alert.idempotency_key, attachment=diff_text(alert),
    )
