"""Keeping a cycle's threads on one CPU.

A cycle is many threads under one GIL: at most one of them runs Python at any moment, so a second CPU
buys it almost nothing. It costs, though: every hand-over of the GIL (at each socket read, each lxml
parse) can wake a thread on the other CPU, whose caches hold none of the cycle's data. Measured on two
cores: 500 pages, half of them changed, 1.29 s on any CPU against 1.15 s kept on one (bench/RESULTS.md).
The CPU kept is the one the process already runs on: the kernel placed it there, on the idlest CPU,
when it started; several rulewatch processes started at once land on different CPUs the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

_STAT = Path("/proc/self/stat")
_PROCESSOR_FIELD = 38  # 0-based index of "processor" (the CPU last run on) in /proc/<pid>/stat


def current_cpu() -> int | None:
    """The CPU this process last ran on (Linux), or None where that cannot be read."""
    try:
        stat = _STAT.read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    fields = stat[stat.rindex(")") + 2:].split()
    index = _PROCESSOR_FIELD - 2
    return int(fields[index]) if len(fields) > index and fields[index].isdigit() else None


def stay_on_one_cpu() -> int | None:
    """Restrict this process, and every thread it starts from now on, to one CPU. Call it before any
    thread is started. Returns the CPU, or None when there was no choice to make (one CPU allowed
    already) or the platform has no CPU affinity."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    cpu = current_cpu()
    if cpu not in allowed:
        cpu = min(allowed)
    os.sched_setaffinity(0, {cpu})
    return cpu
