"""rulewatch's one model, shared by every stage and importing none of them.

    scrapers ──► Document ──► detection ──► Change, Verdict, Finding ──► state ──► Alert ──► alerts

- Document (Block, Item): what a page says, without the page's furniture. It serialises to a canonical
  JSON form; that form is what state/ stores and hashes, so two fetches that say the same thing
  produce the same bytes.
- Change (TextChange, ItemChange, Ignored): what differs between two Documents of one source.
- Verdict: what a Change means, with the findings it raises.
- HostPolicy: how politely one host is treated (scrapers enforce it; state shares it across processes).
- Finding: what detection (or lineage, or the calendar) found: frozen, without identity.
- Alert: a Finding in the outbox, with the envelope state/ gives it (id, source, change, time) and its
  delivery summary; each sink's delivery is state's own record. Its storage and JSON follow from its
  fields (see ALERT_JSON_HIDDEN).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from operator import attrgetter
from typing import Any, Literal, TypeVar

DocumentKind = Literal["page", "list", "pdf"]
_Frozen = TypeVar("_Frozen", bound=type)


def pickled_by_fields(cls: _Frozen) -> _Frozen:
    """Pickle a frozen, slotted dataclass as its constructor's arguments. The pickling dataclasses
    gives such a class calls fields() for every object, which made a page's blocks cost four times as
    much to send to an analysis worker and back (rulewatch.workers)."""
    names = [f.name for f in fields(cls)]
    if len(names) < 2:  # attrgetter of one name returns the value itself, not a tuple
        raise TypeError(f"{cls.__name__}: pickled_by_fields needs two fields or more")
    values = attrgetter(*names)

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like unit of text, with a stable key (an article number such as 第八条 or § 3) if any."""

    text: str
    key: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list page, JSON API or feed: a rule, notice or article."""

    id: str
    title: str
    url: str = ""
    date: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    detail: str = ""  # opening of the followed detail page, when it was fetched

    def field_map(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(slots=True)
class Document:
    """What one source says right now."""

    kind: DocumentKind
    url: str
    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All block text, one block per line."""
        return "\n".join(b.text for b in self.blocks)

    def size(self) -> int:
        """A measure of how much content the document carries (for collapse detection)."""
        return sum(len(b.text) for b in self.blocks) + sum(len(i.title) + 20 for i in self.items)

    def to_canonical(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "blocks": [[b.key, b.text] for b in self.blocks],
            "items": [
                {
                    "id": i.id,
                    "title": i.title,
                    "url": i.url,
                    "date": i.date,
                    "fields": [list(f) for f in i.fields],
                    "detail": i.detail,
                }
                for i in self.items
            ],
            "metadata": dict(sorted(self.metadata.items())),
        }

    def canonical_bytes(self) -> bytes:
        return json.dumps(self.to_canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> Document:
        return cls(
            kind=data["kind"],
            url=data["url"],
            title=data.get("title", ""),
            blocks=[Block(text=t, key=k) for k, t in data.get("blocks", [])],
            items=[
                Item(
                    id=i["id"],
                    title=i.get("title", ""),
                    url=i.get("url", ""),
                    date=i.get("date", ""),
                    fields=tuple((str(k), str(v)) for k, v in i.get("fields", [])),
                    detail=i.get("detail", ""),
                )
                for i in data.get("items", [])
            ],
            metadata=dict(data.get("metadata", {})),
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Document:
        return cls.from_canonical(json.loads(raw))


# The revision of how extraction reads pages, stored in each extracted Document's metadata ("reader").
# Raise it whenever a release reads some pages differently (another list found, a block kept or
# dropped): comparison then takes the first check after the upgrade as the new baseline instead of
# reporting the reader's change as the page's (detection.compare.reread).
READER_REVISION = "4"  # 4: links keep a cache-buster-named parameter whose value names the document
# A list's metadata key saying it is a window of recent entries (a feed): an entry that leaves it was
# not withdrawn, so comparison reports no removal (detection.compare).
WINDOW = "window"


# ---- politeness ----------------------------------------------------------------------------------

DEFAULT_HOST_CONCURRENCY = 2
DEFAULT_HOST_DELAY = 0.5  # seconds between the starts of two requests to one host


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """At most `concurrency` requests in flight to one host, and `delay` seconds between their starts."""

    concurrency: int = DEFAULT_HOST_CONCURRENCY
    delay: float = DEFAULT_HOST_DELAY

    def stricter(self, other: HostPolicy) -> HostPolicy:
        return HostPolicy(min(self.concurrency, other.concurrency), max(self.delay, other.delay))


# ---- what changed --------------------------------------------------------------------------------

TextChangeKind = Literal["added", "removed", "changed"]
ItemChangeKind = Literal["added", "removed", "changed", "moved_off"]
RunOp = Literal["same", "removed", "added"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class InlineRun:
    """A run of one changed sentence as a reader sees it: kept, struck through (removed) or new (added)."""

    text: str
    op: RunOp = "same"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class TextChange:
    """A block of text added, removed or changed; fragments are the inline differences."""

    kind: TextChangeKind
    key: str = ""  # article number, when the block has one
    old: str = ""
    new: str = ""
    removed_fragments: tuple[str, ...] = ()
    added_fragments: tuple[str, ...] = ()
    inline: tuple[InlineRun, ...] = ()  # old and new as one run list (a changed block only)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ItemChange:
    """A list item that appeared, disappeared, changed, or was pushed off the end of the list."""

    kind: ItemChangeKind
    item: Item  # the new version (the old one for removed/moved_off)
    old: Item | None = None
    fields: tuple[tuple[str, str, str], ...] = ()  # (field, old value, new value)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Ignored:
    """Something that differed but was set aside as noise, and why."""

    what: str
    why: str


@dataclass(slots=True)
class Change:
    """Everything that differs between two Documents of one source."""

    title: tuple[str, str] | None = None
    text: list[TextChange] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    observed: list[str] = field(default_factory=list)  # shapes of blocks that changed in place

    @property
    def substantive(self) -> bool:
        return bool(self.title or self.text or any(c.kind != "moved_off" for c in self.items))

    @property
    def empty(self) -> bool:
        return not (self.substantive or self.items or self.ignored)

    def summary(self) -> str:
        parts = []
        if self.title:
            parts.append("title changed")
        counts: dict[str, int] = {}
        for t in self.text:
            counts[f"text {t.kind}"] = counts.get(f"text {t.kind}", 0) + 1
        for i in self.items:
            counts[f"items {i.kind}"] = counts.get(f"items {i.kind}", 0) + 1
        parts += [f"{n} {k}" for k, n in counts.items()]
        if self.ignored:
            parts.append(f"{len(self.ignored)} ignored as noise")
        return ", ".join(parts) or "no change"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": list(self.title) if self.title else None,
            "text": [
                {"kind": t.kind, "key": t.key, "old": t.old, "new": t.new,
                 "removed": list(t.removed_fragments), "added": list(t.added_fragments)}
                for t in self.text
            ],
            "items": [
                {"kind": c.kind, "id": c.item.id, "title": c.item.title, "url": c.item.url, "date": c.item.date,
                 "old_title": c.old.title if c.old else None, "fields": [list(f) for f in c.fields]}
                for c in self.items
            ],
            "ignored": [{"what": i.what, "why": i.why} for i in self.ignored],
        }


# ---- what it means -------------------------------------------------------------------------------

KeyDateRole = Literal["effective", "comment_deadline", "compliance_deadline", "repeal"]
KEY_DATE_ROLES: tuple[KeyDateRole, ...] = ("effective", "comment_deadline", "compliance_deadline", "repeal")
SeverityLevel = Literal["high", "medium", "low"]
SEVERITY_ORDER: dict[str, int] = {"high": 0, "medium": 1, "low": 2, "": 3}  # most severe first; "": unrated


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class KeyDate:
    """A date a rule sets: when it takes effect, when comments close, when an obligation must be met,
    or a repeal (whose date is the day it takes effect, "" when the text names none)."""

    role: KeyDateRole
    date: str  # ISO 8601 day; "" when the text ties it to an unknown day (发布之日, before publication)
    evidence: str  # the sentence it came from, as the page says it
    article: str = ""  # the article the sentence belongs to (第十二条, § 3), when known

# What an alert's finding is in the life of the rule it is about (detection.lineage.rule_role decides):
# a version (draft for comment, final, published, withdrawn) or a change to one (amended, retitled,
# updated). A rule is an aggregate over its alerts (state.rules): its identity, versions and key dates.
RuleRole = Literal["draft", "final", "published", "amended", "retitled", "updated", "withdrawn"]
RULE_ROLES: tuple[RuleRole, ...] = ("draft", "final", "published", "amended", "retitled", "updated", "withdrawn")

AlertKind = Literal[
    "new_item", "removed_item", "changed_item", "changed_text", "title_changed", "source_failing", "source_recovered",
    "deadline_reminder", "final_published", "triage_nudge",
]
HEALTH_KINDS = frozenset({"source_failing", "source_recovered"})


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Finding:
    """What detection found, self-explaining, with only substantive text: made by detection (judge,
    health), by lineage (a final matched to its draft) and by the calendar (a reminder). It has no
    identity yet; the recorder puts it in the outbox, where it becomes an Alert.

    Adding a field here adds it to storage (state/schema.py builds the alerts table's columns from
    Alert's fields, these included), to `rulewatch alerts --json` and to every sink's Message; an older
    database gains the column on upgrade. Tuples are stored as JSON lists.
    """

    kind: AlertKind
    title: str
    url: str
    topics: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()
    added: str = ""
    removed: str = ""
    article: str = ""
    subject: str = ""  # what the alert is about (item id or page url): later alerts thread under it
    rule_ids: tuple[str, ...] = ()  # a list item's rulemaking ids (rin:1670-AA04, docket:…): its draft shares them
    # The rule the finding is about (detection.lineage.rule_key: rin:…, docket:…, name:…; "" when it is
    # about none) and its role in that rule's life (a RuleRole, ""): the recorder files it under the rule.
    rule_key: str = ""
    rule_role: str = ""
    # ---- the explanation (detection.explain): the exact change, its dates, English, and weight
    change_inline: tuple[InlineRun, ...] = ()
    key_dates: tuple[KeyDate, ...] = ()
    gloss_en: str = ""
    severity: str = ""  # a SeverityLevel; "" for health notices
    severity_reasons: tuple[str, ...] = ()
    publisher: str = ""
    published: str = ""  # ISO 8601 day the rule or item was published, when known
    machine_translation: str = ""  # the optional translation hook's English (alerts.translate), labelled so
    notify: tuple[str, ...] = ()  # Slack user ids the message mentions (a nudge's owner); never scraped text

    @property
    def is_health(self) -> bool:
        """A notice about the source itself (failing, recovered), not about a rule."""
        return self.kind in HEALTH_KINDS


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Alert(Finding):
    """A finding in the outbox: the finding's fields, with the envelope state/ gives it when it enters
    (its id, idempotency key, source, change, channel, time) and the delivery's summary (when every
    sink had it, attempts, the last error). Each sink's own delivery is a row of state's deliveries
    (Outbox.deliveries_by_alert), not a field here.
    """

    # ---- set by state/ when the finding enters the outbox
    id: int | None = None
    idempotency_key: str = ""
    source: str = ""
    change_id: int | None = None
    channel: str = ""  # the source's own channel, if it names one
    detected_at: str = ""
    # ---- set by delivery
    delivered_at: str | None = None  # when every sink had it (each sink's delivery: state's deliveries)
    attempts: int = 0
    last_error: str = ""
    # ---- set by state/ when a mute the team set catches it (core.mute): recorded, never posted
    muted_by: int | None = None

    @classmethod
    def entered(cls, finding: Finding, **envelope: Any) -> Alert:
        """The outbox entry carrying a finding (an Alert passed here keeps only its finding's fields)."""
        values = {name: getattr(finding, name) for name in FINDING_FIELDS}
        return cls(**values, **envelope)

    @property
    def outbox_id(self) -> int:
        """The id of an alert read from the outbox (a draft has none yet)."""
        if self.id is None:
            raise ValueError(f"alert {self.idempotency_key or self.title!r} is a draft: it has no outbox id")
        return self.id

    def to_json(self, deliveries: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """The alert as `rulewatch alerts --json` prints it: every field but the bookkeeping ones, with
        its deliveries (one per sink that took it: sink, channel, ts, delivered_at; the first one's
        channel is the alert's `channel`)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ALERT_JSON_HIDDEN:
                continue
            out[f.name] = plain(getattr(self, f.name))
        delivered = [d for d in deliveries if d.get("delivered_at")]
        out["channel"] = (delivered[0]["channel"] if delivered else "") or self.channel or None
        out["channel_name"] = (delivered[0].get("channel_name") if delivered else "") or None
        out["deliveries"] = [dict(d) for d in deliveries]
        out["last_error"] = self.last_error or None
        out["severity"] = {"level": self.severity, "reasons": list(self.severity_reasons)} if self.severity else None
        return out


FINDING_FIELDS = tuple(f.name for f in fields(Finding))

# Fields of Alert that `alerts --json` leaves out: internal keys and delivery details it summarises.
ALERT_JSON_HIDDEN = frozenset({"idempotency_key", "subject", "change_id", "severity_reasons"})


def plain(value: Any) -> Any:
    """A field's value as JSON data: tuples become lists, and model records (InlineRun, KeyDate) dicts."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float)) or value is None:  # most values: no dataclass lookup
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


@dataclass(slots=True)
class Verdict:
    """What a Change means: substantive or not, relevant or not, and the findings it raises."""

    substantive: bool
    relevant: bool
    topics: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
