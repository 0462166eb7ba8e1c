"""The diff's worst cases are bounded (issue 19, finding 10): a page rewritten whole and a huge block
rewritten whole are compared in bounded work, at a coarser grain, and ordinary edits keep their grain."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulewatch.detection.compare as compare_module
from rulewatch.core.model import Block, Document, InlineRun
from rulewatch.core.text import article_key
from rulewatch.detection.compare import _WORD, MAX_INLINE_CELLS, compare, inline_diff, inline_runs

CHARS = "网络安全事件报告供应商源代码审查安全可控采购金融机构监管部门应当自发布之日起施行"


def _doc(paragraphs: list[str]) -> Document:
    return Document(kind="page", url="https://x.example/", title="t", blocks=[Block(p, article_key(p)) for p in paragraphs])


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(CHARS) for _ in range(n))


def test_a_page_rewritten_whole_is_removed_and_added_text() -> None:
    """1,500 paragraphs, every one rewritten: it took 352 s before (pairing tried every pair)."""
    rng = random.Random(1)
    old = [_text(rng, 60) for _ in range(1500)]
    new = [_text(rng, 60) for _ in range(1500)]
    change = compare(_doc(old), _doc(new))
    assert {c.kind for c in change.text} <= {"removed", "added", "changed"}
    assert sum(1 for c in change.text if c.kind != "added") == 1500  # every old paragraph is reported once


def test_an_edit_in_a_long_page_is_still_one_changed_paragraph() -> None:
    old = [f"第{n}条 银行业金融机构应当在每季度结束后十五个工作日内报送第{n}号报告。" for n in range(1500)]
    new = list(old)
    new[700] = new[700].replace("十五个工作日", "十个工作日")
    (change,) = compare(_doc(old), _doc(new)).text
    assert change.kind == "changed" and change.removed_fragments == ("五",) and change.key == "第700条"


def test_a_huge_block_rewritten_whole_is_reported_whole() -> None:
    rng = random.Random(2)
    old, new = _text(rng, 40_000), _text(rng, 40_000)
    assert MAX_INLINE_CELLS < 40_000 * 40_000
    assert inline_diff(old, new) == ((old,), (new,))  # no sentence to cut at: whole, not 30 s of char matching


def test_a_huge_block_with_sentences_is_diffed_by_sentence() -> None:
    sentences = [f"第{n}项 运营者应当在二十四小时内报告网络安全事件。" for n in range(1000)]
    old = "".join(sentences)
    new = old.replace("第500项 运营者应当在二十四小时内", "第500项 运营者应当在两小时内")
    assert len(old) ** 2 > MAX_INLINE_CELLS  # too long to diff by character
    removed, added = inline_diff(old, new)
    assert removed == ("第500项 运营者应当在二十四小时内报告网络安全事件。",)
    assert added == ("第500项 运营者应当在两小时内报告网络安全事件。",)


# The token pattern is written for the regex engine's speed (one character class first); it must split
# text exactly as the plain reading of it does: a word of Latin letters and digits (joined by ' ’ . , -),
# or one private-use character.
_PLAIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.,-][A-Za-z0-9]+)*|[\U000F0000-\U0010FFFF]")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09'’.,- 第条。\n") + ["\U000F0000", "\U0010FFFD", "é"]), max_size=40))
def test_tokens_are_the_plain_patterns_tokens(text: str) -> None:
    assert [m.span() for m in _WORD.finditer(text)] == [m.span() for m in _PLAIN_WORD.finditer(text)]


def test_kept_text_between_two_edits_joins_them_only_when_shorter_than_both() -> None:
    # 一 between two longer edits is not kept text a reader sees; 银行业金融机构 between two short ones is.
    assert inline_runs("第一条 甲乙丙丁一戊己庚辛", "第一条 子丑寅卯一辰巳午未") == (
        InlineRun("第一条 ", "same"), InlineRun("甲乙丙丁一戊己庚辛", "removed"), InlineRun("子丑寅卯一辰巳午未", "added"))
    assert inline_runs("第一条 甲银行业金融机构乙", "第一条 丙银行业金融机构丁") == (
        InlineRun("第一条 ", "same"), InlineRun("甲", "removed"), InlineRun("丙", "added"),
        InlineRun("银行业金融机构", "same"), InlineRun("乙", "removed"), InlineRun("丁", "added"))
    assert inline_diff("第1条 甲银行业金融机构乙", "第2条 丙银行业金融机构丁") == (("1", "甲", "乙"), ("2", "丙", "丁"))


def test_past_the_token_budget_changed_blocks_are_diffed_by_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page rewritten whole spends a bounded share of its time on token diffs: the first blocks keep
    their exact fragments, the later ones name the sentences that changed."""
    old = [f"第{n}条 运营者应当在二十四小时内报告。供应商应当提供源代码。" for n in range(10, 50)]
    new = [text.replace("二十四", "两") for text in old]
    monkeypatch.setattr(compare_module, "TOKEN_DIFF_CHARS", 10 * (len(old[0]) + len(new[0])))
    changes = compare(_doc(old), _doc(new)).text
    assert len(changes) == 40 and all(c.kind == "changed" for c in changes)
    assert [c.removed_fragments for c in changes[:10]] == [("二十四",)] * 10
    assert changes[10].removed_fragments == ("第20条 运营者应当在二十四小时内报告。",)
    assert changes[10].added_fragments == ("第20条 运营者应当在两小时内报告。",)
    assert all(c.inline[-1] == InlineRun("供应商应当提供源代码。", "same") for c in changes[10:])
