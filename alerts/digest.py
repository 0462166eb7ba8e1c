"""The daily digest: per channel, the day's changes, the sources in error, and the recoveries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from rulewatch.alerts.calendar import DIGEST_HORIZON_DAYS, Deadline, deadlines, describe, upcoming
from rulewatch.alerts.deliver import Sink
from rulewatch.alerts.message import DIGEST_EVENT, HEADLINES, Line, Message, Section, Span
from rulewatch.alerts.nudges import OPEN_STATES
from rulewatch.core.errors import DeliveryError
from rulewatch.core.model import SEVERITY_ORDER, Alert
from rulewatch.state import SourceState, Store

MAX_LINES = 40  # changes listed in full; the rest are counted


@dataclass(slots=True)
class Digest:
    day: str
    changes: list[Alert] = field(default_factory=list)
    failing: list[SourceState] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)  # in the next DIGEST_HORIZON_DAYS
    owners: dict[str, list[OwnedRule]] = field(default_factory=dict)  # each owner's open rules
    muted: int = 0  # alerts recorded but not posted: a mute caught them


@dataclass(frozen=True, slots=True)
class OwnedRule:
    """An open rule in its owner's digest line."""

    name: str
    alert_id: int
    state: str
    url: str


def render_digest(digest: Digest) -> Message:
    """One channel's digest as a neutral Message, the most severe changes first. Pure."""
    lines: list[Line] = []
    # sorted() is stable: within a level, changes keep the order they were found in
    ordered = sorted(digest.changes, key=lambda a: SEVERITY_ORDER.get(a.severity, len(SEVERITY_ORDER)))
    for a in ordered[:MAX_LINES]:
        label = HEADLINES.get(a.kind, a.kind)
        topics = f" ({', '.join(a.topics)})" if a.topics else ""
        level = f"[{a.severity.upper()}] " if a.severity else ""
        english = a.gloss_en.split("\n", 1)[0]
        lines.append((Span(f"• {level}"), Span(a.publisher or a.source, strong=True), Span(f" — {label}: "),
                      Span(a.title[:120], url=a.url), Span(topics + (f" — {english[:160]}" if english else ""))))
    if len(digest.changes) > MAX_LINES:
        lines.append((Span(f"… and {len(digest.changes) - MAX_LINES} more (`rulewatch alerts`)"),))
    sections = [Section(f"{len(digest.changes)} change(s)", tuple(lines) or ((Span("No relevant changes."),),))]
    if digest.failing:
        sections.append(Section("Sources in error", tuple(
            (Span("• "), Span(s.name, strong=True),
             Span(f": {s.consecutive_failures} failed check(s), {s.last_error[:200]}"))
            for s in digest.failing)))
    if digest.deadlines:
        today = date.fromisoformat(digest.day)
        sections.append(Section(f"Deadlines in the next {DIGEST_HORIZON_DAYS} days", tuple(
            (Span("• "), Span(describe(d, today).split(": ", 1)[0] + ": ", strong=True),
             Span(d.title[:120], url=d.url), Span(f" — {d.publisher}"))
            for d in digest.deadlines[:MAX_LINES])))
    if digest.owners:
        sections.append(Section("Open rules by owner", tuple(_owner_line(owner, rules)
                                                            for owner, rules in sorted(digest.owners.items()))))
    if digest.recovered:
        sections.append(Section("Recovered", ((Span(", ".join(digest.recovered)),),)))
    if digest.muted:
        sections.append(Section("Muted", ((Span(f"{digest.muted} alert(s) caught by a mute, recorded and not "
                                                 "posted (`rulewatch mutes`, `rulewatch alerts`)"),),)))
    summary = (f"rulewatch digest {digest.day}: {len(digest.changes)} change(s), "
               f"{len(digest.failing)} source(s) in error")
    return Message(headline=f"rulewatch digest {digest.day}", facts=(), sections=tuple(sections),
                   event=DIGEST_EVENT, key=digest.day, summary=summary)


