"""Detection: pure functions from two Documents to a Change, and from a Change to a Verdict."""

from core.model import Alert, Change, Verdict
from detection.compare import compare
from detection.judge import RelevancePolicy, judge
from detection.relevance import Taxonomy

__all__ = ["Alert", "Change", "RelevancePolicy", "Taxonomy", "Verdict", "compare", "judge"]
