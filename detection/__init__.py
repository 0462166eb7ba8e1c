"""Detection: pure functions from two Documents to a Change, and from a Change to a Verdict."""

from detection.compare import compare
from detection.judge import RelevancePolicy, judge
from detection.model import AlertDraft, Change, Verdict
from detection.relevance import Taxonomy

__all__ = ["AlertDraft", "Change", "RelevancePolicy", "Taxonomy", "Verdict", "compare", "judge"]
