"""Triage (rulewatch.services.triage over state.triage): decisions hang on rules, each is one event in an
append-only audit trail, a double click records nothing twice, a later alert reopens a decision, and
what a decision needs is asked for by name. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import date
from pathlib import Path

import pytest
from outbox import record_alerts
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from rulewatch.cli import main
from rulewatch.core.model import Alert
from rulewatch.lineage import link_finals
from rulewatch.services.triage import Asked, TriageError, audit, decide, standing
from rulewatch.state import Store

TODAY = date(2026, 12, 7)
RULE = "银行保险机构数据安全管理办法"


def rule_alert(store: Store, title: str = RULE, source: str = "nfra", subject: str = "item-1",
               kind: str = "new_item") -> int:
    record_alerts(store, [Alert(kind=kind, title=title, url=f"http://{source}/{subject}", subject=subject,  # type: ignore[arg-type]
                                source=source)])
    return store.outbox.alerts(limit=1)[0].outbox_id


def test_a_rule_goes_from_new_to_done_with_one_event_per_decision(store: Store) -> None:
    alert = rule_alert(store)
    assert [s.state for s in standing(store, TODAY)] == ["new"]
    decide(store, Asked(alert, "applicable", "Li Wei"), TODAY)
    decide(store, Asked(alert, "assigned", "Li Wei", owner="Zhang Min"), TODAY)
    decide(store, Asked(alert, "done", "Zhang Min", note="policy IT-7 updated; vendors told"), TODAY)
    (row,) = standing(store, TODAY)
    assert (row.state, row.row.owner, row.row.note, row.row.updated_by) == (
        "done", "Zhang Min", "policy IT-7 updated; vendors told", "Zhang Min")  # closing keeps the owner
    trail = [(e.actor, e.via, e.from_state, e.to_state) for e in audit(store)]
    assert trail == [("Li Wei", "cli", "new", "applicable"), ("Li Wei", "cli", "applicable", "assigned"),
                     ("Zhang Min", "cli", "assigned", "done")]
    assert standing(store, TODAY, state="done", owner="Zhang Min") and not standing(store, TODAY, state="new")


def test_a_double_click_records_nothing_twice(store: Store) -> None:
    alert = rule_alert(store)
    assert decide(store, Asked(alert, "applicable", "Li Wei"), TODAY) is not None
    assert decide(store, Asked(alert, "applicable", "Li Wei"), TODAY) is None
    assert len(audit(store)) == 1


@pytest.mark.parametrize(("asked", "says"), [
    (Asked(0, "not_applicable", "Li Wei"), "not_applicable needs a reason"),
    (Asked(0, "assigned", "Li Wei"), "assigned needs an owner"),
    (Asked(0, "done", "Li Wei"), "done needs a closing note"),
    (Asked(0, "snoozed", "Li Wei"), "snoozed needs a day"),
    (Asked(0, "snoozed", "Li Wei", until=TODAY), "not after today"),
    (Asked(0, "applicable", "  "), "say who decides"),
    (Asked(0, "maybe", "Li Wei"), "'maybe' is not a triage state"),
    (Asked(0, "applicable", "Li Wei", via="email"), "'email' is not a way to decide"),
])
def test_what_a_decision_needs_is_asked_for_by_name(store: Store, asked: Asked, says: str) -> None:
    alert = rule_alert(store)
    with pytest.raises(TriageError, match=says):
        decide(store, Asked(alert, asked.state, asked.by, asked.via, asked.owner, asked.reason, asked.note,
                            asked.until), TODAY)
    assert audit(store) == []


def test_only_alerts_about_rules_are_triaged(store: Store) -> None:
    store.outbox.add_once([Alert(kind="source_failing", title="pboc is failing", url="http://p/", source="pboc",
                                 idempotency_key="pboc:failing")])
    notice = store.outbox.alerts(limit=1)[0].outbox_id
    with pytest.raises(TriageError, match=rf"alert #{notice} \(source_failing\) is about no rule"):
        decide(store, Asked(notice, "applicable", "Li Wei"), TODAY)
    with pytest.raises(TriageError, match="there is no alert #999"):
        decide(store, Asked(999, "applicable", "Li Wei"), TODAY)


def test_a_later_alert_about_the_rule_reopens_its_decision_and_says_which(store: Store) -> None:
    first = rule_alert(store)
    decide(store, Asked(first, "not_applicable", "Li Wei", reason="we hold no such data"), TODAY)
    amended = rule_alert(store, kind="changed_item")  # the same item, changed
    (row,) = standing(store, TODAY)
    assert row.state == "new" and row.row.alert_id == amended
    reopened = audit(store)[-1]
    assert (reopened.actor, reopened.via, reopened.from_state, reopened.to_state) == (
        "rulewatch", "detection", "not_applicable", "new")
    assert reopened.reason == f"reopened by alert #{amended} (updated)"


def test_a_final_linked_to_its_draft_reopens_the_drafts_decision(store: Store) -> None:
    draft = rule_alert(store, title=f"关于《{RULE}（征求意见稿）》公开征求意见的通知", source="nfra", subject="d1")
    decide(store, Asked(draft, "applicable", "Li Wei"), TODAY)
    final = rule_alert(store, title=f"关于印发《{RULE}》的通知", source="cac", subject="f9")
    link_finals(store, [final])
    # The final names the draft's rule, so it joined that rule, and reopened it, as it was recorded.
    reopened = [e for e in audit(store) if e.actor == "rulewatch"]
    assert [(e.from_state, e.to_state, e.alert_id) for e in reopened] == [("applicable", "new", final)]
    assert store.rules.rule_of([draft, final])[draft] == store.rules.rule_of([final])[final]


def test_a_snooze_that_ended_shows_as_new(store: Store) -> None:
    alert = rule_alert(store)
    decide(store, Asked(alert, "snoozed", "Li Wei", until=date(2026, 12, 20)), TODAY)
    assert [s.state for s in standing(store, TODAY)] == ["snoozed"]
    assert [s.state for s in standing(store, date(2026, 12, 20))] == ["new"]


def test_the_audit_trail_cannot_be_changed_or_deleted(store: Store) -> None:
    decide(store, Asked(rule_alert(store), "applicable", "Li Wei"), TODAY)
    for statement in ("UPDATE triage_events SET actor = 'someone else'", "DELETE FROM triage_events"):
        with pytest.raises(DBAPIError, match="append-only"), store.writer.begin() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in audit(store)] == ["Li Wei"]


def test_two_people_deciding_at_once_each_leave_one_event_in_order(store: Store) -> None:
    alert = rule_alert(store)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(state: str, by: str) -> None:
        start.wait()
        try:
            decide(store, Asked(alert, state, by, via="slack", reason="no" if state == "not_applicable" else ""), TODAY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=click, args=("applicable", "Li Wei")),
               threading.Thread(target=click, args=("not_applicable", "Zhang Min"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    first, second = audit(store)
    assert first.from_state == "new" and second.from_state == first.to_state  # no decision lost or crossed
    assert standing(store, TODAY)[0].state == second.to_state


def test_the_cli_sets_lists_and_exports_the_audit(rw_env: dict[str, str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from rulewatch.app import App

    with App.from_env() as app:
        alert = rule_alert(app.store)
    assert main(["triage", "set", str(alert), "assigned", "--owner", "Zhang Min", "--by", "Li Wei"]) == 0
    assert "new -> assigned by Li Wei (cli)" in capsys.readouterr().out
    assert main(["triage", "set", str(alert), "done", "--by", "Li Wei"]) == 2
    assert "done needs a closing note (--note)" in capsys.readouterr().err
    assert main(["triage", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["alert_id"], row["state"], row["owner"], row["updated_by"]) == (alert, "assigned", "Zhang Min", "Li Wei")
    assert main(["audit", "--csv"]) == 0
    (event,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (event["actor"], event["via"], event["from"], event["to"], event["owner"]) == (
        "Li Wei", "cli", "new", "assigned", "Zhang Min")
    assert main(["audit", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == "no decision recorded\n"
