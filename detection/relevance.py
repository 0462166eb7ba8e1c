"""Bilingual topic matching: which watched topics a text is about, and the terms that decided it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rulewatch.core.errors import TaxonomyError
from rulewatch.core.text import CJK_CHARACTER, CJK_IDEOGRAPHS, nfkc, strip_invisible
from rulewatch.detection.tables import bundled_table, user_table

_WS = re.compile(r"\s+")
_SEPARATORS = "-‐‑–—_/"  # read as spaces: "cyber-security", "cyber_security" and "cyber security" are one term
# A space between two CJK characters; the pattern starts with the space so the scan jumps from space to space.
_SPACE_IN_CJK = re.compile(f" (?<=[{CJK_IDEOGRAPHS}] )(?=[{CJK_IDEOGRAPHS}])")
# A document is "about" a topic when its title matches, or its body names the topic this often.
ABOUT_MIN_DISTINCT_TERMS = 2
ABOUT_MIN_HITS = 3


@dataclass(frozen=True, slots=True)
class Matches:
    """Per topic, the terms found (sorted), and how often terms were found in total."""

    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted(t for t, terms in self.terms.items() if terms))

    def all_terms(self) -> tuple[str, ...]:
        return tuple(sorted({term for terms in self.terms.values() for term in terms}))

    def about(self) -> Matches:
        """Only the topics this text is substantially about (several terms or hits)."""
        keep = {
            t: terms
            for t, terms in self.terms.items()
            if len(terms) >= ABOUT_MIN_DISTINCT_TERMS or self.hits.get(t, 0) >= ABOUT_MIN_HITS
        }
        return Matches(keep, {t: self.hits[t] for t in keep})

    def merge(self, other: Matches) -> Matches:
        topics = set(self.terms) | set(other.terms)
        return Matches(
            {t: tuple(sorted(set(self.terms.get(t, ())) | set(other.terms.get(t, ())))) for t in topics},
            {t: self.hits.get(t, 0) + other.hits.get(t, 0) for t in topics},
        )

    def only(self, topics: tuple[str, ...]) -> Matches:
        if not topics:
            return self
        return Matches({t: v for t, v in self.terms.items() if t in topics},
                       {t: v for t, v in self.hits.items() if t in topics})


def _fold(text: str) -> str:
    """NFKC, lower case, separators unified; whitespace between CJK characters removed."""
    text = nfkc(strip_invisible(text)).lower()
    for separator in _SEPARATORS:
        if separator in text:
            text = text.replace(separator, " ")
    return _SPACE_IN_CJK.sub("", " ".join(text.split()))


@dataclass(frozen=True, slots=True)
class _Term:
    """A term as matched: CJK as a plain substring of the squeezed text; others by a word-boundary
    pattern, tried only when the term's first word occurs at all (a cheap substring test)."""

    term: str
    pattern: re.Pattern[str]
    cjk: bool
    needle: str  # CJK: the substring; others: the first word, for the quick test

    def count(self, folded: str, squeezed: str) -> int:
        if self.cjk:
            return squeezed.count(self.needle)
        if self.needle not in folded:
            return 0
        return len(self.pattern.findall(folded))


def _compile(term: str) -> _Term:
    folded = _fold(term).strip()
    if CJK_CHARACTER.search(folded):
        needle = folded.replace(" ", "")
        return _Term(term, re.compile(re.escape(needle)), True, needle)
    body = re.escape(folded).replace(r"\ ", " ?")
    pattern = re.compile(rf"(?<![a-z0-9]){body}(?:s|es)?(?![a-z0-9])")
    return _Term(term, pattern, False, folded.split(" ")[0])


class Taxonomy:
    """Topics and their terms. Load with `Taxonomy.load()`; match with `match(text)`."""

    def __init__(self, topics: dict[str, list[str]]) -> None:
        self.topics: dict[str, list[_Term]] = {}
        for name, terms in topics.items():
            seen: set[str] = set()
            compiled = []
            for term in terms:
                t = _compile(term)
                if t.pattern.pattern not in seen:  # "cyber-security" and "cyber security" are one term
                    seen.add(t.pattern.pattern)
                    compiled.append(t)
            self.topics[name] = compiled

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.topics))

    def match(self, text: str) -> Matches:
        if not text:
            return Matches()
        folded = _fold(text)
        squeezed = folded.replace(" ", "")
        terms: dict[str, tuple[str, ...]] = {}
        hits: dict[str, int] = {}
        for topic, compiled in self.topics.items():
            found = []
            count = 0
            for t in compiled:
                n = t.count(folded, squeezed)
                if n:
                    found.append(t.term)
                    count += n
            if found:
                terms[topic] = tuple(sorted(found))
                hits[topic] = count
        return Matches(terms, hits)

    @classmethod
    def load(cls, extra: Path | None = None) -> Taxonomy:
        """The bundled taxonomy, extended by `extra` (a YAML file of the same shape) if given."""
        topics = _parse(bundled_table("topics.yaml"), "detection/topics.yaml")
        if extra is not None:
            for name, terms in _parse(user_table(extra, "topics"), str(extra)).items():
                topics[name] = topics.get(name, []) + [t for t in terms if t not in topics.get(name, [])]
        return cls(topics)


def _parse(data: object, where: str) -> dict[str, list[str]]:
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise TaxonomyError(f"{where}: expected a mapping with a 'topics:' mapping")
    out: dict[str, list[str]] = {}
    for name, entry in data["topics"].items():
        terms = entry.get("terms") if isinstance(entry, dict) else entry
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise TaxonomyError(f"{where}: topic {name!r}: 'terms' must be a list of non-empty strings")
        out[str(name)] = [t.strip() for t in terms]
    return out
