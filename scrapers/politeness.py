"""Per-host politeness: at most N requests in flight to one host, and a minimum gap between starts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rulewatch.core.model import HostPolicy


class _HostGate:
    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self._slots = threading.BoundedSemaphore(max(1, policy.concurrency))
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = time.monotonic()
                wait = self._next_start - now
                self._next_start = max(now, self._next_start) + self.policy.delay
            if wait > 0:
                time.sleep(wait)
            yield


class HostGates:
    """One gate per host, created on first use with the policy given for that host."""

    def __init__(self, default: HostPolicy) -> None:
        self.default = default
        self._gates: dict[str, _HostGate] = {}
        self._lock = threading.Lock()

    def gate(self, host: str, policy: HostPolicy | None = None) -> _HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = _HostGate(policy.stricter(self.default) if policy else self.default)
                self._gates[host] = gate
            return gate


class Gates(Protocol):
    """Where a fetch waits for its turn at a host: in this process (HostGates) or across processes
    and machines (state.hostlease.DatabaseHostGates)."""

    def slot(self, host: str, policy: HostPolicy | None = None) -> AbstractContextManager[None]: ...

    def close(self) -> None:
        """Give back whatever the gates hold between fetches (at the end of a cycle)."""


class LocalGates:
    """HostGates behind the Gates protocol: politeness among this process's threads."""

    def __init__(self, default: HostPolicy) -> None:
        self._gates = HostGates(default)

    def slot(self, host: str, policy: HostPolicy | None = None) -> AbstractContextManager[None]:
        return self._gates.gate(host, policy).slot()

    def close(self) -> None:
        """Nothing is held between fetches in this process."""
