"""Evidence bundles (rulewatch.services.evidence): what a reviewer needs, each snapshot byte for byte as
stored (its SHA-256 the content hash recorded when it was taken), and a manifest that names any file
changed, missing or added since. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from outbox import record_alerts

from rulewatch.cli import main
from rulewatch.core.model import Alert
from rulewatch.services.evidence import EvidenceError, verify_bundle, write_bundle
from rulewatch.services.triage import Asked, decide
from rulewatch.state import Store

RULE = "银行保险机构数据安全管理办法"


@pytest.fixture
def decided(store: Store) -> tuple[Store, int, int]:
    """A rule with two alerts (published, then amended), a delivery to Slack, and a decision."""
    record_alerts(store, [Alert(kind="new_item", title=RULE, url="http://nfra/1", subject="i1", source="nfra")])
    first = store.outbox.alerts(limit=1)[0].outbox_id
    store.outbox.claim(first, 60, "slack")
    store.outbox.mark_delivered(first, sink="slack", channel="C-REG", ts="1700000000.000100")
    record_alerts(store, [Alert(kind="changed_item", title=RULE, url="http://nfra/1", subject="i1", source="nfra",
                                added="第八条 两小时内报告", removed="第八条 二十四小时内报告")])
    second = store.outbox.alerts(limit=1)[0].outbox_id
    decide(store, Asked(second, "applicable", "Li Wei"), date(2026, 12, 7))
    return store, first, second


def test_a_bundle_holds_the_rule_its_deliveries_snapshots_and_decisions(decided: tuple[Store, int, int],
                                                                       tmp_path: Path) -> None:
    store, first, second = decided
    bundle = write_bundle(store, second, tmp_path / "ev")
    assert bundle.alert_ids == (first, second)  # every alert of the rule
    shown = json.loads((tmp_path / "ev" / f"alerts/{first}/alert.json").read_text(encoding="utf-8"))
    assert shown["deliveries"][0]["ts"] == "1700000000.000100" and shown["channel"] == "C-REG"
    assert RULE in (tmp_path / "ev" / f"alerts/{second}/message.txt").read_text(encoding="utf-8")
    metas = sorted((tmp_path / "ev" / "snapshots").glob("*.meta.json"))
    assert metas
    for meta_file in metas:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        stored = (meta_file.parent / f"{meta['id']}.json").read_bytes()
        assert hashlib.sha256(stored).hexdigest() == meta["content_sha256_recorded"] == meta["content_sha256_now"]
    (decision,) = json.loads((tmp_path / "ev" / "triage.json").read_text(encoding="utf-8"))
    assert (decision["actor"], decision["to"]) == ("Li Wei", "applicable")
    assert verify_bundle(tmp_path / "ev").ok
    assert write_bundle(store, first, tmp_path / "one", whole_rule=False).alert_ids == (first,)


def test_verify_names_what_changed_went_missing_or_was_added(decided: tuple[Store, int, int], tmp_path: Path) -> None:
    store, _, second = decided
    folder = write_bundle(store, second, tmp_path / "ev").folder
    (folder / "triage.json").write_text("[]\n", encoding="utf-8")
    (folder / "README.txt").unlink()
    (folder / "extra.txt").write_text("slipped in", encoding="utf-8")
    result = verify_bundle(folder)
    assert (result.changed, result.missing, result.added) == (["triage.json"], ["README.txt"], ["extra.txt"])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["../../etc/passwd"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(EvidenceError, match="outside the bundle"):
        verify_bundle(folder)


def test_a_bundle_is_never_written_over_another_or_for_no_alert(decided: tuple[Store, int, int], tmp_path: Path) -> None:
    store, first, _ = decided
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(EvidenceError, match="not empty"):
        write_bundle(store, first, tmp_path / "used")
    with pytest.raises(EvidenceError, match="there is no alert #999"):
        write_bundle(store, 999, tmp_path / "new")


def test_the_cli_writes_and_verifies(rw_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rulewatch.app import App

    with App.from_env() as app:
        record_alerts(app.store, [Alert(kind="new_item", title=RULE, url="http://nfra/1", subject="i1", source="nfra")])
        alert = app.store.outbox.alerts(limit=1)[0].outbox_id
    assert main(["evidence", str(alert), "--out", str(tmp_path / "ev")]) == 0
    assert "manifest sha256" in capsys.readouterr().out
    assert main(["evidence", "--verify", str(tmp_path / "ev")]) == 0
    (tmp_path / "ev" / "triage.json").write_text("[1]\n", encoding="utf-8")
    assert main(["evidence", "--verify", str(tmp_path / "ev")]) == 1
    captured = capsys.readouterr()
    assert "changed: triage.json" in captured.err and "NOT intact" in captured.out
    with pytest.raises(SystemExit):
        main(["evidence", str(alert)])  # no --out: argparse says what is missing (exit 2)
