"""Worker processes for a cycle's CPU-bound stages, forked from the cycle's own process.

Threads share one GIL, so a cycle whose pages change spends its time on one CPU however many the
machine has: extracting, comparing and judging a changed 20 KB page costs about 2 ms of CPU. These
workers run that work on the other CPUs. They are forked, not spawned, once the process has read its
settings, sources and tables: a worker starts in a few milliseconds with all of that already in its
memory (copy-on-write), and a task carries only the page and the previous snapshot's blob.

A fork is only safe while the process has a single thread (a lock held by another thread would stay
held in the child forever), so `start()` refuses when other threads run: a Prefect flow run, for
instance, keeps its own threads, and runs its stages in its threads as before.

Each worker has up to `depth` tasks queued, so it never waits for the next one; when every worker has
that many, the caller runs the task itself: the cycle's own CPU takes a share too, and a busy worker
(beside a busy neighbour, say) gets less.

Nothing here ever fails a check. A worker that is busy, that died, or whose call raised, hands the
task back (`call` returns None) and the calling thread runs it itself: errors then surface exactly
where and as they would without workers.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from typing import Any

log = logging.getLogger("rulewatch.workers")

MAX_WORKERS = 8  # beyond this the cycle's one writing thread is the bottleneck, not analysis
# Tasks queued per worker before callers run theirs themselves. Deep enough that a worker never
# waits while the cycle's own process, busy fetching and recording, is slow to read an answer and
# send the next task (at 3, a worker sat idle for 15% of a half-changed cycle while the cycle's
# process analysed pages itself); the first page the process analyses also costs it 70 ms of imports.
DEFAULT_DEPTH = 8
_LOST = (False, None)


class _Reply:
    """A task's answer, filled in by the worker's reader thread."""

    __slots__ = ("_done", "value")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.value: tuple[bool, Any] = _LOST

    def set(self, value: tuple[bool, Any]) -> None:
        self.value = value
        self._done.set()

    def wait(self) -> tuple[bool, Any]:
        self._done.wait()
        return self.value


@dataclass(slots=True)
class _Worker:
    pid: int
    conn: Connection
    pending: dict[int, _Reply] = field(default_factory=dict)  # sent (or being sent), not answered: by task number
    sending: threading.Lock = field(default_factory=threading.Lock)
    alive: bool = True
    reader: threading.Thread | None = None


def default_count(cpus: set[int]) -> int:
    """Workers for a process allowed `cpus`: one per CPU but the one the cycle's threads run on."""
    return max(0, min(MAX_WORKERS, len(cpus) - 1))


