"""Draft to final: drafts recognised, finals matched to their drafts by RIN, docket or name, and
look-alike rules with another subject never linked (the thresholds are pinned here)."""

from __future__ import annotations

import pytest

from rulewatch.detection.lineage import ASK_SCORE, CERTAIN_SCORE, is_draft, match, name_score, rule_ids, rule_name


@pytest.mark.parametrize(("title", "draft"), [
    ("关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知", True),
    ("网络数据安全管理条例（草案）", True),
    ("关于公开征求《网络安全审查办法（修订草案征求意见稿）》意见的通知", True),
    ("Cyber Incident Reporting for Critical Infrastructure Act (CIRCIA) Reporting Requirements; Proposed Rule", True),
    ("银行保险机构数据安全管理办法", False),
    ("Computer-Security Incident Notification Requirements for Banking Organizations", False),
])
def test_drafts_are_recognised(title: str, draft: bool) -> None:
    assert is_draft(title) is draft


@pytest.mark.parametrize(("title", "name"), [
    ("关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知", "银行保险机构数据安全管理办法"),
    ("国家金融监督管理总局关于印发银行保险机构操作风险管理办法的通知", "银行保险机构操作风险管理办法"),
    ("关于公开征求《网络安全审查办法（修订草案征求意见稿）》意见的通知", "网络安全审查办法"),
    ("网络数据安全管理条例（征求意见稿）", "网络数据安全管理条例"),
    ("Computer-Security Incident Notification Requirements; Proposed Rule",
     "computer-securityincidentnotificationrequirements"),
])
def test_the_rules_own_name(title: str, name: str) -> None:
    assert rule_name(title) == name


@pytest.mark.parametrize(("draft", "final"), [
    ("关于《促进和规范数据跨境流动规定（征求意见稿）》公开征求意见的通知", "规范和促进数据跨境流动规定"),  # swapped words
    ("银行保险机构数据安全管理办法（征求意见稿）", "关于印发《银行保险机构数据安全管理办法》的通知"),
    ("关于公开征求《网络安全审查办法（修订草案征求意见稿）》意见的通知", "网络安全审查办法"),
    ("网络数据安全管理条例（征求意见稿）", "网络数据安全管理条例"),
    ("Computer-Security Incident Notification Requirements; Proposed Rule",
     "Computer-Security Incident Notification Requirements; Final Rule"),
])
def test_a_final_links_to_its_draft_with_certainty(draft: str, final: str) -> None:
    found = match(draft, (), final, ())
    assert found is not None and found.method == "name" and found.certain


@pytest.mark.parametrize(("draft", "final"), [
    ("关键信息基础设施安全保护办法（草案）", "关键信息基础设施安全保护条例"),  # same subject, another form
    ("数据出境安全评估办法（征求意见稿）", "数据出境安全评估暂行办法"),
    # a US title that grew words: the RIN decides where there is one; the name alone only asks
    ("Computer-Security Incident Notification Requirements; Proposed Rule",
     "Computer-Security Incident Notification Requirements for Banking Organizations; Final Rule"),
])
def test_a_change_of_form_only_asks(draft: str, final: str) -> None:
    found = match(draft, (), final, ())
    assert found is not None and ASK_SCORE <= found.score < CERTAIN_SCORE and not found.certain


@pytest.mark.parametrize(("draft", "final"), [
    ("银行保险机构数据安全管理办法（征求意见稿）", "银行保险机构操作风险管理办法"),
    ("商业银行信息科技风险管理指引（征求意见稿）", "商业银行信息科技外包风险管理指引"),
    ("个人信息出境标准合同办法（征求意见稿）", "个人信息出境认证办法"),
    ("数据出境安全评估办法（征求意见稿）", "数据出境安全评估申报指南"),
    ("网络数据安全管理条例（征求意见稿）", "网络安全审查办法"),
    ("Computer-Security Incident Notification Requirements; Proposed Rule",
     "Cybersecurity Incident Notification Requirements"),
    # the same characters in another order name another subject
    ("数据安全管理办法（征求意见稿）", "安全数据管理办法"),
    ("银行业信息系统安全等级保护办法（征求意见稿）", "银行业安全信息系统等级保护办法"),
    ("Reporting Incident Cyber; Proposed Rule", "Cyber Incident Reporting"),
])
def test_look_alike_rules_with_another_subject_never_link(draft: str, final: str) -> None:
    assert match(draft, (), final, ()) is None and name_score(draft, final) < ASK_SCORE


@pytest.mark.parametrize(("draft", "final"), [
    ("关于《促进和规范数据跨境流动规定（征求意见稿）》公开征求意见的通知", "规范和促进数据跨境流动规定"),
    ("网络安全与信息化管理办法（征求意见稿）", "信息化与网络安全管理办法"),
    ("Privacy and Security Requirements; Proposed Rule", "Security and Privacy Requirements; Final Rule"),
])
def test_words_swapped_around_a_conjunction_are_one_subject(draft: str, final: str) -> None:
    found = match(draft, (), final, ())
    assert found is not None and found.certain


