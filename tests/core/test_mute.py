"""Which findings a mute catches: its source only, matching only its terms or titled in its shape, and
never a finding rated high."""

from __future__ import annotations

import pytest

from rulewatch.core.model import Finding
from rulewatch.core.mute import Mute, catching, title_shape


def finding(**fields: object) -> Finding:
    base: dict[str, object] = {"kind": "new_item", "title": "关于政府采购第3批信息技术产品的通知", "url": "https://x/1",
                               "matched_terms": ("采购",), "severity": "low"}
    return Finding(**{**base, **fields})  # type: ignore[arg-type]


def test_titles_of_one_shape_agree_whatever_their_numbers_width_and_spacing() -> None:
    assert title_shape("关于政府采购第3批信息技术产品的通知") == title_shape("关于政府采购第１２批信息技术产品的通知")
    assert title_shape("Notice  2026-12 on  cloud") == "Notice #-# on cloud"
    assert title_shape("关于政府采购第3批信息技术产品的通知") != title_shape("关于网络安全第3批产品的通知")


@pytest.mark.parametrize(("found", "caught"), [
    (finding(), True),
    (finding(matched_terms=("采购", "安全可控")), False),  # it matches a term the mute did not cover
    (finding(matched_terms=()), False),
    (finding(severity="high"), False),  # never muted: severe news from the same source is still heard
    (finding(kind="source_failing"), False),
])
def test_a_terms_mute_catches_what_matches_only_its_terms(found: Finding, caught: bool) -> None:
    assert Mute(1, "ccgp", terms=("采购", "政府采购")).catches("ccgp", found) is caught


def test_a_mute_is_for_its_source_only() -> None:
    assert not Mute(1, "ccgp", terms=("采购",)).catches("miit", finding())


def test_a_title_mute_catches_the_same_shape_whatever_the_terms() -> None:
    mute = Mute(2, "ccgp", title_pattern=title_shape("关于政府采购第3批信息技术产品的通知"))
    assert mute.catches("ccgp", finding(title="关于政府采购第4批信息技术产品的通知", matched_terms=("安全可控",)))
    assert not mute.catches("ccgp", finding(title="关于政府采购信息技术产品的管理办法"))
    assert "items titled like" in mute.what


def test_the_oldest_mute_that_catches_is_named() -> None:
    mutes = [Mute(1, "ccgp", terms=("网络安全",)), Mute(2, "ccgp", terms=("采购",)), Mute(3, "ccgp", terms=("采购",))]
    assert catching(mutes, "ccgp", finding()) == mutes[1]
    assert catching(mutes, "miit", finding()) is None
