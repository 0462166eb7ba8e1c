"""Masking noise in text: every TEXT rule of the noise table (core.noise) replaces what it recognises
with a placeholder. Text is compared in its masked form, so a view counter or a "last updated" stamp
never makes a change, while a date or number inside the rule text itself (an effective date, a
deadline) is left alone: only labelled or clock-shaped values are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulewatch.core.noise import LABEL_ONLY, NOISE_RULES, PLACEHOLDER, TEXT, rules
from rulewatch.core.text import CJK_TEXT, nfkc, strip_invisible

_TEXT_RULES = rules(TEXT)
# Any rule's hint at all: most blocks hold none, and one scan (0.9 µs) settles it for every hinted rule.
_ANY_HINT = re.compile("|".join(re.escape(hint) for rule in _TEXT_RULES for hint in rule.hints))
_CJK_CHAR = re.compile(rf"[{CJK_TEXT}]")
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with its volatile values replaced, and the kinds that were found."""

    text: str
    kinds: frozenset[str]

    @property
    def only_volatile(self) -> bool:
        """True when nothing but labels and volatile values is left: a metadata line."""
        return bool(self.kinds) and not LABEL_ONLY.sub("", self.text)


def normalise(text: str) -> str:
    """Compare text as a reader would: NFKC, invisible characters gone, whitespace collapsed, no spaces
    next to CJK characters."""
    text = nfkc(strip_invisible(text))
    return _WS.sub(_one_space_unless_cjk, text).strip()


def _one_space_unless_cjk(match: re.Match[str]) -> str:
    """A run of whitespace as one space, or none next to a CJK character (one pass: scanning every
    position for a CJK neighbour cost half of masking)."""
    text, start, end = match.string, match.start(), match.end()
    near_cjk = (start and _CJK_CHAR.match(text, start - 1)) or (end < len(text) and _CJK_CHAR.match(text, end))
    return "" if near_cjk else " "


def mask(text: str) -> Masked:
    """The normalised text with every volatile value replaced by a placeholder."""
    text = normalise(text)
    lowered = text.lower()
    hinted = _ANY_HINT.search(lowered) is not None
    kinds = set()
    for rule in _TEXT_RULES:
        if rule.hints and not (hinted and rule.may_match(lowered)):
            continue
        if rule.needs is not None and not rule.needs.search(text):
            continue
        text, n = rule.pattern.subn(PLACEHOLDER, text)
        if n:
            kinds.add(rule.kind)
    return Masked(text, frozenset(kinds))


def describe(kind: str) -> str:
    for rule in NOISE_RULES:
        if rule.kind == kind:
            return rule.description
    return kind