def can_fork() -> bool:
    """Whether forking now is safe: Linux (macOS's system libraries break in a forked child) and no
    thread but this one."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class ForkedWorkers:
    """`count` processes forked from this one, each running `handler(task)` for the tasks sent to it.

    `handler` is inherited by the fork, so it may close over anything this process holds; tasks and
    results travel pickled. Thread-safe."""

    def __init__(self, handler: Callable[[Any], Any], count: int, cpus: set[int] | None = None,
                 warm: Callable[[], None] | None = None, depth: int = DEFAULT_DEPTH) -> None:
        self._handler = handler
        self._count = count
        self._cpus = cpus  # where the workers run; None: wherever the scheduler puts them
        self._warm = warm  # run by each worker as it starts, before its first task
        self._depth = depth
        self._workers: list[_Worker] = []
        self._choosing = threading.Lock()
        self._numbers = itertools.count()  # each task's number, which its answer carries back
        self._closing = False
        self.calls = 0  # tasks a worker answered
        self.handed_back = 0  # tasks handed back to the caller (all busy, a worker lost, or it raised)

    def start(self) -> bool:
        """Fork the workers. False, with none started, where forking is not safe here (see can_fork)."""
        if self._count < 1 or not can_fork():
            return False
        # What exists now lives as long as the cycle: out of the collector's sight, so neither this
        # process's collections nor a worker's write to (and so copy) the pages they share.
        gc.freeze()
        for _ in range(self._count):
            ours, theirs = Pipe(duplex=True)
            pid = os.fork()
            if pid == 0:  # the child: serve until the parent closes its end, then leave at once
                ours.close()
                for sibling in self._workers:
                    sibling.conn.close()
                _serve(theirs, self._handler, self._cpus, self._warm)
            theirs.close()
            self._workers.append(_Worker(pid, ours))
        # Threads only now: every fork above happened with this thread alone.
        for worker in self._workers:
            worker.reader = threading.Thread(target=self._read, args=(worker,), daemon=True,
                                             name=f"rulewatch-worker-{worker.pid}")
            worker.reader.start()
        return True

    @property
    def started(self) -> int:
        return len(self._workers)

    def call(self, task: Any, depth: int | None = None) -> Any | None:
        """`handler(task)` run by a worker, or None when the caller should run it itself: every worker
        has `depth` tasks queued (the workers' own depth unless given), the worker was lost, or the
        handler raised there (run here, the error is reported where it belongs)."""
        depth = depth or self._depth
        with self._choosing:
            live = [w for w in self._workers if w.alive and len(w.pending) < depth]
            if not live:
                return self._hand_back()
            worker = min(live, key=lambda w: len(w.pending))
            number = next(self._numbers)
            reply = worker.pending[number] = _Reply()  # counted at once, so the next caller sees it busy
        # Answers are matched to tasks by number, not by order: two callers' sends may cross.
        try:
            payload = pickle.dumps((number, task), pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            with self._choosing:
                worker.pending.pop(number, None)
            return self._hand_back()
        with worker.sending:
            try:
                worker.conn.send_bytes(payload)
            except OSError:
                self._lose(worker, "its pipe is closed")
        ok, result = reply.wait()
        if not ok:
            return self._hand_back()
        self.calls += 1
        return result

    def _hand_back(self) -> Any | None:
        """None, counted: the caller runs the task itself."""
        self.handed_back += 1
        return None

    def _read(self, worker: _Worker) -> None:
        """The worker's answers, each to the caller waiting for the task of its number."""
        while True:
            try:
                number, ok, result = worker.conn.recv()
            except (EOFError, OSError):
                break
            with self._choosing:
                reply = worker.pending.pop(number, None)
            if reply is not None:
                reply.set((ok, result))
        self._lose(worker, "it exited")

    def _lose(self, worker: _Worker, why: str) -> None:
        """No more tasks for `worker`; those it held go back to their callers."""
        with self._choosing:
            if worker.alive and not self._closing:
                log.warning("analysis worker %d lost (%s); this cycle goes on without it", worker.pid, why)
            worker.alive = False
            stranded = list(worker.pending.values())
            worker.pending.clear()
        for reply in stranded:
            reply.set(_LOST)

    def close(self) -> None:
        """Stop the workers. Called once no task is outstanding: a worker holds nothing worth waiting
        for (at most its warm-up), so it is killed rather than asked."""
        self._closing = True
        for worker in self._workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        for worker in self._workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            if worker.reader is not None:
                worker.reader.join()  # it saw the pipe close with its worker
            worker.conn.close()
        self._workers.clear()

    def __enter__(self) -> ForkedWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(conn: Connection, handler: Callable[[Any], Any], cpus: set[int] | None,
           warm: Callable[[], None] | None) -> None:
    """A worker's life: answer tasks until the parent shuts its end of the pipe. Never returns."""
    # Ctrl-C reaches the whole process group; the parent decides what stops, and shuts the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if cpus and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
    code = 0
    try:
        if warm is not None:
            # A warm-up that fails costs nothing but time: the first task meets the same error and
            # is handed back to the parent, which reports it.
            with contextlib.suppress(Exception):
                warm()
        while True:
            try:
                number, task = conn.recv()
            except (EOFError, OSError):
                break
            try:
                reply = (number, True, handler(task))
            # Whatever the handler raised, the parent runs the task again itself and reports it there
            # with its own traceback; here it is only a reason to hand the task back.
            except Exception:  # noqa: BLE001
                reply = (number, False, None)
            try:
                conn.send(reply)
            except (pickle.PicklingError, TypeError, AttributeError):  # a result that cannot travel
                conn.send((number, False, None))
    except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
        code = 1
    finally:
        os._exit(code)
