"""Detection: pure functions from two Documents to a Change (detection.compare), and from a Change to
a Verdict (detection.judge, detection.relevance, detection.explain).

Import from the submodules. This package re-exports nothing, so importing one light submodule (the
settings read detection.health) does not load comparison and judgement (rapidfuzz, the explanation
tables), which a cycle with no changed page never needs.
"""
