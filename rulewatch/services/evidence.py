"""Evidence a reviewer can check: a folder that shows when the team learned of a rule and what it did.

`write_bundle` gathers, for an alert (or every alert of its rule): each alert as recorded, with the
deliveries each sink acknowledged (Slack's message ts, the time); the message as rulewatch renders it
from the stored alert; the change that raised it; the snapshots before and after exactly as stored
(canonical JSON, whose SHA-256 is the content hash the database recorded when the page was taken);
and the rule's triage decisions. `manifest.json` lists every file with its SHA-256; `verify_bundle`
recomputes them and names any file changed, missing or added since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rulewatch import __version__
from rulewatch.core.errors import UsageError
from rulewatch.core.model import Alert
from rulewatch.state import Store

MANIFEST = "manifest.json"
README = "README.txt"


class EvidenceError(UsageError):
    """A bundle that cannot be written as asked (names the alert or the folder)."""


@dataclass(frozen=True, slots=True)
class Bundle:
    folder: Path
    alert_ids: tuple[int, ...]
    files: dict[str, str]  # path inside the folder -> SHA-256
    digest: str  # SHA-256 of manifest.json: the one value to note down


@dataclass(frozen=True, slots=True)
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    digest: str = ""

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _alerts_of(store: Store, alert_id: int, whole_rule: bool) -> list[Alert]:
    found = store.outbox.by_id([alert_id])
    if not found:
        raise EvidenceError(f"there is no alert #{alert_id}")
    if not whole_rule:
        return found
    rule = store.rules.rule_of([alert_id]).get(alert_id)
    if rule is None:
        return found
    (record,) = store.rules.get([rule])
    return store.outbox.by_id(record.alert_ids())


def write_bundle(store: Store, alert_id: int, folder: Path, *, whole_rule: bool = True,
                 now: datetime | None = None) -> Bundle:
    """Write the evidence for alert `alert_id` (and, by default, every alert of its rule) into `folder`,
    which must not exist or be empty."""
    from rulewatch.alerts.render import render_console

    if folder.exists() and any(folder.iterdir()):
        raise EvidenceError(f"{folder}: not empty; evidence is written into a new folder, never over another")
    alerts = _alerts_of(store, alert_id, whole_rule)
    files: dict[str, bytes] = {}
    deliveries = store.outbox.deliveries_by_alert([a.outbox_id for a in alerts])
    rule_ids = set(store.rules.rule_of([a.outbox_id for a in alerts]).values())
    for alert in alerts:
        base = f"alerts/{alert.outbox_id}"
        files[f"{base}/alert.json"] = _json(alert.to_json([d.to_json() for d in deliveries[alert.outbox_id]]))
        files[f"{base}/message.txt"] = (render_console(alert, UTC) + "\n").encode("utf-8")
        if alert.change_id is None:
            continue
        change = store.snapshots.change_record(alert.change_id)
        if change is None:
            continue
        files[f"changes/{alert.change_id}.json"] = _json(
            {**{k: v for k, v in change.items() if k != "detail"}, "detail": json.loads(change["detail"])})
        for role in ("old", "new"):
            snapshot = store.snapshots.stored(int(change[f"{role}_snapshot_id"]))
            files[f"snapshots/{snapshot.id}.json"] = snapshot.canonical
            files[f"snapshots/{snapshot.id}.meta.json"] = _json({
                "id": snapshot.id, "source": snapshot.source, "taken_at": snapshot.taken_at,
                "content_sha256_recorded": snapshot.content_hash,
                "content_sha256_now": _sha256(snapshot.canonical)})
    events = [e.to_json() for e in store.triage.events() if e.rule_id in rule_ids]
    files["triage.json"] = _json(events)
    files[README] = (
        b"rulewatch evidence bundle\n\n"
        b"alerts/ID/alert.json    each alert as recorded, with every sink's delivery (channel, ts, when)\n"
        b"alerts/ID/message.txt   the alert as rulewatch renders it from the stored alert\n"
        b"changes/ID.json         the change that raised it (what changed, what was ignored as noise)\n"
        b"snapshots/ID.json       the page before and after, exactly as stored; its SHA-256 is the content\n"
        b"                        hash recorded when it was taken (snapshots/ID.meta.json shows both)\n"
        b"triage.json             the team's decisions about the rule, from the append-only audit trail\n"
        b"manifest.json           every file's SHA-256; `rulewatch evidence --verify DIR` checks them\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    digests = {name: _sha256(data) for name, data in sorted(files.items())}
    manifest = _json({"rulewatch": __version__, "created_at": (now or datetime.now(UTC)).isoformat(),
                      "alert": alert_id, "alerts": [a.outbox_id for a in alerts], "files": digests})
    (folder / MANIFEST).write_bytes(manifest)
    return Bundle(folder, tuple(a.outbox_id for a in alerts), digests, _sha256(manifest))


def verify_bundle(folder: Path) -> Verification:
    """Every file of the bundle in `folder` checked against its manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
        listed: dict[str, str] = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EvidenceError(f"{folder}: no readable {MANIFEST} ({exc})") from exc
    root = folder.resolve()
    outside = [name for name in listed if not (root / name).resolve().is_relative_to(root)]
    if outside:  # a manifest edited to point elsewhere is itself a change
        raise EvidenceError(f"{folder}: {MANIFEST} lists files outside the bundle: {', '.join(sorted(outside))}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    changed = sorted(name for name, digest in listed.items()
                     if name in present and _sha256((folder / name).read_bytes()) != digest)
    return Verification(changed, sorted(set(listed) - present), sorted(present - set(listed)),
                        _sha256((folder / MANIFEST).read_bytes()))
