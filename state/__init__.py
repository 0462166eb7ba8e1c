"""rulewatch's state: sources, snapshots, changes, the alert outbox. The only package that writes it."""

from state.recorder import Recorder
from state.records import Recorded, SourceState, utcnow
from state.store import Store

__all__ = ["Recorded", "Recorder", "SourceState", "Store", "utcnow"]
