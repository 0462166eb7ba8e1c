"""`rulewatch db copy`: everything a database holds carried into an empty one with its ids, checked by
counts and digests; a re-run finds it done; a target with other data is refused; new rows after the
copy take new ids. SQLite to SQLite, and SQLite to PostgreSQL and back when one is at hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from outbox import record_alerts

from rulewatch.cli import main
from rulewatch.core.errors import StateError
from rulewatch.core.model import Alert, KeyDate
from rulewatch.services.mutes import mute_like
from rulewatch.services.triage import Asked, audit, decide
from rulewatch.services.users import add_user
from rulewatch.state import Store
from rulewatch.state.copying import copy_database

TODAY = date(2026, 12, 7)


def fill(store: Store) -> None:
    record_alerts(store, [
        Alert(kind="changed_text", title="数据安全管理办法", url="https://x/d", subject="d", source="nfra",
              matched_terms=("数据安全",), severity="high", rule_key="name:数据安全管理办法", rule_role="amended",
              key_dates=(KeyDate("effective", "2027-01-01", "自2027年1月1日起施行"),)),
        Alert(kind="new_item", title="关于采购第3批产品的通知", url="https://x/3", subject="i3", source="ccgp",
              matched_terms=("采购",), severity="low", rule_key="name:关于采购第3批产品的通知", rule_role="published"),
    ])
    first = store.outbox.alerts(newest_first=False)
    assert store.outbox.claim(first[0].outbox_id, 60, "slack")
    store.outbox.mark_delivered(first[0].outbox_id, sink="slack", channel="C1", ts="1700000000.000100")
    decide(store, Asked(first[0].outbox_id, "assigned", "li", "cli", owner="Zhang Min"), TODAY)
    mute_like(store, first[1].outbox_id, "terms", "li", "cli", "no hardware")
    add_user(store, "ada", "admin", "a long enough password", "test")


def test_a_copy_carries_everything_and_a_rerun_finds_it_done(store: Store, tmp_path: Path) -> None:
    fill(store)
    target = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        report = copy_database(store, target)
        assert not report.already and report.rows > 0
        assert [a.title for a in target.outbox.alerts()] == [a.title for a in store.outbox.alerts()]
        assert [(e.actor, e.to_state) for e in audit(target)] == [("li", "assigned")]
        assert target.mutes.rows()[0].reason == "no hardware" and target.users.get("ada") is not None
        first = store.outbox.alerts(newest_first=False)[0].outbox_id
        assert target.outbox.deliveries_by_alert([first])[first][0].ts == "1700000000.000100"
        again = copy_database(store, target)
        assert again.already and again.rows == report.rows
        # New rows after the copy take new ids, past the copied ones.
        record_alerts(target, [Alert(kind="new_item", title="后来的通知采购", url="https://x/9", subject="i9",
                                     source="ccgp", matched_terms=("网络安全",), rule_key="name:后来的通知采购",
                                     rule_role="published")])
        assert max(a.outbox_id for a in target.outbox.alerts()) == max(a.outbox_id for a in store.outbox.alerts()) + 1
    finally:
        target.close()


def test_a_target_with_other_data_is_refused_and_left_alone(store: Store, tmp_path: Path) -> None:
    fill(store)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        add_user(other, "someone", "viewer", "a long enough password", "test")
        with pytest.raises(StateError, match="already holds other data .*nothing was written"):
            copy_database(store, other)
        assert [a.name for a in other.users.all()] == ["someone"] and other.outbox.alerts() == []
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sqlite_to_postgresql_and_back(tmp_path: Path, database_url: str) -> None:
    source = Store(f"sqlite:///{tmp_path / 'embedded.db'}")
    postgres = Store(database_url)
    back = Store(f"sqlite:///{tmp_path / 'back.db'}")
    try:
        fill(source)
        there = copy_database(source, postgres)
        home = copy_database(postgres, back)
        assert [(t.name, t.rows, t.digest) for t in there.tables] == [(t.name, t.rows, t.digest) for t in home.tables]
        record_alerts(postgres, [Alert(kind="new_item", title="迁移后的采购通知", url="https://x/8", subject="i8",
                                       source="cac", matched_terms=("网络安全",), rule_key="name:迁移后的采购通知",
                                       rule_role="published")])
        assert len(postgres.outbox.alerts()) == len(source.outbox.alerts()) + 1  # its sequence moved on
    finally:
        for s in (source, postgres, back):
            s.close()


def test_the_command_copies_and_says_what(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RULEWATCH_HOME", str(tmp_path / "home"))
    from rulewatch.app import App

    with App.from_env() as app:
        fill(app.store)
    target = f"sqlite:///{tmp_path / 'moved.db'}"
    assert main(["db", "copy", "--to", target]) == 0
    out = capsys.readouterr().out
    assert "alerts: 2 rows" in out and "checked by count and digest" in out
    assert main(["db", "copy", "--to", target]) == 0 and "nothing to do" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["db", "copy"])
    assert refused.value.code == 2 and "copy needs --to" in capsys.readouterr().err
    assert main(["db", "copy", "--to", "mysql://x/y"]) == 2 and "--to: 'mysql'" in capsys.readouterr().err
