"""Severity: each signal on its own, the table users override, and the corpus's order (high above low)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from rulewatch.core.errors import TaxonomyError
from rulewatch.core.model import SEVERITY_ORDER, KeyDate, TextChange
from rulewatch.detection.compare import compare
from rulewatch.detection.explain import ExplainContext
from rulewatch.detection.gloss import Glossary, block_facts
from rulewatch.detection.judge import judge
from rulewatch.detection.relevance import Taxonomy
from rulewatch.detection.severity import SeverityWeights, document_stage, rate
from rulewatch.scrapers.extract import extract

TODAY = date(2026, 11, 29)
WEIGHTS = SeverityWeights.load()
GLOSSARY = Glossary.load()


def facts(old: str, new: str, kind: str = "changed"):  # noqa: ANN201
    return [block_facts(TextChange(kind, "第四条", old, new), GLOSSARY)]  # type: ignore[arg-type]


def score_of(**kwargs) -> tuple[int, tuple[str, ...]]:  # noqa: ANN003
    base = {"stage": "final", "issuer": "", "topics": (), "today": TODAY, "weights": WEIGHTS}
    severity = rate(**(base | kwargs))
    return severity.score, severity.reasons


BASE = score_of()[0]
W = WEIGHTS.signals


@pytest.mark.parametrize(("title", "stage"), [
    ("关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知", "draft"),
    ("Computer-Security Incident Notification Requirements; Proposed Rule", "draft"),
    ("银行保险机构数据安全管理办法", "final"),
    ("Computer-Security Incident Notification Requirements for Banking Organizations", "final"),
    ("China resumes review of bank IT procurement and cybersecurity rules", "news"),
])
def test_the_stage_of_a_document(title: str, stage: str) -> None:
    assert document_stage(title) == stage


def test_final_weighs_more_than_draft_and_draft_more_than_news() -> None:
    assert score_of(stage="final")[0] > score_of(stage="draft")[0] > score_of(stage="news")[0]
    assert score_of(stage="draft")[1] == (f"a draft for comment (+{W['draft_for_comment']})",)


def test_a_shortened_deadline() -> None:
    score, reasons = score_of(facts=facts("应当在二十四小时内报告", "应当在两小时内报告"))
    assert score == BASE + W["deadline_tightened"]
    assert reasons[0] == f"reporting deadline 24 hours → 2 hours in Art. 4 (+{W['deadline_tightened']})"
    assert score_of(facts=facts("应当在两小时内报告", "应当在二十四小时内报告"))[0] == BASE  # relaxed


def test_a_tightened_quantity() -> None:
    assert score_of(facts=facts("比例不低于50%", "比例不低于75%"))[0] == BASE + W["quantity_tightened"]


def test_a_new_prohibition_and_a_new_obligation() -> None:
    assert score_of(facts=facts("可以采购境外产品", "不得采购境外产品"))[0] == BASE + W["new_prohibition"]
    assert score_of(facts=facts("可以报告", "应当报告"))[0] == BASE + W["new_obligation"]
    assert score_of(facts=facts("", "第四条 运营者应当报告。", "added"))[0] == BASE + W["new_obligation"]


def test_a_news_article_binds_no_one() -> None:
    assert score_of(stage="news", facts=facts("可以报告", "应当报告"))[0] == score_of(stage="news")[0]


def test_a_moved_key_date() -> None:
    score, reasons = score_of(facts=facts("本办法自2027年1月1日起施行。", "本办法自2027年7月1日起施行。"))
    assert score == BASE + W["key_date_changed"]
    assert f"effective date 2027-01-01 → 2027-07-01 in Art. 4 (+{W['key_date_changed']})" in reasons


@pytest.mark.parametrize(("role", "day", "signal"), [
    ("effective", "2026-12-20", "effective_within_30_days"),
    ("compliance_deadline", "2026-12-29", "effective_within_30_days"),
    ("comment_deadline", "2026-12-05", "comment_deadline_within_14_days"),
])
def test_a_date_that_falls_soon(role: str, day: str, signal: str) -> None:
    assert score_of(key_dates=[KeyDate(role, day, "")])[0] == BASE + W[signal]  # type: ignore[arg-type]


@pytest.mark.parametrize(("role", "day"), [("effective", "2027-03-01"), ("effective", "2026-11-01"), ("effective", "")])
def test_a_date_far_off_past_or_unknown_is_not_soon(role: str, day: str) -> None:
    assert score_of(key_dates=[KeyDate(role, day, "")])[0] == BASE  # type: ignore[arg-type]


def test_a_repeal_and_a_withdrawal() -> None:
    assert score_of(key_dates=[KeyDate("repeal", "", "")])[0] == BASE + W["repeal"]
    assert score_of(withdrawn=True)[0] == BASE + W["withdrawn"]


def test_issuer_and_topic() -> None:
    assert score_of(issuer="regulator")[0] == BASE + WEIGHTS.issuers["regulator"]
    assert score_of(issuer="press")[0] == BASE + WEIGHTS.issuers["press"]
    assert score_of(topics=("cybersecurity", "procurement"))[0] == BASE + max(WEIGHTS.topics.values())


def test_the_levels_follow_the_table() -> None:
    assert WEIGHTS.level(WEIGHTS.high) == "high"
    assert WEIGHTS.level(WEIGHTS.high - 1) == "medium"
    assert WEIGHTS.level(WEIGHTS.medium - 1) == "low"


def test_users_override_the_table_and_typos_are_named(tmp_path: Path) -> None:
    override = tmp_path / "severity.yaml"
    override.write_text("levels: {high: 4}\nsignals: {news: 5}\ntopics: {payments: 2}\n", "utf-8")
    weights = SeverityWeights.load(override)
    assert (weights.high, weights.medium, weights.signals["news"], weights.topics["payments"]) == (4, 4, 5, 2)
    assert weights.signals["final_rule"] == WEIGHTS.signals["final_rule"]
    override.write_text("signals: {new_prohibitions: 5}\n", "utf-8")
    with pytest.raises(TaxonomyError, match="signals.new_prohibitions: no such signal"):
        SeverityWeights.load(override)
    override.write_text("signals: {news: high}\n", "utf-8")
    with pytest.raises(TaxonomyError, match="signals.news: 'high' is not a whole number"):
        SeverityWeights.load(override)


# ---- the corpus ------------------------------------------------------------------------------------

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
TYPES = {".html": "text/html", ".json": "application/json", ".xml": "text/xml"}


def corpus_alerts() -> list:
    cases = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))["cases"]
    taxonomy = Taxonomy.load()
    alerts = []
    for case in (c for c in cases if c["expect_alert"]):
        docs = [extract((CORPUS / phase / case["case"] / case["entry"]).read_bytes(),
                        TYPES[Path(case["entry"]).suffix], f"http://127.0.0.1/{case['case']}/{case['entry']}")
                for phase in ("phase1", "phase2")]
        issuer = "press" if case["template"].startswith("news") else "regulator"
        context = ExplainContext.default(TODAY, issuer=issuer)
        alerts += [(case["change"], a) for a in judge(compare(*docs), *docs, taxonomy, context=context).findings]
    return alerts


def test_on_the_corpus_amendments_are_high_news_is_low_and_every_high_sorts_above_every_low() -> None:
    alerts = corpus_alerts()
    by_change: dict[str, set[str]] = {}
    for change, alert in alerts:
        by_change.setdefault(change, set()).add(alert.severity)
    assert by_change["amend_rel"] == {"high"} and by_change["addart_rel"] == {"high"}
    assert by_change["news_rel"] == {"low"}
    assert by_change["add_rel"] <= {"medium", "low"} and by_change["withdraw_rel"] == {"medium"}
    ordered = [a.severity for _, a in sorted(alerts, key=lambda ca: SEVERITY_ORDER[ca[1].severity])]
    assert max(i for i, s in enumerate(ordered) if s == "high") < min(i for i, s in enumerate(ordered) if s == "low")


@pytest.mark.parametrize(("yaml_text", "says"), [
    ("levels:\n  high: 3\n  medium: 5\n", "medium (5) must be above 0 and at most high (3)"),
    ("levels:\n  medium: 0\n", "medium (0) must be above 0"),
    ("signals:\n  final_rule: 100000\n", "signals.final_rule: 100000 is beyond ±100"),
])
def test_nonsense_thresholds_and_weights_are_refused(tmp_path: Path, yaml_text: str, says: str) -> None:
    from rulewatch.core.errors import TaxonomyError
    from rulewatch.detection.severity import SeverityWeights

    path = tmp_path / "severity.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=re.escape(says)):
        SeverityWeights.load(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_users_table_in_utf16_or_with_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    from rulewatch.detection.severity import SeverityWeights

    path = tmp_path / "severity.yaml"
    path.write_bytes("levels:\n  high: 9  # 高\n".encode(encoding))
    assert SeverityWeights.load(path).high == 9


def test_a_gbk_table_is_refused_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    from rulewatch.core.errors import TaxonomyError
    from rulewatch.detection.tables import user_table

    path = tmp_path / "glossary.yaml"
    path.write_bytes("网络安全: cybersecurity\n".encode("gbk"))
    with pytest.raises(TaxonomyError, match=r"glossary.yaml: cannot read the glossary: it is not UTF-8 text .*iconv"):
        user_table(path, "the glossary")
