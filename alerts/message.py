"""The neutral message: what an alert or a digest says, before any sink's markup. Pure.

Every sink renders a Message its own way (Slack Block Kit, console text, a JSON webhook's body), so
no sink un-escapes another's markup, and a new alert field reaches every sink by one edit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from rulewatch.core.model import Alert, InlineRun, KeyDate
from rulewatch.core.text import strip_invisible

HEADLINES = {
    "new_item": "New",
    "removed_item": "Withdrawn",
    "changed_item": "Updated",
    "changed_text": "Amended",
    "title_changed": "Retitled",
    "source_failing": "Source failing",
    "source_recovered": "Source recovered",
    "deadline_reminder": "Reminder",
    "final_published": "Final version",
    "triage_nudge": "Not done yet",
}
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")  # only these become mentions: never page text
ALERT_EVENT = "rulewatch_alert"
DIGEST_EVENT = "rulewatch_digest"
CATALOG_EVENT = "rulewatch_catalog_check"  # the weekly report of sources that broke


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text: scraped text stays data in every rendering; `url` makes it a link."""

    text: str
    url: str = ""
    strong: bool = False
    struck: bool = False  # removed text, in a `styled` section

    def __post_init__(self) -> None:
        # What no reader sees never reaches a message: a right-to-left override inside quoted page text
        # would reorder what every sink shows (the changed sentence, not only the title).
        object.__setattr__(self, "text", strip_invisible(self.text))


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
    styled: bool = False  # the exact change: struck spans were removed, strong spans added, the rest kept

    @property
    def plain(self) -> str:
        return "\n".join("".join(span.text for span in line) for line in self.lines)


@dataclass(frozen=True, slots=True)
class Message:
    """One alert or digest as every sink sees it."""

    headline: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...]
    event: str  # ALERT_EVENT, DIGEST_EVENT or CATALOG_EVENT
    key: str  # the alert's idempotency key, or the digest's day: sinks that can, store it with the post
    summary: str = ""  # one line for notifications; the headline when empty
    attachment: str = ""  # the whole change as a diff, for sinks that can attach a file
    elided: bool = False  # the sections show part of the change: sinks that can should attach the whole
    mentions: tuple[str, ...] = ()  # Slack user ids to mention (a nudge's owner); sinks without users ignore them

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


LINK_LABEL_MAX = 80
MACHINE_TRANSLATION_LABEL = "Machine translation (not reviewed)"
EVIDENCE_MAX = 160
KEY_DATE_LABELS = {"effective": "Takes effect", "comment_deadline": "Comments due",
                   "compliance_deadline": "Comply by", "repeal": "Repeals"}
_UNDATED = {"effective": "on publication (day not stated)", "repeal": "when the rule takes effect",
            "comment_deadline": "date not stated", "compliance_deadline": "date not stated"}


