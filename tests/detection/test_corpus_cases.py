"""The labelled corpus at the level of the pure core: extract both phases, compare, judge.

The whole product (fetching, following, storing, the CLI) is judged on the same corpus in
tests/rulewatch/test_corpus_eval.py."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from rulewatch.detection.compare import compare
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.scrapers.extract import extract

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["cases"]
TYPES = {".html": "text/html", ".json": "application/json", ".xml": "text/xml"}
BASE = "http://127.0.0.1:8000"


def canon(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['case']}-{c['change']}")
def test_case(case: dict, taxonomy: Taxonomy) -> None:
    docs = []
    for phase in ("phase1", "phase2"):
        path = CORPUS / phase / case["case"] / case["entry"]
        body = path.read_bytes().replace(b"http://HOST", BASE.encode())
        docs.append(extract(body, TYPES[path.suffix], f"{BASE}/{case['case']}/{case['entry']}"))
    verdict = judge(compare(*docs), *docs, taxonomy)
    text = canon("\n".join(f"{a.title}\n{a.added}\n{a.removed}\n{a.url}" for a in verdict.findings))
    assert bool(verdict.findings) == case["expect_alert"], verdict.reasons
    for evidence in case["evidence"]:
        assert canon(evidence) in text
    for banned in case["must_not_mention"]:
        assert canon(banned) not in text
    if case["expect_alert"]:
        assert set(case["topics"]) & set(verdict.topics)
