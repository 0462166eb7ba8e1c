"""Shared politeness on the database: a clock stepped back never makes a run sleep for the step
(issue 19, finding 12)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from rulewatch.core.model import HostPolicy
from rulewatch.state import Store
from rulewatch.state.hostlease import DatabaseHostGates
from rulewatch.state.schema import host_pace


def test_a_reservation_from_a_clock_ahead_waits_at_most_one_queue(store: Store) -> None:
    gates = DatabaseHostGates(store, HostPolicy(concurrency=2, delay=0.5))
    assert gates._pace("gov.example", 0.5, 2) == 0.0  # the first start is now
    with store.writer.begin() as conn:  # a machine whose clock is an hour ahead reserved the next start
        conn.execute(update(host_pace).where(host_pace.c.host == "gov.example").values(next_start=time.time() + 3600))
    wait = gates._pace("gov.example", 0.5, 2)
    assert 0.0 < wait <= 1.0  # never longer than two slot holders' delays, not an hour
    assert gates._pace("gov.example", 0.5, 2) <= 1.0 + 0.5  # and the reservations heal from there


def _slot_updates(store: Store) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE HOST_SLOTS"):
            seen.append(statement)

    event.listen(store.writer, "before_cursor_execute", record)
    return seen


def test_a_slot_serves_a_run_of_fetches_then_goes_back(store: Store) -> None:
    from sqlalchemy import select

    from rulewatch.state.schema import host_slots

    gates = DatabaseHostGates(store, HostPolicy(concurrency=2, delay=0.0))
    updates = _slot_updates(store)
    for _ in range(50):
        with gates.slot("gov.example"):
            pass
    assert len(updates) == 1  # one slot taken once, not 50 takes and 50 returns
    gates.close()
    with store.engine.connect() as conn:
        assert set(conn.execute(select(host_slots.c.holder)).scalars()) == {""}  # all given back


def test_another_process_gets_its_turn_within_the_hold(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from rulewatch.state import hostlease

    monkeypatch.setattr(hostlease, "HOLD_SECONDS", 0.3)
    first = DatabaseHostGates(store, HostPolicy(concurrency=1, delay=0.0))
    second = DatabaseHostGates(store, HostPolicy(concurrency=1, delay=0.0))
    order: list[str] = []
    with first.slot("gov.example"):
        order.append("first")
    done = threading.Event()

    def other() -> None:
        with second.slot("gov.example"):
            order.append("second")
        done.set()

    threading.Thread(target=other).start()
    deadline = time.monotonic() + 10
    while not done.is_set() and time.monotonic() < deadline:
        with first.slot("gov.example"):  # the first keeps fetching, yet hands its slot on once held too long
            order.append("first")
        time.sleep(0.01)
    assert done.is_set() and "second" in order
    first.close()
    second.close()


def test_a_process_done_with_a_host_gives_its_slot_back_without_closing(store: Store) -> None:
    import threading

    done_with_host = DatabaseHostGates(store, HostPolicy(concurrency=1, delay=0.0))
    waiting = DatabaseHostGates(store, HostPolicy(concurrency=1, delay=0.0))
    with done_with_host.slot("gov.example"):
        pass  # ...and goes on with other hosts for minutes, never closing its gates meanwhile
    got = threading.Event()

    def take() -> None:
        with waiting.slot("gov.example"):
            got.set()

    threading.Thread(target=take, daemon=True).start()
    assert got.wait(10)  # within IDLE_SECONDS and a poll, not the 120 s lease
    waiting.close()
    done_with_host.close()
