"""Per-host politeness across processes and machines, kept in the state database.

Several `rulewatch run` processes or Prefect workers sharing one database share each host's limits:
at most `concurrency` requests in flight (leased slots that a crashed holder frees when the lease
runs out) and starts at least `delay` seconds apart (a next-start time moved forward atomically).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.model import HostPolicy
from state.schema import host_pace, host_slots
from state.store import Store

POLL_SECONDS = 0.05
DEFAULT_LEASE_SECONDS = 120.0  # longer than any one fetch (DEFAULT_TOTAL_TIMEOUT is 90 s)


class DatabaseHostGates:
    """Gates whose slots and pacing live in the shared state database."""

    def __init__(self, store: Store, default: HostPolicy, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.store = store
        self.default = default
        self.lease = lease_seconds
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._slots_made: dict[str, int] = {}  # host -> slot rows known to exist

    def slot(self, host: str, policy: HostPolicy | None = None) -> AbstractContextManager[None]:
        return self._slot(host, policy.stricter(self.default) if policy else self.default)

    @contextmanager
    def _slot(self, host: str, policy: HostPolicy) -> Iterator[None]:
        holder = f"{self.holder}-{threading.get_ident()}"
        slot = self._acquire(host, max(1, policy.concurrency), holder)
        try:
            wait = self._pace(host, policy.delay, max(1, policy.concurrency))
            if wait > 0:
                time.sleep(wait)
            yield
        finally:
            with self.store.writer.begin() as conn:
                conn.execute(update(host_slots).where(host_slots.c.host == host, host_slots.c.slot == slot,
                                                      host_slots.c.holder == holder).values(until=0.0, holder=""))

    def _acquire(self, host: str, concurrency: int, holder: str) -> int:
        """Take a free (or expired) slot of `host`, waiting until one is. One statement a try: trying
        each slot in its own transaction, with an insert that failed when the row existed, cost 14 ms
        of CPU a fetch with 32 slots, more than the fetch itself (bench/RESULTS.md 0e)."""
        self._ensure_slots(host, concurrency)
        while True:
            now = time.time()
            free = (select(host_slots.c.slot)
                    .where(host_slots.c.host == host, host_slots.c.slot < concurrency,
                           or_(host_slots.c.until < now, host_slots.c.holder == ""))
                    .order_by(host_slots.c.slot).limit(1))
            with self.store.writer.begin() as conn:
                if conn.dialect.name == "postgresql":
                    free = free.with_for_update(skip_locked=True)  # racing holders take different slots
                taken = conn.execute(
                    update(host_slots)
                    .where(host_slots.c.host == host, host_slots.c.slot == free.scalar_subquery())
                    .values(holder=holder, until=now + self.lease)
                    .returning(host_slots.c.slot)
                ).scalar()
            if taken is not None:
                return int(taken)
            time.sleep(POLL_SECONDS)

    def _ensure_slots(self, host: str, concurrency: int) -> None:
        """The rows of `host`'s first `concurrency` slots exist (once per host and process)."""
        if self._slots_made.get(host, 0) >= concurrency:
            return
        with self.store.writer.begin() as conn:
            have = set(conn.execute(select(host_slots.c.slot).where(host_slots.c.host == host)).scalars())
            for slot in sorted(set(range(concurrency)) - have):
                try:
                    with conn.begin_nested():
                        conn.execute(insert(host_slots).values(host=host, slot=slot, holder="", until=0.0))
                except IntegrityError:
                    pass  # another process made it meanwhile
        self._slots_made[host] = concurrency

    def _pace(self, host: str, delay: float, concurrency: int) -> float:
        """Reserve the next start time for `host`; returns how long to wait for it. Start times are
        wall-clock (they are shared between machines), so a wait is never longer than the longest a
        queue of `concurrency` slot holders can justify: a clock stepped back (or a reservation from
        a machine whose clock is ahead) must not make every later run sleep for the size of the step."""
        if delay <= 0:
            return 0.0
        with self.store.writer.begin() as conn:
            query = select(host_pace.c.next_start).where(host_pace.c.host == host)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            next_start = conn.execute(query).scalar()
            now = time.time()
            start = min(max(now, next_start or 0.0), now + delay * concurrency)
            if next_start is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(host_pace).values(host=host, next_start=start + delay))
                except IntegrityError:
                    conn.execute(update(host_pace).where(host_pace.c.host == host).values(next_start=start + delay))
            else:
                conn.execute(update(host_pace).where(host_pace.c.host == host).values(next_start=start + delay))
        return start - now
