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

from rulewatch.core.model import HostPolicy
from rulewatch.state.schema import host_pace, host_slots
from rulewatch.state.store import Store

POLL_SECONDS = 0.05
DEFAULT_LEASE_SECONDS = 120.0  # longer than any one fetch (DEFAULT_TOTAL_TIMEOUT is 90 s)
HOLD_SECONDS = 2.0  # how long a process keeps a slot it took for its next fetches to the host
IDLE_SECONDS = 0.25  # a held slot no fetch here used for this long goes back
GIVE_WAY_SECONDS = 2 * POLL_SECONDS  # after giving a slot back, long enough for a waiting process to take it


class DatabaseHostGates:
    """Gates whose slots and pacing live in the shared state database.

    A slot taken from the database serves this process's fetches to its host for up to HOLD_SECONDS
    (any thread may use it once the last fetch is done), then goes back, as does a slot no fetch here
    used for IDLE_SECONDS: two transactions per fetch cost 2.3 ms of CPU on PostgreSQL, more than a
    304 itself (bench/RESULTS.md 0e). Other processes still get their turn within HOLD_SECONDS;
    pacing (a delay between starts) stays per fetch."""

    def __init__(self, store: Store, default: HostPolicy, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.store = store
        self.default = default
        self.lease = lease_seconds
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._slots_made: dict[str, int] = {}  # host -> slot rows known to exist
        self._lock = threading.Lock()
        self._idle: dict[str, dict[int, tuple[float, float]]] = {}  # host -> unused slots held -> (taken, idle since)
        self._reaper: threading.Thread | None = None
        self._gave_back: dict[str, float] = {}  # host -> when this process last gave a slot back

    def slot(self, host: str, policy: HostPolicy | None = None) -> AbstractContextManager[None]:
        return self._slot(host, policy.stricter(self.default) if policy else self.default)

    @contextmanager
    def _slot(self, host: str, policy: HostPolicy) -> Iterator[None]:
        concurrency = max(1, policy.concurrency)
        slot, taken_at = self._take(host, concurrency)
        try:
            wait = self._pace(host, policy.delay, concurrency)
            if wait > 0:
                time.sleep(wait)
            yield
        finally:
            now = time.monotonic()
            if now - taken_at < HOLD_SECONDS and slot < concurrency:
                with self._lock:
                    self._idle.setdefault(host, {})[slot] = (taken_at, now)
                    self._start_reaper()
            else:
                self._release(host, [slot])

    def _take(self, host: str, concurrency: int) -> tuple[int, float]:
        """A slot of `host` this process holds and no thread uses, else one from the database; waits
        for either. After giving a slot back this process waits GIVE_WAY_SECONDS before taking one from
        the database, so a process waiting for it gets its turn."""
        self._ensure_slots(host, concurrency)
        while True:
            now = time.monotonic()
            with self._lock:
                idle = self._idle.get(host, {})
                stale = [s for s, (taken, _) in idle.items() if now - taken >= HOLD_SECONDS or s >= concurrency]
                for s in stale:
                    del idle[s]
                ready = next(iter(idle), None)
                if ready is not None:
                    return ready, idle.pop(ready)[0]
            if stale:
                self._release(host, stale)
            give_way = self._gave_back.get(host, 0.0) + GIVE_WAY_SECONDS - time.monotonic()
            if give_way > 0:
                time.sleep(give_way)
            slot = self._try_acquire(host, concurrency)
            if slot is not None:
                return slot, time.monotonic()
            time.sleep(POLL_SECONDS)

    def _release(self, host: str, slots: list[int]) -> None:
        self._gave_back[host] = time.monotonic()
        with self.store.writer.begin() as conn:
            conn.execute(update(host_slots).where(host_slots.c.host == host, host_slots.c.slot.in_(slots),
                                                  host_slots.c.holder == self.holder).values(until=0.0, holder=""))

    def _start_reaper(self) -> None:
        """Start the thread that gives back slots nobody here used for IDLE_SECONDS (call under the
        lock): a process done with a host must not keep its slots while it works on others."""
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="rulewatch-host-slots", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(IDLE_SECONDS / 2)
            now = time.monotonic()
            with self._lock:
                unused = {host: [s for s, (taken, since) in slots.items()
                                 if now - since >= IDLE_SECONDS or now - taken >= HOLD_SECONDS]
                          for host, slots in self._idle.items()}
                for host, gone in unused.items():
                    for s in gone:
                        del self._idle[host][s]
                left = any(self._idle.values())
                if not left:
                    self._reaper = None
            for host, gone in unused.items():
                if gone:
                    self._release(host, gone)
            if not left:
                return

    def close(self) -> None:
        """Give back every slot this process holds and no thread uses (at the end of a cycle)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for host, slots in idle.items():
            if slots:
                self._release(host, list(slots))

    def _try_acquire(self, host: str, concurrency: int) -> int | None:
        """Take a free (or expired) slot of `host` in the database, or None. One statement: trying each
        slot in its own transaction, with an insert that failed when the row existed, cost 14 ms of CPU a
        fetch with 32 slots, more than the fetch itself (bench/RESULTS.md 0e)."""
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
                .values(holder=self.holder, until=now + self.lease)
                .returning(host_slots.c.slot)
            ).scalar()
        return None if taken is None else int(taken)

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