def parse_stamp(stamp: str) -> datetime | None:
    """A stored ISO 8601 stamp ("2026-11-27T16:41:03.000000Z") as an aware datetime, or None."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def detected(stamp: str, tz: tzinfo | None) -> str:
    """An ISO UTC stamp as the team's clock reads it: 2026-11-29 22:05 CST."""
    moment = parse_stamp(stamp)
    if moment is None:
        return stamp
    local = moment.astimezone(tz or UTC)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def shortened(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_section(label: str, text: str) -> Section:
    return Section(label, tuple((Span(line),) for line in text.splitlines()))


def change_section(runs: tuple[InlineRun, ...]) -> Section:
    """The exact change: kept text plain, removed text struck, added text strong; one line per block."""
    lines: list[list[Span]] = [[]]
    for run in runs:
        for n, part in enumerate(run.text.split("\n")):
            if n:
                lines.append([])
            if part:
                lines[-1].append(Span(part, strong=run.op == "added", struck=run.op == "removed"))
    return Section("Change", tuple(tuple(line) for line in lines if line), styled=True)


def key_date_line(kd: KeyDate) -> Line:
    when = kd.date or _UNDATED[kd.role]
    where = f" · {kd.article}" if kd.article and not kd.evidence.startswith(kd.article) else ""
    evidence = shortened(kd.evidence, EVIDENCE_MAX)
    return (Span(f"{KEY_DATE_LABELS[kd.role]}: "), Span(when, strong=True), Span(f"{where} · {evidence}"))


def _elided(alert: Alert) -> bool:
    """Whether the styled runs leave part of the change out (the rest goes in the attachment)."""
    shown_new = "".join(r.text for r in alert.change_inline if r.op != "removed")
    shown_old = "".join(r.text for r in alert.change_inline if r.op != "added")
    return len(shown_new) < len(alert.added) or len(shown_old) < len(alert.removed)


_ID_LABELS = {"rin:": "RIN ", "docket:": "Docket ", "ref:": ""}


def readable_id(rule_id: str) -> str:
    """An alert's id as a reader writes it: "RIN 1670-AA04", "Docket CISA-2022-0010", "CVE-2026-1234"."""
    for prefix, label in _ID_LABELS.items():
        if rule_id.startswith(prefix):
            return label + rule_id[len(prefix):]
    return rule_id


def alert_message(alert: Alert, tz: tzinfo | None = None) -> Message:
    """The message for one alert: severity and headline; who published it, when, and a link; the exact
    change; what it means in English; its key dates; and why it matters this much. `tz`: the team's
    time zone (UTC when None)."""
    facts = [Fact("", alert.publisher or alert.source)]
    if alert.rule_ids:
        facts.append(Fact("ids", ", ".join(readable_id(i) for i in alert.rule_ids)))
    if alert.published:
        facts.append(Fact("published", alert.published))
    if alert.topics:
        facts.append(Fact("topics", ", ".join(alert.topics)))
    if alert.article:
        facts.append(Fact("article", alert.article))
    if alert.matched_terms:
        facts.append(Fact("matched", ", ".join(alert.matched_terms[:8])))
    facts.append(Fact("detected", detected(alert.detected_at, tz)))
    if alert.url:
        title = strip_invisible(alert.title) or "open page"
        facts.append(Fact("link", shortened(title, LINK_LABEL_MAX), alert.url))
    # A health notice's text is its explanation, not page text that was added.
    if alert.is_health or alert.kind == "triage_nudge":
        sections = [_text_section("Details", alert.added)]
    elif alert.change_inline and alert.kind == "changed_text":
        sections = [change_section(alert.change_inline)]
    elif alert.kind == "final_published":  # the draft's thread: what the final changed, article by article
        sections = [_text_section("Details", alert.added)]
        if alert.change_inline:
            sections.append(replace(change_section(alert.change_inline), label="Changed since the draft"))
    else:
        sections = [_quoted("Removed", alert.removed, "-"), _quoted("Added", alert.added, "+")]
    if alert.gloss_en:
        sections.append(_text_section("In English", alert.gloss_en))
    if alert.machine_translation:
        sections.append(_text_section(MACHINE_TRANSLATION_LABEL, alert.machine_translation))
    if alert.key_dates:
        sections.append(Section("Key dates", tuple(key_date_line(kd) for kd in alert.key_dates)))
    if alert.severity:
        sections.append(Section(f"Why {alert.severity}", tuple((Span(r),) for r in alert.severity_reasons)))
    title = headline(alert)
    return Message(
        headline=f"{alert.severity.upper()} · {title}" if alert.severity else title,
        facts=tuple(facts), sections=tuple(s for s in sections if s.plain.strip()),
        event=ALERT_EVENT, key=alert.idempotency_key, summary=title, attachment=diff_text(alert),
        mentions=tuple(user for user in alert.notify if SLACK_USER_ID.match(user)),
        elided=bool(alert.change_inline) and alert.kind == "changed_text" and _elided(alert),
    )
