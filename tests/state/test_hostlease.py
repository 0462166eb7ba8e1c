"""Shared politeness on the database: a clock stepped back never makes a run sleep for the step
(issue 19, finding 12)."""

from __future__ import annotations

import time

from sqlalchemy import update

from core.model import HostPolicy
from state import Store
from state.hostlease import DatabaseHostGates
from state.schema import host_pace


def test_a_reservation_from_a_clock_ahead_waits_at_most_one_queue(store: Store) -> None:
    gates = DatabaseHostGates(store, HostPolicy(concurrency=2, delay=0.5))
    assert gates._pace("gov.example", 0.5, 2) == 0.0  # the first start is now
    with store.writer.begin() as conn:  # a machine whose clock is an hour ahead reserved the next start
        conn.execute(update(host_pace).where(host_pace.c.host == "gov.example").values(next_start=time.time() + 3600))
    wait = gates._pace("gov.example", 0.5, 2)
    assert 0.0 < wait <= 1.0  # never longer than two slot holders' delays, not an hour
    assert gates._pace("gov.example", 0.5, 2) <= 1.0 + 0.5  # and the reservations heal from there
