"""rulewatch's state: sources, snapshots, changes, the alert outbox. The only package that writes it."""

from rulewatch.state.recorder import Recorder
from rulewatch.state.records import (
           EncodedDocument,
           Recorded,
           SinkDelivery,
           SourceState,
           encode_document,
           stored_document,
           utcnow,
)
from rulewatch.state.store import Store

__all__ = ["EncodedDocument", "Recorded", "Recorder", "SinkDelivery", "SourceState", "Store", "encode_document",
           "stored_document", "utcnow"]
