"""Mutes through the use case and the command line: alerts like a not-applicable one are recorded, marked
with the mute that caught them, and never posted; removing the mute posts new ones again; a muted alert
is never lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from outbox import record_alerts

from rulewatch.alerts.deliver import ConsoleSink, deliver_pending
from rulewatch.cli import main
from rulewatch.core.model import Alert
from rulewatch.services.mutes import MuteError, mute_choices, mute_like, mutes, unmute
from rulewatch.state import Store


def item(n: int, terms: tuple[str, ...] = ("采购",), severity: str = "low", source: str = "ccgp") -> Alert:
    return Alert(kind="new_item", title=f"关于政府采购第{n}批信息技术产品的通知", url=f"https://x/{n}", subject=f"i{n}",
                 source=source, matched_terms=terms, severity=severity, rule_key=f"name:notice{n}",
                 rule_role="published")


@pytest.fixture
def muted_store(store: Store) -> Iterator[Store]:
    record_alerts(store, [item(1)])
    deliver_pending(store, ConsoleSink(open("/dev/null", "w")))  # noqa: SIM115 - the console is not the test
    yield store


def _last(store: Store) -> Alert:
    return store.outbox.alerts()[0]


def test_alerts_like_a_muted_one_are_recorded_not_posted_and_say_which_mute(muted_store: Store) -> None:
    first = _last(muted_store)
    row = mute_like(muted_store, first.outbox_id, "terms", "Li Wei", "cli", "we buy no hardware")
    assert (row.mute.terms, row.created_by, row.from_alert_id) == (("采购",), "Li Wei", first.outbox_id)
    record_alerts(muted_store, [item(2, source="ccgp"), item(3, terms=("采购", "安全可控")), item(4, severity="high")])
    by_title = {a.title: a for a in muted_store.outbox.alerts()}
    assert by_title["关于政府采购第2批信息技术产品的通知"].muted_by == row.mute.id
    assert by_title["关于政府采购第3批信息技术产品的通知"].muted_by is None  # it matches more than the mute's terms
    assert by_title["关于政府采购第4批信息技术产品的通知"].muted_by is None  # rated high: never muted
    pending = {a.title for a in muted_store.outbox.alerts(pending_only=True)}
    assert pending == {"关于政府采购第3批信息技术产品的通知", "关于政府采购第4批信息技术产品的通知"}
    assert muted_store.outbox.pending_count() == 2
    assert mutes(muted_store)[0].caught == 1
    muted_id = by_title["关于政府采购第2批信息技术产品的通知"].outbox_id
    assert not muted_store.outbox.claim(muted_id, 60, "console")  # delivery leaves it alone
    assert muted_store.outbox.resend([muted_id]) == [muted_id]  # asked for by name, it is posted after all
    assert muted_id in {a.outbox_id for a in muted_store.outbox.alerts(pending_only=True)}


def test_a_title_mute_catches_the_next_batch_of_the_same_notice(muted_store: Store) -> None:
    row = mute_like(muted_store, _last(muted_store).outbox_id, "title", "Li Wei", "cli", "")
    record_alerts(muted_store, [item(9, terms=("安全可控",))])
    assert _last(muted_store).muted_by == row.mute.id


def test_a_removed_mute_stays_listed_and_mutes_nothing_new(muted_store: Store) -> None:
    row = mute_like(muted_store, _last(muted_store).outbox_id, "terms", "Li Wei", "cli", "")
    record_alerts(muted_store, [item(2)])
    removed = unmute(muted_store, row.mute.id, "Zhang Min")
    assert (removed.removed_by, removed.caught) == ("Zhang Min", 1) and removed.removed_at
    record_alerts(muted_store, [item(3)])
    assert _last(muted_store).muted_by is None
    assert mutes(muted_store) == [] and len(mutes(muted_store, include_removed=True)) == 1
    with pytest.raises(MuteError, match="removed already"):
        unmute(muted_store, row.mute.id, "Zhang Min")
    with pytest.raises(MuteError, match="no mute #99"):
        unmute(muted_store, 99, "Zhang Min")


@pytest.mark.parametrize(("alert", "by", "why"), [
    (item(5, severity="high"), "terms", "never muted"),
    (item(6, terms=()), "terms", "matched no watched term"),
    (Alert(kind="changed_text", title="办法", url="https://x/p", subject="p", source="ccgp", matched_terms=("采购",),
           rule_key="name:办法x", rule_role="amended"), "title", "not a list item"),
])
def test_what_cannot_be_muted_is_refused_with_why(store: Store, alert: Alert, by: str, why: str) -> None:
    record_alerts(store, [alert])
    with pytest.raises(MuteError, match=why):
        mute_like(store, _last(store).outbox_id, by, "Li Wei", "cli", "")  # type: ignore[arg-type]
    assert mute_choices(_last(store)) == [c for c in mute_choices(_last(store)) if c[0] != by]


def test_the_mutes_command_adds_lists_and_removes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RULEWATCH_HOME", str(tmp_path / "home"))
    from rulewatch.app import App

    with App.from_env() as app:
        record_alerts(app.store, [item(1)])
        alert_id = app.store.outbox.alerts()[0].outbox_id
    assert main(["mutes", "add", str(alert_id), "--by", "Li Wei", "--reason", "no hardware"]) == 0
    assert "mute #1: ccgp: alerts matching only 采购" in capsys.readouterr().out
    with App.from_env() as app:
        record_alerts(app.store, [item(2)])
    assert main(["alerts"]) == 0 and "MUTED by mute #1" in capsys.readouterr().out
    assert main(["mutes", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["caught"], listed["created_by"], listed["reason"]) == (1, "Li Wei", "no hardware")
    assert main(["mutes", "remove", "1", "--by", "Zhang Min"]) == 0 and "caught 1 alert" in capsys.readouterr().out
    assert main(["mutes"]) == 0 and "no mutes" in capsys.readouterr().out
    assert main(["mutes", "remove", "1", "--by", "Zhang Min"]) == 2
    assert "removed already" in capsys.readouterr().err
