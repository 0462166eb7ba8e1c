"""rulewatch's state: sources, snapshots, changes, the alert outbox. The only package that writes it."""

from state.store import AlertRecord, Recorded, SourceState, Store, utcnow

__all__ = ["AlertRecord", "Recorded", "SourceState", "Store", "utcnow"]
