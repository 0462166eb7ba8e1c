"""Keeping a cycle's threads on one CPU.

A cycle is many threads under one GIL: at most one of them runs Python at any moment, so a second CPU
buys it almost nothing. It costs, though: every hand-over of the GIL (at each socket read, each lxml
parse) can wake a thread on the other CPU, whose caches hold none of the cycle's data. Measured on two
cores: 500 pages, half of them changed, 1.29 s on any CPU against 1.15 s kept on one (bench/RESULTS.md).
The CPU kept is the idlest one, measured from /proc/stat: a process pinned to the CPU it happened to
start on could sit beside a busy neighbour (another worker, a database) for its whole cycle, at half
speed or worse (issue 18). The `rulewatch` command notes the CPUs' idle times as it starts
(note_start), so the measure spans its start-up (0.3 s) instead of a sleep; this process's own
start-up is not counted as a neighbour's load. Without that note, it sleeps IDLE_SAMPLE_SECONDS.
Several rulewatch processes started at once may pick the same CPU; partitions on one machine
(`--partition`) should leave it off. The cycle's analysis workers (rulewatch/workers.py) run on the
CPUs it leaves.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_STAT = Path("/proc/self/stat")
_CPU_TIMES = Path("/proc/stat")
_PROCESSOR_FIELD = 38  # 0-based index of "processor" (the CPU last run on) in /proc/<pid>/stat
_UTIME_FIELD = 13  # 0-based index of utime (then stime) in /proc/<pid>/stat, in clock ticks
IDLE_SAMPLE_SECONDS = 0.03  # three clock ticks: a busy CPU shows, and a 1.5 s cycle pays 2%


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float  # time.monotonic()
    idle: dict[int, int]  # each CPU's idle ticks so far
    own: int | None  # this process's CPU ticks so far


_start: _Sample | None = None


def note_start() -> None:
    """Note each CPU's idle time now, and this process's CPU time: called first thing by the command,
    so that idlest_cpu() later measures over the start-up instead of sleeping."""
    global _start
    _start = _Sample(time.monotonic(), _idle_times(), _own_ticks())


def _stat_fields() -> list[str]:
    """/proc/self/stat from its third field on, or [] where that cannot be read."""
    try:
        stat = _STAT.read_text()
    except OSError:
        return []
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return stat[stat.rindex(")") + 2:].split()


def current_cpu() -> int | None:
    """The CPU this process last ran on (Linux), or None where that cannot be read."""
    fields = _stat_fields()
    index = _PROCESSOR_FIELD - 2
    return int(fields[index]) if len(fields) > index and fields[index].isdigit() else None


def _own_ticks() -> int | None:
    """This process's user and system CPU time so far, in clock ticks, or None."""
    fields = _stat_fields()
    index = _UTIME_FIELD - 2
    if len(fields) <= index + 1 or not (fields[index].isdigit() and fields[index + 1].isdigit()):
        return None
    return int(fields[index]) + int(fields[index + 1])


def stay_on_one_cpu() -> int | None:
    """Restrict this process, and every thread it starts from now on, to one CPU. Call it before any
    thread is started. Returns the CPU, or None when there was no choice to make (one CPU allowed
    already) or the platform has no CPU affinity."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    cpu = idlest_cpu(allowed)
    if cpu is None:
        cpu = current_cpu()
    if cpu not in allowed:
        cpu = min(allowed)
    os.sched_setaffinity(0, {cpu})
    return cpu


def idlest_cpu(allowed: set[int], sample: float = IDLE_SAMPLE_SECONDS) -> int | None:
    """The CPU of `allowed` that was idle longest since note_start() when that is at least `sample`
    seconds ago, else over the next `sample` seconds (ties: the lowest number); None where /proc/stat
    cannot be read. The CPU this process runs on is credited with the time it kept it busy itself."""
    start = _start
    if start is not None and start.idle and time.monotonic() - start.at >= sample:
        before, own_before = start.idle, start.own
    else:
        before, own_before = _idle_times(), _own_ticks()
        time.sleep(sample)
    after = _idle_times()
    own_now, mine = _own_ticks(), current_cpu()
    if mine in after and own_before is not None and own_now is not None:
        after[mine] += max(0, own_now - own_before)
    common = sorted(allowed & before.keys() & after.keys())
    if not common:
        return None
    return max(common, key=lambda cpu: (after[cpu] - before[cpu], -cpu))


def _idle_times() -> dict[int, int]:
    """Each CPU's idle plus iowait time so far, in clock ticks (Linux /proc/stat), or {}."""
    try:
        lines = _CPU_TIMES.read_text().splitlines()
    except OSError:
        return {}
    idle = {}
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and len(fields) >= 5:
            idle[int(name[3:])] = int(fields[3]) + int(fields[4])
    return idle
