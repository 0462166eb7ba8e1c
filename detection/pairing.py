"""Which old block became which new one, inside a stretch of a document where blocks differ.

Blocks similar enough (PAIR_RATIO) are one edited block; the rest are removed and added. The work is
bounded whatever the page: each old block is measured against at most PAIR_CALLS_PER_BLOCK new ones,
tried in this order, and the first stage that finds a block similar enough ends its search:

1. the new block with the same article key (第八条, Article 5, § 3), when that key names one block on
   each side: a rule rewritten whole keeps its numbering, and an article pairs in one measure;
2. the diagonal: the new block as far past the last pair as this old block is, and the next new block
   not yet paired. After a pair the next old block most often became the next new one, which carries
   renumbered articles and unnumbered paragraphs; an old block rewritten beyond pairing does not
   throw the rest off, since the diagonal steps over the new block that replaced it;
3. the PAIR_WINDOW new blocks after that, while the comparison's PAIR_SEARCH_BUDGET lasts: a block
   inserted or removed nearby. The further a candidate lies from the diagonal, the more similar it
   must be (DRIFT_PENALTY), so a chance likeness between two articles of one rule does not pair them;
   and a block found off the diagonal goes to the next old block instead when that one is more alike.

Similarity is rapidfuzz's normalised Indel similarity (2·LCS / total length, in C++). A page rewritten
whole used to compare every pair with difflib: 0.58 s of CPU for a page of 25 articles (issue 18).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

PAIR_RATIO = 0.5  # blocks at least this similar are one changed block, not a removal plus an addition
PAIR_WINDOW = 8  # new blocks after the diagonal an unpaired old block is tried against
# Key, diagonal and next, window, and the next old block against the one found: no block is measured more.
PAIR_CALLS_PER_BLOCK = 4 + PAIR_WINDOW
PAIR_SEARCH_BUDGET = 4000  # window measures one comparison may spend; key and diagonal are always tried
# A block away from the diagonal must be this much more similar per block of distance: a wrong pair
# (one article's text shown as rewritten into another's) misleads, where removed and added text does not.
DRIFT_PENALTY = 0.04

Similarity = Callable[[str, str], float]
Pair = tuple[int | None, int | None]


def similarity(a: str, b: str) -> float:
    """2·LCS / (len(a) + len(b)), or 0 below PAIR_RATIO (which lets rapidfuzz stop early)."""
    return fuzz.ratio(a, b, score_cutoff=PAIR_RATIO * 100) / 100


def pair_blocks(
    old: Sequence[str],
    new: Sequence[str],
    old_keys: Sequence[str],
    new_keys: Sequence[str],
    measure: Similarity = similarity,
) -> list[Pair]:
    """Old and new indices in document order: (i, j) for an edited block, (i, None) for a removed one,
    (None, j) for an added one. Every index appears exactly once."""
    unique_keys = _keys_naming_one_block(old_keys, new_keys)
    pairs: list[Pair] = []
    next_new = 0  # new blocks before this one are paired or passed over as added
    misses = 0  # old blocks left unpaired since the last pair
    budget = PAIR_SEARCH_BUDGET
    for i, text in enumerate(old):
        search = _Search(text, new, next_new, unique_keys.get(old_keys[i]) if old_keys[i] else None,
                         next_new + misses, measure)
        search.consider((search.keyed, search.expected, next_new))
        if search.best() is None and budget > 0:
            window = [j for j in range(next_new + 1, min(len(new), next_new + 1 + PAIR_WINDOW)) if j not in search.fits]
            window = window[:budget]
            budget -= len(window)
            search.consider(window)
        match = search.best()
        # A block off the diagonal may be the next old block's own: that one, more alike, keeps it.
        if (match is not None and match not in (search.keyed, search.expected) and i + 1 < len(old)
                and measure(old[i + 1], new[match]) > search.fits[match] + _penalty(match, search.expected)):
            match = None
        if match is None:
            pairs.append((i, None))
            misses += 1
            continue
        misses = 0
        pairs.extend((None, j) for j in range(next_new, match))
        pairs.append((i, match))
        next_new = match + 1
    pairs.extend((None, j) for j in range(next_new, len(new)))
    return pairs


@dataclass
class _Search:
    """The new blocks tried for one old block, each with its similarity less its drift penalty."""

    text: str
    new: Sequence[str]
    first: int  # new blocks before this one are taken
    keyed: int | None  # the new block with this block's article key
    expected: int  # the diagonal
    measure: Similarity
    fits: dict[int, float] = field(default_factory=dict)  # < 0: not alike enough

    def consider(self, candidates: Sequence[int | None]) -> None:
        for j in candidates:
            if j is None or j in self.fits or not self.first <= j < len(self.new):
                continue
            penalty = 0.0 if j in (self.keyed, self.expected) else _penalty(j, self.expected)
            needed = PAIR_RATIO + penalty
            score = self.measure(self.text, self.new[j]) if _lengths_allow(self.text, self.new[j], needed) else 0.0
            self.fits[j] = score - penalty if score >= needed else -1.0

    def best(self) -> int | None:
        """The candidate that fits best (on a tie, the nearest the diagonal), or None if none fits."""
        found = max(self.fits, key=lambda j: (self.fits[j], -abs(j - self.expected)), default=None)
        return found if found is not None and self.fits[found] >= 0 else None


def _penalty(j: int, expected: int) -> float:
    return DRIFT_PENALTY * abs(j - expected)


def _keys_naming_one_block(old_keys: Sequence[str], new_keys: Sequence[str]) -> dict[str, int]:
    """Article key -> its new block, for keys that name exactly one block on each side."""
    old_count = Counter(k for k in old_keys if k)
    new_count = Counter(k for k in new_keys if k)
    return {k: j for j, k in enumerate(new_keys) if k and new_count[k] == 1 and old_count[k] == 1}


def _lengths_allow(a: str, b: str, needed: float) -> bool:
    """Whether two texts' lengths alone leave room for a similarity of `needed`: LCS is at most the
    shorter text."""
    return 2 * min(len(a), len(b)) >= needed * (len(a) + len(b))
