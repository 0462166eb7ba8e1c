"""Putting chosen alerts into a store's outbox as a cycle records them (a baseline, then a change)."""

from __future__ import annotations

from dataclasses import replace

from rulewatch.core.model import Alert, Block, Change, Document, TextChange, Verdict
from rulewatch.detection.rules import filed
from rulewatch.state import Store


def record_alerts(store: Store, alerts: list[Alert]) -> None:
    """Each alert recorded for its own source (its `source`, else src0, src1, ...), with a snapshot
    and a substantive change, as the runner records a judged change (filed under its rule as judge()
    files what it finds)."""
    for n, alert in enumerate(alerts):
        name = alert.source or f"src{n}"
        first = Document(kind="page", url=alert.url or "u", blocks=[Block("a")])
        store.record_success(name=name, url=first.url, document=first, etag="", last_modified="", change=None,
                             verdict=None)
        second = Document(kind="page", url=first.url, blocks=[Block(f"b{n}")])
        store.record_success(name=name, url=first.url, document=second, etag="", last_modified="",
                             change=Change(text=[TextChange("added", "", new=f"b{n}")]),
                             verdict=Verdict(True, True, findings=[filed(replace(alert, id=None, source=name))]))
