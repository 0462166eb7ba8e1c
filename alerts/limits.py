"""Answers from the services rulewatch posts to (webhooks, a translation API, a translation command)
read within one total deadline and one size cap: a service that drips its answer a byte at a time, or
answers without end, holds a delivery or a cycle no longer than its timeout and no more memory than
the cap."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from typing import Any

import urllib3

from rulewatch.core.errors import RulewatchError

CHUNK = 16 * 1024
EXIT_POLL = 0.1  # seconds between looks at whether a command exited while its output pipe stays open


class AnswerCut(RulewatchError):
    """The answer did not come whole within the deadline, or was larger than the cap."""


def post(pool: urllib3.PoolManager, url: str, body: bytes, headers: dict[str, str], timeout: float,
         cap: int) -> tuple[int, bytes]:
    """POST and read the answer: (status, body). Raises urllib3's errors for the connection, AnswerCut
    when the whole answer took longer than `timeout` seconds in all or passed `cap` bytes."""
    deadline = time.monotonic() + timeout
    response = pool.request("POST", url, body=body, headers=headers, preload_content=False,
                            timeout=urllib3.Timeout(connect=timeout, read=timeout))
    try:
        return response.status, read_within(response, deadline, cap)
    finally:
        response.release_conn()


def read_within(response: Any, deadline: float, cap: int) -> bytes:
    """The response's body, read chunk by chunk: the deadline is checked between chunks (so a drip is
    cut within one read's timeout of it), and the size against the cap."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            response.close()
            raise AnswerCut("the answer was still arriving when its time ran out")
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            response.close()
            raise AnswerCut(f"the answer passed {cap} bytes")
        chunks.append(chunk)


def run_command(argv: list[str], stdin: bytes, timeout: float, cap: int) -> tuple[int, bytes]:
    """Run `argv` with `stdin`: (exit status, stdout). Its output is read up to `cap` bytes; past the
    timeout or the cap the command and every process it started are killed (its own process group)."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        out = _communicate(proc, stdin, timeout, cap)
    except BaseException:
        _kill_group(proc)
        raise
    return proc.returncode, out


def _communicate(proc: subprocess.Popen[bytes], stdin: bytes, timeout: float, cap: int) -> bytes:
    import selectors

    deadline = time.monotonic() + timeout
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AnswerCut(f"the command took more than {timeout:g} s")
            if not selector.select(min(left, EXIT_POLL)):
                if proc.poll() is not None:
                    break  # it exited; a child it left behind may hold the pipe open, never to close it
                continue
            chunk = os.read(proc.stdout.fileno(), CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise AnswerCut(f"the command's output passed {cap} bytes")
            chunks.append(chunk)
    left = max(0.0, deadline - time.monotonic())
    try:
        proc.wait(timeout=left)
    except subprocess.TimeoutExpired as exc:
        raise AnswerCut(f"the command took more than {timeout:g} s") from exc
    _kill_group(proc)  # what it left running in the background goes with it
    return b"".join(chunks)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
