"""Learning from a source's history: a block that changes on (nearly) every check is volatile there.

A block is known by its shape: its masked text with every digit replaced, so "Temperature 12°C" and
"Temperature 15°C" share one shape while an amended article does not share the old one's. The store
counts, per source and shape, how often the shape changed in place and since which check it has been
watched; `is_volatile` decides from those counts. Pure functions only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

LEARN_MIN_CHANGES = 3  # never call a block volatile before it changed this many times
LEARN_SHARE = 0.8  # ...and on at least this share of the checks since it was first seen changing
_DIGITS = re.compile(r"\d+")


def shape(masked_text: str) -> str:
    """A short, stable key for a block's shape (digits do not count)."""
    return _key(_DIGITS.sub("#", masked_text))


def same_shape(old_masked: str, new_masked: str) -> str | None:
    """The shape two versions share, or None: hashed only when they do share it (a rewritten page's
    thousands of changed blocks mostly do not)."""
    old_form = _DIGITS.sub("#", old_masked)
    return _key(old_form) if old_form == _DIGITS.sub("#", new_masked) else None


def _key(form: str) -> str:
    return hashlib.blake2b(form.encode(), digest_size=12).hexdigest()


def is_volatile(changes: int, checks_since_first: int) -> bool:
    """True when a shape changed on (nearly) every check since it was first seen changing."""
    return changes >= LEARN_MIN_CHANGES and changes >= LEARN_SHARE * max(1, checks_since_first)


def learned_volatile(history: Iterable[tuple[str, int, int]], compares: int) -> frozenset[str]:
    """The shapes a source's history shows as noise, from its (shape, changes, first compare) counts
    and its number of comparisons so far."""
    return frozenset(shape for shape, changes, first in history if is_volatile(changes, (compares or 0) - first + 1))
