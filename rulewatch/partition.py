"""Spreading one group of sources over several processes, workers or machines: partition k of n.

A source belongs to one partition, chosen by a stable hash of its name, so the partitions of one n are
disjoint and together hold every source, whichever process computes them and in whatever order the
sources file lists them. A source's state is keyed by its name too: it is always checked by the same
partition, and two partitions never record the same source's change twice.

Per-host politeness stays global: partitions that share a state database share each host's limits
(state.hostlease; on by default with PostgreSQL, RULEWATCH_SHARED_POLITENESS=1 elsewhere).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

MAX_PARTS = 1024
_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class PartitionError(ValueError):
    """A partition that is not of the form k/n with 1 <= k <= n."""


class _Named(Protocol):
    name: str


_S = TypeVar("_S", bound=_Named)


@dataclass(frozen=True, slots=True)
class Partition:
    """Partition `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Partition:
        """'2/4' -> Partition(2, 4); anything else is a PartitionError that quotes it."""
        match = _FORM.fullmatch(text)
        if not match:
            raise PartitionError(f"partition {text!r}: write it as k/n, e.g. 1/2 (the first of two parts)")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= count <= MAX_PARTS:
            raise PartitionError(f"partition {text!r}: the number of parts must be between 1 and {MAX_PARTS}")
        if not 1 <= index <= count:
            raise PartitionError(f"partition {text!r}: the part must be between 1 and {count}")
        return cls(index, count)

    def holds(self, name: str) -> bool:
        """Whether the source called `name` is checked by this partition."""
        return part_of(name, self.count) == self.index

    def select(self, sources: Iterable[_S]) -> list[_S]:
        """The sources of this partition, in their order."""
        return [s for s in sources if self.holds(s.name)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def part_of(name: str, count: int) -> int:
    """The partition (1..count) of the source called `name`: a hash, the same in every process (Python's
    own str hash is salted per process)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1
