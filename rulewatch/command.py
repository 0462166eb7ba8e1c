"""The `rulewatch` command's entry point: the CLI, in a process tuned for a short batch run.

Importing the CLI makes some 300,000 objects (SQLAlchemy, pydantic, our models) that live as long as
the process, and a cycle then allocates mostly short-lived, acyclic ones (bytes, strings, rows). With
CPython's default thresholds the collector walks the import-time objects again and again: about 5% of
a cycle of 500 pages. So collections start later, and the import-time objects are frozen out of them.
Cyclic garbage (parsed HTML trees) is still collected, every GC_GENERATION0 allocations.

For the same objects, the interpreter's own exit spends 30 to 50 ms freeing them one by one, memory
the system takes back at once: `leave()` ends the process without that teardown, once what an exit
does that matters (atexit handlers, logging's flush among them, and the standard streams) is done.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

GC_GENERATION0 = 20_000  # CPython's default is 700
GC_OLDER = (20, 20)  # collections of generation 0 before one of 1; of 1 before one of 2 (default 10, 10)


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(GC_GENERATION0, *GC_OLDER)
    from rulewatch.cpu import note_start

    note_start()  # the CPUs' idle times, before the imports: see rulewatch/cpu.py
    from rulewatch.cli import main as cli_main

    gc.freeze()
    code = cli_main(argv)
    leave(code)
    return code  # not reached unless a thread still runs: the interpreter's exit waits for it


def leave(code: int) -> None:
    """End the process with `code` after the atexit handlers and a flush of the standard streams,
    skipping the teardown of every module's objects. Returns instead while a non-daemon thread runs
    (an exit waits for those). A stream that cannot be flushed makes the status 120, as Python's
    own exit does."""
    main_thread = threading.main_thread()
    if any(not t.daemon for t in threading.enumerate() if t is not main_thread):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader that went away, a closed stream
            code = 120
    os._exit(code)
