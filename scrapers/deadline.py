"""A hard deadline for the part of a request urllib3 cannot bound: reading the status line and
headers. Its timeouts apply to each read, so a server that drips a header byte now and then, never
slower than the read timeout, could hold a worker for ever (slowloris). One watchdog thread shuts
down the socket of a request still waiting for its headers at its deadline; the read then fails and
the fetcher reports a timeout.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from rulewatch.scrapers.headers import PlainHeadersResponse

_local = threading.local()  # the deadline of the request this thread is making


class _Watchdog:
    """Shuts down sockets whose deadline passed. Cheap to arm: a heap entry, no thread per request."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._live: set[int] = set()
        self._cut: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, sock: socket.socket) -> int:
        with self._wake:
            token = next(self._ids)
            heapq.heappush(self._heap, (deadline, token, sock))
            self._live.add(token)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rulewatch-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][1] == token:
                self._wake.notify()  # the earliest deadline now: the watchdog must wait less
            return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had already cut the socket."""
        with self._wake:
            self._live.discard(token)
            if token in self._cut:
                self._cut.discard(token)
                return True
            return False

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, token, sock = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                self._cut.add(token)
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


class HeadersCut(Exception):
    """The response's headers did not arrive by the request's deadline."""


def set_deadline(deadline: float | None) -> None:
    """The monotonic deadline by which this thread's next responses must have their headers."""
    _local.deadline = deadline


class _Deadlined:
    """Mixin for urllib3's connections: getresponse() under the thread's deadline, its headers read
    by scrapers.headers."""

    sock: Any
    response_class: type[http.client.HTTPResponse] = PlainHeadersResponse

    def getresponse(self) -> Any:
        deadline = getattr(_local, "deadline", None)
        sock = getattr(self, "sock", None)
        if deadline is None or sock is None:
            return super().getresponse()  # type: ignore[misc]
        token = WATCHDOG.arm(deadline, sock)
        try:
            response = super().getresponse()  # type: ignore[misc]
        except Exception as exc:
            if WATCHDOG.disarm(token):
                raise HeadersCut("no complete response headers by the deadline") from exc
            raise
        if WATCHDOG.disarm(token):  # cut just as the headers arrived: the socket is gone
            raise HeadersCut("no complete response headers by the deadline")
        return response


class DeadlinedHTTPConnection(_Deadlined, HTTPConnection):
    pass


class DeadlinedHTTPSConnection(_Deadlined, HTTPSConnection):
    pass


class DeadlinedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = DeadlinedHTTPConnection


class DeadlinedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = DeadlinedHTTPSConnection


POOL_CLASSES = {"http": DeadlinedHTTPConnectionPool, "https": DeadlinedHTTPSConnectionPool}