MAX_OWNED_SHOWN = 5  # rules named in one owner's line; the rest are counted


def _owner_line(owner: str, rules: list[OwnedRule]) -> Line:
    spans = [Span("• "), Span(owner, strong=True), Span(f": {len(rules)} open — ")]
    for n, rule in enumerate(rules[:MAX_OWNED_SHOWN]):
        spans += [Span(", " if n else ""), Span(rule.name[:80], url=rule.url),
                  Span(f" (#{rule.alert_id}, {rule.state})")]
    if len(rules) > MAX_OWNED_SHOWN:
        spans.append(Span(f", and {len(rules) - MAX_OWNED_SHOWN} more (`rulewatch triage list --owner`)"))
    return tuple(s for s in spans if s.text)


def _owners(store: Store, sink: Sink) -> dict[str, dict[str, list[OwnedRule]]]:
    """Each channel's owners and their open rules (a rule is in the channel of its latest alert)."""
    rows = [r for r in store.triage.rows() if r.owner and r.state in OPEN_STATES]
    latest = {a.outbox_id: a for a in store.outbox.by_id([r.alert_id for r in rows])}
    found: dict[str, dict[str, list[OwnedRule]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        alert = latest.get(r.alert_id)
        if alert is not None:
            found[sink.channel_for(alert)][r.owner].append(OwnedRule(r.name, r.alert_id, r.state, alert.url))
    return found


def build_digests(store: Store, sink: Sink, now: datetime | None = None) -> dict[str, Digest]:
    """Digests per channel for the 24 hours before `now`."""
    now = now or datetime.now(UTC)
    day = now.strftime("%Y-%m-%d")
    since = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    digests: dict[str, Digest] = defaultdict(lambda: Digest(day))
    for alert in store.outbox.since(since):
        channel = sink.channel_for(alert)
        if alert.muted_by is not None:
            digests[channel].muted += 1
        elif alert.kind == "source_recovered":
            digests[channel].recovered.append(alert.source)
        elif alert.kind not in ("source_failing", "triage_nudge"):
            digests[channel].changes.append(alert)
    digests[sink.default_channel]  # noqa: B018 - the default channel always gets one: "all quiet" is news too
    dated: dict[str, list[Alert]] = defaultdict(list)
    filed = store.rules.dated_alerts()
    for _, alert in filed:
        dated[sink.channel_for(alert)].append(alert)
    rule_of = {alert.id or 0: rule for rule, alert in filed}
    for channel, alerts in dated.items():
        coming = upcoming(deadlines(alerts, rule_of), now.date(), DIGEST_HORIZON_DAYS)
        if coming:
            digests[channel].deadlines = coming
    for channel, owners in _owners(store, sink).items():
        digests[channel].owners = {owner: list(rules) for owner, rules in owners.items()}
    failing = [s for s in store.sources.all() if s.consecutive_failures > 0]
    for d in digests.values():
        d.failing = failing
    return dict(digests)


def send_digests(store: Store, sinks: Sink | Sequence[Sink], now: datetime | None = None) -> dict[str, str]:
    """Post each sink's digest per channel once per day. Returns channel -> outcome."""
    results = {}
    for sink in [sinks] if not isinstance(sinks, Sequence) else sinks:
        try:
            results.update(_send_digests(store, sink, now))
        except DeliveryError as exc:  # its channels cannot be found: nothing of this sink's is posted
            results[sink.name] = f"not posted: {exc}"
    return results


def _send_digests(store: Store, sink: Sink, now: datetime | None) -> dict[str, str]:
    results = {}
    for channel, digest in build_digests(store, sink, now).items():
        if store.outbox.digest_posted(channel, digest.day):
            results[channel] = "already posted today"
            continue
        try:
            delivered = sink.post(channel, render_digest(digest))
        except DeliveryError as exc:
            results[channel] = f"not posted: {exc}"
            continue
        store.outbox.mark_digest(channel, digest.day, delivered.ts)
        results[channel] = "posted"
    return results
