"""Pairing blocks of a differing stretch: bounded work per block, and the right pairs for the shapes
of a rule rewritten whole (kept numbering, renumbered, an article rewritten beyond pairing)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.detection.compare import _block_opcodes
from rulewatch.detection.pairing import PAIR_CALLS_PER_BLOCK, PAIR_SEARCH_BUDGET, pair_blocks, similarity

PHRASES = ["银行业金融机构应当", "建立健全信息科技风险管理体系", "对关键信息基础设施实施安全审查",
           "采购安全可控的产品和服务", "在十五个工作日内向监管部门报送", "供应商应当提供源代码并接受检测",
           "开展数据出境安全评估", "制定应急预案并定期演练", "董事会承担最终责任", "按照国家有关规定执行",
           "保险机构的外包活动", "不得将核心业务外包", "个人信息处理者应当", "重要数据目录", "跨境传输前报批",
           "网络产品提供者发现漏洞", "两日内报告主管部门", "商用密码应用安全性评估", "等级保护测评", "整改期限"]
NUMERALS = "一二三四五六七八九十"


def _article(rng: random.Random, number: str) -> str:
    return f"第{number}条 " + "，".join(rng.sample(PHRASES, 3)) + "。"


def _numbers(count: int) -> list[str]:
    return [NUMERALS[n] if n < 10 else f"十{NUMERALS[n - 10]}" for n in range(count)]


def _keys(texts: list[str]) -> list[str]:
    return [t.split(" ", 1)[0] for t in texts]


def _reworded(text: str) -> str:
    """The same article with one of its three phrases reworded."""
    head, body = text.split(" ", 1)
    parts = body.rstrip("。").split("，")
    parts[1] = parts[1][::-1]
    return head + " " + "，".join(parts) + "。"


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, a: str, b: str) -> float:
        self.calls += 1
        return similarity(a, b)


def _check_is_a_pairing(pairs: list[tuple[int | None, int | None]], n_old: int, n_new: int) -> None:
    assert sorted(i for i, _ in pairs if i is not None) == list(range(n_old))
    assert sorted(j for _, j in pairs if j is not None) == list(range(n_new))
    matched = [(i, j) for i, j in pairs if i is not None and j is not None]
    assert matched == sorted(matched) and [j for _, j in matched] == sorted(j for _, j in matched)


TEXTS = st.lists(st.sampled_from(["甲乙丙丁", "甲乙丙戊", "己庚辛", "甲乙", "壬癸甲乙丙", "子丑寅卯辰", "x"]), max_size=60)


@settings(max_examples=400, deadline=None)
@given(TEXTS, TEXTS, st.data())
def test_pairing_never_measures_a_block_more_than_a_fixed_number_of_times(
    old: list[str], new: list[str], data: st.DataObject
) -> None:
    old_keys = data.draw(st.lists(st.sampled_from(["", "第一条", "第二条"]), min_size=len(old), max_size=len(old)))
    new_keys = data.draw(st.lists(st.sampled_from(["", "第一条", "第二条"]), min_size=len(new), max_size=len(new)))
    measure = Counted()
    pairs = pair_blocks(old, new, old_keys, new_keys, measure)
    assert measure.calls <= PAIR_CALLS_PER_BLOCK * len(old)
    _check_is_a_pairing(pairs, len(old), len(new))


def test_a_page_of_thousands_of_unlike_blocks_costs_key_and_diagonal_past_the_budget() -> None:
    rng = random.Random(5)
    old = ["".join(rng.choice("甲乙丙丁戊己庚辛壬癸") for _ in range(30)) for _ in range(6000)]
    new = ["".join(rng.choice("子丑寅卯辰巳午未申酉") for _ in range(30)) for _ in range(6000)]
    measure = Counted()
    pairs = pair_blocks(old, new, [""] * 6000, [""] * 6000, measure)
    assert measure.calls <= 2 * len(old) + PAIR_SEARCH_BUDGET
    assert all(i is None or j is None for i, j in pairs)


def test_a_rule_rewritten_whole_pairs_each_article_with_itself_in_about_one_measure() -> None:
    rng = random.Random(1)
    old = [_article(rng, n) for n in _numbers(19)]
    new = [_reworded(t) for t in old]
    measure = Counted()
    pairs = pair_blocks(old, new, _keys(old), _keys(new), measure)
    assert pairs == [(i, i) for i in range(len(old))]
    assert measure.calls <= len(old) + 1


def test_an_article_inserted_at_the_top_renumbers_the_rest_and_each_pairs_with_its_own_text() -> None:
    rng = random.Random(2)
    old = [_article(rng, n) for n in _numbers(19)]
    inserted = "第一条 为规范金融机构外包服务管理，制定本办法。"
    new = [inserted] + [f"第{number}条 {_reworded(text).split(' ', 1)[1]}" for number, text in zip(_numbers(20)[1:], old, strict=True)]
    pairs = pair_blocks(old, new, _keys(old), _keys(new))
    assert pairs == [(None, 0)] + [(i, i + 1) for i in range(len(old))]


def test_an_article_rewritten_beyond_pairing_does_not_throw_the_rest_off() -> None:
    rng = random.Random(3)
    old = [_article(rng, n) for n in _numbers(12)]
    new = [_reworded(t) for t in old]
    new[4] = "第五条 本办法自发布之日起施行，原《信息科技外包风险监管指引》同时废止。"
    new = [f"＃{t}" for t in new]  # no keys: only the diagonal carries the rest
    pairs = pair_blocks(old, new, [""] * 12, [""] * 12)
    assert (4, None) in pairs and (None, 4) in pairs
    assert [(i, j) for i, j in pairs if i is not None and j is not None] == [(i, i) for i in range(12) if i != 4]


def test_a_chance_likeness_far_from_the_diagonal_does_not_pair() -> None:
    old = ["第一条 甲乙丙丁戊己庚辛", "第二条 子丑寅卯辰巳午未"]
    new = ["第一条 天地玄黄宇宙洪荒", "第二条 日月盈昃辰宿列张", "第三条 寒来暑往秋收冬藏",
           "第四条 闰余成岁律吕调阳", "第五条 云腾致雨露结为霜", "第六条 金生丽水玉出昆冈",
           "第七条 甲乙丙丁子丑寅卯"]  # about as like the first old article as two articles of one rule are
    assert similarity(old[0], new[6]) >= 0.5
    pairs = pair_blocks(old, new, ["", ""], [""] * 7)
    assert all(i is None or j is None for i, j in pairs)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), max_size=40), st.lists(st.sampled_from("abcdefgh"), max_size=40))
def test_block_opcodes_cover_both_lists_and_equal_means_equal(a: list[str], b: list[str]) -> None:
    ops = _block_opcodes(a, b)
    ends = [(0, 0)] + [(op[2], op[4]) for op in ops]
    assert [(op[1], op[3]) for op in ops] == ends[:-1]  # each opcode starts where the last one ended
    assert ends[-1] == (len(a), len(b))
    for tag, i1, i2, j1, j2 in ops:
        assert i1 <= i2 and j1 <= j2
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]


def test_unique_blocks_anchor_the_alignment_of_a_rule_rewritten_around_them() -> None:
    a = [f"old {n}" for n in range(1000)]
    b = [f"new {n}" for n in range(1000)]
    for n in (10, 500, 990):
        a[n] = b[n] = f"kept {n}"
    ops = _block_opcodes(a, b)
    assert [op for op in ops if op[0] == "equal"] == [("equal", n, n + 1, n, n + 1) for n in (10, 500, 990)]