def test_a_name_alone_never_asserts_a_link_between_two_publishers() -> None:
    """NFRA's draft and CAC's final of the same name are two rules: at most a question."""
    draft, final = "数据安全管理办法（征求意见稿）", "数据安全管理办法"
    assert match(draft, (), final, ()).certain  # type: ignore[union-attr]
    across = match(draft, (), final, (), same_publisher=False)
    assert across is not None and not across.certain and across.score == ASK_SCORE
    # a look-alike across publishers is no link at all
    assert match("数据安全管理办法（征求意见稿）", (), "操作风险管理办法", (), same_publisher=False) is None
    # a rulemaking's own ids name it whoever publishes it
    assert match("A; Proposed Rule", ("rin:1670-AA04",), "B", ("rin:1670-AA04",), same_publisher=False).certain  # type: ignore[union-attr]


def test_rulemaking_ids_come_from_a_records_fields() -> None:
    fields = {"regulation_id_numbers": "1670-aa04, 1601-AB00", "docket_ids": "CISA-2022-0010", "type": "Rule"}
    assert rule_ids(fields) == ("rin:1601-AB00", "rin:1670-AA04", "docket:CISA-2022-0010")
    # A document number names one document, never a rulemaking: it is shown, and never links a draft to a final.
    assert rule_ids({"发文字号": "银保监发〔2021〕1号"}) == ("ref:银保监发〔2021〕1号",)
    shared = rule_ids({"发文字号": "银保监发〔2021〕1号"})
    assert match("数据安全管理办法（征求意见稿）", shared, "外包风险管理办法", shared) is None


def test_an_item_shows_the_identifiers_a_reader_uses() -> None:
    """CVE ids, document numbers and docket ids are what a reader looks a line up by."""
    assert rule_ids({"vendorProject": "Acme", "notes": "https://nvd.nist.gov/vuln/detail/CVE-2026-12345"},
                    "CVE-2026-12345") == ("ref:CVE-2026-12345",)
    assert rule_ids({"pcode": "国办发〔2026〕28号", "title": "意见"}, "26743315") == ("ref:国办发〔2026〕28号",)
    assert rule_ids({"docketId": "USTR-2005-0001", "frDocNum": "05-18822"}, "USTR-2005-0001-0001") == (
        "docket:USTR-2005-0001", "ref:05-18822")
    assert rule_ids({"summary": "根据《关于加强数据安全的通知》（银发〔2026〕 30号）要求"}, "9") == ("ref:银发〔2026〕30号",)
    assert rule_ids({"count": "12"}, "4935319") == ()


def test_us_documents_match_by_rin_then_docket() -> None:
    proposed = rule_ids({"regulation_id_numbers": "1670-AA04", "docket_ids": "CISA-2022-0010"})
    final = rule_ids({"regulation_id_numbers": "1670-AA04, 1601-AB00", "docket_ids": "CISA-2025-0001"})
    assert match("CIRCIA Reporting Requirements; Proposed Rule", proposed, "Another title", final).method == "rin"
    by_docket = match("A; Proposed Rule", rule_ids({"docket_ids": "CISA-2022-0010"}), "B",
                      rule_ids({"docket_ids": "cisa-2022-0010"}))
    assert by_docket is not None and by_docket.method == "docket" and by_docket.certain
    assert match("A; Proposed Rule", rule_ids({"regulation_id_numbers": "1670-AA04"}), "B",
                 rule_ids({"regulation_id_numbers": "1670-AA05"})) is None
    # a RIN and a docket id that read alike are not the same id
    assert match("A; Proposed Rule", ("docket:1670-AA04",), "B", ("rin:1670-AA04",)) is None


def test_documents_of_two_rulemakings_never_link_by_their_names() -> None:
    """A correction of another rulemaking repeats the proposal's title; their RINs tell them apart."""
    title = "Incident Reporting Requirements for Covered Cloud Service Providers"
    assert match(title, (), f"{title}; Correction", ()) is not None  # by name alone they would link
    assert match(title, ("rin:1670-AZ99",), f"{title}; Correction", ("rin:3064-AF00",)) is None


def test_a_proposed_rule_reads_as_a_draft_by_its_reasons_when_its_title_does_not_say_so() -> None:
    from rulewatch.detection.severity import DRAFT_REASON, reads_as_draft

    assert not reads_as_draft("Incident Reporting Requirements", ())
    assert reads_as_draft("Incident Reporting Requirements", (f"{DRAFT_REASON} (+0)",))
    assert reads_as_draft("关于《数据安全管理办法（征求意见稿）》公开征求意见的通知", ())
