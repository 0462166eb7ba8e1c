"""The `rulewatch` command's entry point: the CLI, in a process tuned for a short batch run.

Importing the CLI makes some 300,000 objects (SQLAlchemy, pydantic, our models) that live as long as
the process, and a cycle then allocates mostly short-lived, acyclic ones (bytes, strings, rows). With
CPython's default thresholds the collector walks the import-time objects again and again: about 5% of
a cycle of 500 pages. So collections start later, and the import-time objects are frozen out of them.
Cyclic garbage (parsed HTML trees) is still collected, every GC_GENERATION0 allocations.
"""

from __future__ import annotations

import gc

GC_GENERATION0 = 20_000  # CPython's default is 700
GC_OLDER = (20, 20)  # collections of generation 0 before one of 1; of 1 before one of 2 (default 10, 10)


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(GC_GENERATION0, *GC_OLDER)
    from rulewatch.cpu import note_start

    note_start()  # the CPUs' idle times, before the imports: see rulewatch/cpu.py
    from rulewatch.cli import main as cli_main

    gc.freeze()
    return cli_main(argv)
