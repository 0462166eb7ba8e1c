"""Properties: a document compared with itself, or with a copy differing only in volatile values,
yields no substantive change."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.model import Block, Document, Item
from rulewatch.detection.compare import compare

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
WORDS = st.text(st.one_of(CJK, st.sampled_from("abcdefghij ，。、0123456789")), min_size=1, max_size=60)
BLOCKS = st.lists(WORDS.map(str.strip).filter(bool), min_size=0, max_size=12)
ITEMS = st.lists(st.tuples(st.integers(0, 10_000), WORDS.map(str.strip).filter(bool)), max_size=15,
                 unique_by=lambda t: t[0])

STAMPS = st.tuples(st.integers(2000, 2099), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23),
                   st.integers(0, 59))
COUNTS = st.integers(0, 10**7)


def page(blocks: list[str], meta: str = "") -> Document:
    texts = ([meta] if meta else []) + blocks
    return Document(kind="page", url="u", title="t", blocks=[Block(t) for t in texts])


@settings(max_examples=150, deadline=None)
@given(BLOCKS, ITEMS)
def test_a_document_compared_with_itself_has_no_change(blocks: list[str], items: list[tuple[int, str]]) -> None:
    doc = page(blocks)
    doc.items = [Item(id=str(i), title=t) for i, t in items]
    assert compare(doc, doc).empty


@settings(max_examples=150, deadline=None)
@given(BLOCKS, STAMPS, STAMPS, COUNTS, COUNTS, st.sampled_from(["zh", "en"]))
def test_copies_differing_only_in_volatile_values_have_no_substantive_change(
    blocks: list[str], s1: tuple[int, ...], s2: tuple[int, ...], c1: int, c2: int, lang: str
) -> None:
    def meta(s: tuple[int, ...], c: int) -> str:
        y, mo, d, h, mi = s
        if lang == "zh":
            return f"更新时间：{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:00 浏览次数：{c}"
        return f"Last updated: {y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d} UTC Views: {c}"

    change = compare(page(blocks, meta(s1, c1)), page(blocks, meta(s2, c2)))
    assert not change.substantive


@settings(max_examples=100, deadline=None)
@given(BLOCKS, st.integers(0, 11), WORDS.map(str.strip).filter(bool))
def test_a_real_edit_is_always_seen(blocks: list[str], where: int, extra: str) -> None:
    new = list(blocks)
    new.insert(min(where, len(new)), "第九十九条 " + extra + "应当在两小时内报告。")
    change = compare(page(blocks), page(new))
    assert change.substantive
