"""The English line: golden lines on article pairs, quantities and their units, modality, the glossary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rulewatch.core.errors import TaxonomyError
from rulewatch.core.model import TextChange
from rulewatch.detection.gloss import Glossary, article_english, block_facts, gloss_line, gloss_text_changes, quantities

DATA = Path(__file__).parents[1] / "data" / "gloss" / "cases.json"
CASES = json.loads(DATA.read_text("utf-8"))
GLOSSARY = Glossary.load()


@pytest.mark.parametrize("case", CASES, ids=[c["key"] + " " + c["kind"] for c in CASES])
def test_golden_english_lines(case: dict) -> None:
    change = TextChange(case["kind"], case["key"], case["old"], case["new"])
    assert gloss_line(block_facts(change, GLOSSARY)) == case["expect"]


def test_every_chinese_topic_term_has_an_english_pair() -> None:
    topics = yaml.safe_load((Path(__file__).parents[2] / "detection" / "topics.yaml").read_text("utf-8"))
    chinese = [t for entry in topics["topics"].values() for t in entry["terms"] if re.search("[\u4e00-\u9fff]", t)]
    assert chinese and [t for t in chinese if t not in GLOSSARY.terms] == []


@pytest.mark.parametrize(("text", "expected"), [
    ("二十四小时内", [(24, "hours")]), ("两小时", [(2, "hours")]), ("三十日内", [(30, "days")]),
    ("5个工作日", [(5, "working days")]), ("六个月", [(6, "months")]), ("不低于75%", [(75, "%")]),
    ("不低于７５％", [(75, "%")]), ("处五十万元以下罚款", [(50, "yuan")]), ("3亿元", [(3, "yuan")]), ("处三千元罚款", [(3000, "yuan")]),
    ("第三十条", []), ("自2025年1月1日起施行", []), ("二〇二五年十二月三十一日前", []), ("2027年底前", []),
])
def test_quantities_and_their_units(text: str, expected: list[tuple[float, str]]) -> None:
    assert [(q.value, q.unit) for q in quantities(text)] == expected


def test_tightened_means_stricter_for_whoever_must_comply() -> None:
    def facts(old: str, new: str):  # noqa: ANN202
        return block_facts(TextChange("changed", "", old, new), GLOSSARY).quantities[0]
    assert facts("应当在二十四小时内报告", "应当在两小时内报告").tightened
    assert not facts("应当在两小时内报告", "应当在三日内报告").tightened
    assert facts("应用比例不低于50%", "应用比例不低于75%").tightened
    assert facts("日志留存六个月", "日志留存一年").tightened  # records kept longer


@pytest.mark.parametrize(("key", "english"), [("第四条", "Art. 4"), ("第二十三条", "Art. 23"), ("第一百零二条", "Art. 102"),
                                              ("第一千零二条", "Art. 1002"),
                                              ("第二章", "Ch. 2"), ("Article 5", "Article 5"), ("", "")])
def test_article_numbers_in_english(key: str, english: str) -> None:
    assert article_english(key) == english


def test_an_english_change_needs_no_line_and_long_changes_are_counted() -> None:
    english = TextChange("changed", "Article 4", "Banks shall report within 72 hours.", "Banks shall report within 24 hours.")
    assert gloss_line(block_facts(english, GLOSSARY)) == ""
    many = [block_facts(TextChange("added", f"第{n}条", new=f"第{n}条 运营者应当报告。"), GLOSSARY) for n in range(1, 9)]
    lines = gloss_text_changes(many).splitlines()
    assert len(lines) == 6 and lines[-1] == "… and 3 more changed blocks"


def test_words_outside_the_glossary_are_left_out_not_guessed() -> None:
    line = gloss_line(block_facts(TextChange("added", "第九条", new="第九条 本条款适用于乡镇农业合作社。"), GLOSSARY))
    assert line == "Art. 9 added"


def test_users_extend_and_override_the_glossary(tmp_path: Path) -> None:
    extra = tmp_path / "glossary.yaml"
    extra.write_text("terms:\n  乡镇农业合作社: rural cooperative\n  监管部门: supervisory authority\n", "utf-8")
    glossary = Glossary.load(extra)
    assert glossary.find("监管部门与乡镇农业合作社") == [("监管部门", "supervisory authority"),
                                                   ("乡镇农业合作社", "rural cooperative")]
    extra.write_text("terms:\n  监管部门: ''\n", "utf-8")
    with pytest.raises(TaxonomyError, match="glossary.yaml: term '监管部门'"):
        Glossary.load(extra)
