"""judge(): relevant by the changed text, or by the document it sits in; policies narrow or widen."""

from __future__ import annotations

import pytest

from rulewatch.core.model import Block, Document, Item
from rulewatch.detection.compare import compare
from rulewatch.detection.judge import RelevancePolicy, judge
from rulewatch.detection.relevance import Taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def page(title: str, *texts: str) -> Document:
    return Document(kind="page", url="http://x/rule", title=title, blocks=[Block(t) for t in texts])


CYBER = ["第一条 为了保障网络安全，制定本办法。", "第二条 运营者应当落实等级保护制度。", "第三条 发生事件的，应当在二十四小时内报告。"]
FARM = ["第一条 为了规范农业保险，制定本办法。", "第二条 保险机构应当在十日内支付赔款。"]


def test_amendment_of_a_cybersecurity_rule_is_relevant_without_a_keyword(taxonomy: Taxonomy) -> None:
    old, new = page("网络安全事件报告办法", *CYBER), page("网络安全事件报告办法", *CYBER[:2], "第三条 发生事件的，应当在两小时内报告。")
    verdict = judge(compare(old, new), old, new, taxonomy)
    assert verdict.relevant and verdict.topics == ("cybersecurity",)
    (alert,) = verdict.findings
    assert alert.kind == "changed_text" and "两小时内" in alert.added and "二十四小时内" in alert.removed


def test_amendment_of_an_unrelated_rule_is_substantive_but_not_relevant(taxonomy: Taxonomy) -> None:
    old, new = page("农业保险办法", *FARM), page("农业保险办法", FARM[0], "第二条 保险机构应当在七日内支付赔款。")
    verdict = judge(compare(old, new), old, new, taxonomy)
    assert verdict.substantive and not verdict.relevant and not verdict.findings and verdict.reasons


def test_relevant_sentence_added_to_an_unrelated_page(taxonomy: Taxonomy) -> None:
    old = page("农业保险办法", *FARM)
    new = page("农业保险办法", *FARM, "第三条 保险机构采购信息系统应当优先采购安全可控产品。")
    verdict = judge(compare(old, new), old, new, taxonomy)
    assert verdict.topics == ("procurement",)
    assert verdict.findings[0].matched_terms[0] in ("安全可控", "采购")


def test_noise_only_is_not_substantive(taxonomy: Taxonomy) -> None:
    old, new = page("网络安全办法", "Views: 1", *CYBER), page("网络安全办法", "Views: 2", *CYBER)
    verdict = judge(compare(old, new), old, new, taxonomy)
    assert not verdict.substantive and not verdict.findings


def lst(*pairs: tuple[str, str]) -> Document:
    return Document(kind="list", url="http://x/list", items=[Item(id=i, title=t, url=f"http://x/{i}") for i, t in pairs])


def test_new_item_alert_carries_title_url_and_detail_opening(taxonomy: Taxonomy) -> None:
    old = lst(("2", "关于农业保险的通知"), ("1", "关于统计制度的通知"))
    new = Document(kind="list", url="http://x/list", items=[
        Item(id="3", title="银行保险机构信息科技外包风险监管办法", url="http://x/3", date="2026-11-27",
             detail="第一条 为规范信息科技采购行为，提升网络安全保障能力。第二条 供应商应当接受安全审查。"),
        *old.items,
    ])
    verdict = judge(compare(old, new), old, new, taxonomy)
    (alert,) = verdict.findings
    assert alert.kind == "new_item" and alert.subject == "3"
    assert "http://x/3" in alert.added and "2026-11-27" in alert.added and "第一条" in alert.added


def test_new_irrelevant_item_does_not_alert(taxonomy: Taxonomy) -> None:
    old = lst(("1", "关于统计制度的通知"))
    new = lst(("2", "关于做好冬季安全生产和消防工作的通知"), ("1", "关于统计制度的通知"))
    assert not judge(compare(old, new), old, new, taxonomy).findings


def test_withdrawn_item(taxonomy: Taxonomy) -> None:
    old = lst(("3", "a"), ("2", "关于银行业金融机构集中采购信息技术设备有关事项的通知"), ("1", "c"))
    new = lst(("3", "a"), ("1", "c"))
    (alert,) = judge(compare(old, new), old, new, taxonomy).findings
    assert alert.kind == "removed_item" and "集中采购" in alert.removed and alert.topics == ("procurement",)


def test_policy_narrows_topics(taxonomy: Taxonomy) -> None:
    old = lst(("1", "x"))
    new = lst(("2", "关于加强政府采购管理的通知"), ("1", "x"))
    narrowed = judge(compare(old, new), old, new, taxonomy, RelevancePolicy(topics=("cybersecurity",)))
    assert not narrowed.findings


def test_policy_any_alerts_on_every_substantive_change(taxonomy: Taxonomy) -> None:
    old, new = page("农业保险办法", *FARM), page("农业保险办法", FARM[0], "第二条 保险机构应当在七日内支付赔款。")
    verdict = judge(compare(old, new), old, new, taxonomy, RelevancePolicy(alert_on="any"))
    assert verdict.findings and verdict.findings[0].topics == ()


BOILERPLATE = ("本项工作涉及信息技术外包服务的，按照有关规定执行。", "本项资金按照预算管理有关规定拨付使用，并接受审计监督。")


def _notices(*numbers: int) -> Document:
    return Document(kind="list", url="http://x/list", items=[
        Item(id=str(i), title=f"关于下达2026年第{i}批财政资金预算的通知", url=f"http://x/{i}",
             fields=(("impact", BOILERPLATE[i % 2]),)) for i in numbers])


def test_a_field_repeated_across_items_is_not_topic_evidence(taxonomy: Taxonomy) -> None:
    """A JSON list's `impact` field repeats one of a few boilerplate sentences; its 外包 must not make an
    unrelated fiscal notice "procurement"."""
    old = _notices(*range(8))
    new = _notices(8, *range(8))
    verdict = judge(compare(old, new), old, new, taxonomy)
    assert verdict.substantive and not verdict.findings, verdict.reasons


def test_a_vulnerability_catalogue_entry_is_cybersecurity_and_names_its_cve(taxonomy: Taxonomy) -> None:
    action = "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable."
    entries = [Item(id=f"CVE-2026-{1000 + i}", title=f"Example Product {i} Improper Input Validation Vulnerability",
                    date="2026-10-01", fields=(("requiredAction", action), ("vendorProject", f"Vendor{i}")))
               for i in range(6)]
    old = Document(kind="list", url="http://x/kev.json", items=entries[1:])
    new = Document(kind="list", url="http://x/kev.json", items=entries)
    (alert,) = judge(compare(old, new), old, new, taxonomy).findings
    assert alert.topics == ("cybersecurity",) and "vulnerability" in alert.matched_terms
    assert alert.rule_ids == ("ref:CVE-2026-1000",)
