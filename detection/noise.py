"""Masking noise in text: every TEXT rule of the noise table (core.noise) replaces what it recognises
with a placeholder. Text is compared in its masked form, so a view counter or a "last updated" stamp
never makes a change, while a date or number inside the rule text itself (an effective date, a
deadline) is left alone: only labelled or clock-shaped values are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.noise import LABEL_ONLY, NOISE_RULES, PLACEHOLDER, TEXT, rules
from core.text import CJK_TEXT, nfkc, strip_invisible

_TEXT_RULES = rules(TEXT)
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{CJK_TEXT}])|(?<=[{CJK_TEXT}])\s+")
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
    return _SPACE_NEAR_CJK.sub("", _WS.sub(" ", text)).strip()


def mask(text: str) -> Masked:
    """The normalised text with every volatile value replaced by a placeholder."""
    text = normalise(text)
    kinds = set()
    for rule in _TEXT_RULES:
        text, n = rule.pattern.subn(PLACEHOLDER, text)
        if n:
            kinds.add(rule.kind)
    return Masked(text, frozenset(kinds))


def describe(kind: str) -> str:
    for rule in NOISE_RULES:
        if rule.kind == kind:
            return rule.description
    return kind
