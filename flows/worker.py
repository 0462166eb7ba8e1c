"""`rulewatch worker`: a Prefect process worker for the `rulewatch` work pool that stops on SIGTERM.

`prefect worker start` answers SIGTERM by interrupting itself and can then take a minute to stop, so a
service manager (systemd, Docker, Kubernetes) ends up killing it. This worker is the same ProcessWorker,
run in-process: SIGTERM or Ctrl-C cancels it at once, and if its shutdown still hangs past
STOP_SECONDS the process exits anyway. A flow run it started keeps running as its own process and
reports its own end; rulewatch's writes are transactions, so nothing is left half-written either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

STOP_SECONDS = 5.0  # how long a stop may take before the process exits regardless
EXIT_STOPPED = 0

log = logging.getLogger("rulewatch.worker")


async def _work(pool: str, name: str | None, limit: int | None, queues: list[str] | None) -> None:
    from prefect.settings import (
        PREFECT_WORKER_HEARTBEAT_SECONDS,
        PREFECT_WORKER_PREFETCH_SECONDS,
    )
    from prefect.workers.process import ProcessWorker

    worker = ProcessWorker(name=name, work_pool_name=pool, work_queues=queues, limit=limit,
                           prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
                           heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()))
    await worker.start(run_once=False, with_healthcheck=False, printer=lambda *a, **k: print(*a, flush=True))


def _stop_on_signals(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    def stop(signum: int) -> None:
        if task.cancelled() or task.done():
            return
        print(f"{signal.Signals(signum).name} received: the worker stops (flow runs in progress finish on "
              "their own)", flush=True)
        task.cancel()
        loop.call_later(STOP_SECONDS, _exit_now)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)


def _exit_now() -> None:
    print(f"the worker did not stop within {STOP_SECONDS:g} s: exiting now", file=sys.stderr, flush=True)
    os._exit(EXIT_STOPPED)  # past the grace period: Prefect's own shutdown is still waiting on something


def run_worker(pool: str, name: str | None = None, limit: int | None = None,
               queues: list[str] | None = None) -> int:
    """Poll `pool` and run its flow runs until SIGTERM or Ctrl-C; the exit status."""
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(_work(pool, name, limit, queues))
        # From here a signal cancels the worker, whatever stage its start-up has reached.
        _stop_on_signals(loop, task)
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            print("the worker stopped", flush=True)
        return EXIT_STOPPED
    finally:
        loop.close()
