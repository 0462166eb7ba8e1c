"""Key dates: the labelled sentences in tests/data/key_dates, and the rules no date may break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulewatch.detection.dates import MAX_DATES, cn_number, field_key_dates, find_key_dates, kept_with_key_dates

CASES = json.loads((Path(__file__).parents[1] / "data" / "key_dates" / "cases.json").read_text("utf-8"))["cases"]
REQUIRED_ACCURACY = 0.95


def _found(case: dict) -> list[dict[str, str]]:
    return [{"role": kd.role, "date": kd.date} for kd in find_key_dates([("", case["text"])], case["published"])]


def test_the_labelled_set_is_large_and_mixed() -> None:
    chinese = [c for c in CASES if any("\u4e00" <= ch <= "\u9fff" for ch in c["text"])]
    assert len(CASES) >= 60
    assert 20 <= len(chinese) <= len(CASES) - 20
    assert sum(1 for c in CASES if not c["expect"]) >= 15  # sentences that must yield no date


def test_role_and_date_are_right_in_at_least_95_percent_of_sentences() -> None:
    wrong = [(c["text"], _found(c), c["expect"]) for c in CASES if _found(c) != c["expect"]]
    accuracy = 1 - len(wrong) / len(CASES)
    assert accuracy >= REQUIRED_ACCURACY, wrong


def test_no_sentence_yields_a_date_it_does_not_hold() -> None:
    """A false date is worse than a missed one: it sends a team to the wrong day."""
    false_dates = []
    for case in CASES:
        expected = {(e["role"], e["date"]) for e in case["expect"]}
        false_dates += [(case["text"], kd) for kd in _found(case) if (kd["role"], kd["date"]) not in expected]
    assert false_dates == []


@pytest.mark.parametrize("text", ["银保监发〔2021〕15号", "网络运营者应当在30日内报告。", "浏览次数：2026"])
def test_document_numbers_and_bare_day_counts_are_never_dates(text: str) -> None:
    assert find_key_dates([("", text)], "2026-01-01") == ()


def test_a_date_carries_its_sentence_and_article() -> None:
    blocks = [("第七条", "第七条 各机构应于2026年6月30日前完成改造。其他内容。"), ("", "第八条 本办法自2027年1月1日起施行。")]
    dates = find_key_dates(blocks)
    assert [(d.role, d.date, d.article) for d in dates] == [
        ("compliance_deadline", "2026-06-30", "第七条"), ("effective", "2027-01-01", "第八条")]
    assert dates[0].evidence == "第七条 各机构应于2026年6月30日前完成改造。"


def test_a_date_named_twice_is_listed_once_and_the_list_is_bounded() -> None:
    text = "".join(f"第{i}条 各机构应于2026年{i % 12 + 1}月{i % 27 + 1}日前完成第{i}项改造。" for i in range(1, 60))
    dates = find_key_dates([("", text)] * 2)
    assert len(dates) == MAX_DATES
    assert len({(d.role, d.date) for d in dates}) == len(dates)


def test_full_width_digits_and_chinese_numerals() -> None:
    assert cn_number("二〇二五") == 2025
    assert cn_number("三十一") == 31
    assert cn_number("十二") == 12
    assert cn_number("一百二十") == 120
    assert cn_number("两") == 2 and cn_number("三千") == 3000 and cn_number("一千零二") == 1002
    assert [d.date for d in find_key_dates([("", "本办法自２０２６年１月１日起施行。")])] == ["2026-01-01"]


def test_structured_fields_name_their_dates() -> None:
    dates = field_key_dates([("effective_on", "2026-03-01"), ("comments_close_on", "2026-01-15"),
                             ("docket_ids", "CFPB-2026-0001"), ("effective_on", "")])
    assert [(d.role, d.date) for d in dates] == [("effective", "2026-03-01"), ("comment_deadline", "2026-01-15")]


def test_a_long_detail_page_keeps_its_opening_and_the_sentences_that_set_its_dates() -> None:
    articles = [f"第{n}条 银行业金融机构应当加强信息科技风险管理。" for n in range(1, 200)]
    text = "\n".join(articles + ["第二百条 本办法自2027年1月1日起施行。"])
    kept = kept_with_key_dates(text, 500)
    assert kept.startswith(text[:500]) and kept.endswith("\n…\n第二百条 本办法自2027年1月1日起施行。")
    assert [(d.role, d.date) for d in find_key_dates([("", kept)])] == [("effective", "2027-01-01")]
    assert kept_with_key_dates("短文本", 500) == "短文本"
    assert kept_with_key_dates("\n".join(articles), 500) == "\n".join(articles)[:500]


@pytest.mark.parametrize(("text", "day"), [
    ("The compliance date for this rule is March 1, 2028.", "2028-03-01"),
    ("Compliance date: June 30, 2027.", "2027-06-30"),
    ("Covered entities must comply by January 15, 2028.", "2028-01-15"),
    ("Compliance with the incident reporting requirements in § 226.4 is required beginning October 1, 2027.",
     "2027-10-01"),
    ("Small entities shall be in compliance with this subpart no later than 1 March 2029.", "2029-03-01"),
    ("各运营者应于2027年3月31日前完成整改并报送整改报告。", "2027-03-31"),
])
def test_compliance_phrasings_give_a_compliance_deadline(text: str, day: str) -> None:
    """The Federal Register says "compliance date" constantly: each phrasing is a compliance deadline."""
    assert [(kd.role, kd.date) for kd in find_key_dates([("", text)])] == [("compliance_deadline", day)]
