"""Mutes: what the team said is never applicable to it, so that alerts like it are recorded and shown
as muted instead of posted. Someone finds an alert not applicable and asks to mute similar ones: from
the same source, either alerts that match only the same watched terms, or list items whose title has
the same shape (the same words, any numbers: 关于第#批信息技术产品的通知).

A mute never loses an alert: the recorder keeps it, marked with the mute that caught it
(`rulewatch alerts`), and delivery leaves it alone. A mute never catches what is rated high: a team
that muted a routine notice still hears when the same source says something severe.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rulewatch.core.model import Finding

MUTABLE_KINDS = frozenset({"new_item", "removed_item", "changed_item", "changed_text", "title_changed"})
NEVER_MUTED_SEVERITIES = frozenset({"high"})
_NUMBER = re.compile(r"\d+")
NUMBER_MARK = "#"
MAX_PATTERN_CHARS = 500


def title_shape(title: str) -> str:
    """A title with its numbers made wild and its spacing and width normalised: 第3批 and 第４批 agree."""
    text = " ".join(unicodedata.normalize("NFKC", title).split())
    return _NUMBER.sub(NUMBER_MARK, text)[:MAX_PATTERN_CHARS]


@dataclass(frozen=True, slots=True)
class Mute:
    """One mute: a source, and either the terms an alert may match at most, or a title shape."""

    id: int
    source: str
    terms: tuple[str, ...] = ()
    title_pattern: str = ""

    @property
    def what(self) -> str:
        """What it mutes, in words."""
        if self.title_pattern:
            return f"{self.source}: items titled like “{self.title_pattern}”"
        return f"{self.source}: alerts matching only {', '.join(self.terms)}"

    def catches(self, source: str, finding: Finding) -> bool:
        """Whether this mute catches a finding recorded for `source`."""
        if source != self.source or finding.kind not in MUTABLE_KINDS or finding.severity in NEVER_MUTED_SEVERITIES:
            return False
        if self.title_pattern:
            return title_shape(finding.title) == self.title_pattern
        return bool(self.terms) and bool(finding.matched_terms) and set(finding.matched_terms) <= set(self.terms)


def catching(mutes: list[Mute], source: str, finding: Finding) -> Mute | None:
    """The first (oldest) mute that catches the finding, or None."""
    return next((m for m in mutes if m.catches(source, finding)), None)
