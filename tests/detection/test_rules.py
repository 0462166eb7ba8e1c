"""Which rule a finding is about (detection.rules): its rulemaking id, else its name, else nothing."""

from __future__ import annotations

from rulewatch.core.model import Alert
from rulewatch.detection.rules import MAX_KEY_NAME_CHARS, filed, rule_key, rule_role


def test_a_rulemaking_id_names_the_rule_whatever_the_title() -> None:
    assert rule_key("Incident Reporting; Proposed Rule", ("docket:CISA-1", "rin:1670-AZ99")) == "rin:1670-AZ99"
    assert rule_key("Anything", ("ref:CVE-2026-1", "docket:CISA-1")) == "docket:CISA-1"


def test_a_draft_and_its_final_share_a_name_key() -> None:
    draft = rule_key("关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知", ())
    assert draft == rule_key("银行保险机构数据安全管理办法", ()) == "name:银行保险机构数据安全管理办法"


def test_one_name_from_two_publishers_is_two_rules_but_a_rulemaking_id_is_one() -> None:
    nfra = rule_key("数据安全管理办法（征求意见稿）", (), "National Financial Regulatory Administration (NFRA)")
    assert nfra == rule_key("数据安全管理办法", (), "national financial  regulatory administration (NFRA)")
    assert nfra != rule_key("数据安全管理办法", (), "www.cac.gov.cn") and nfra.startswith("name:数据安全管理办法@")
    assert rule_key("A; Proposed Rule", ("rin:1670-AZ99",), "CISA") == rule_key("B", ("rin:1670-AZ99",), "FCC")
    assert len(rule_key("数据安全管理办法", (), "x" * 10_000)) < 150


def test_a_name_too_short_names_no_rule_and_a_long_one_is_keyed_within_bounds() -> None:
    assert rule_key("通知", ()) == ""
    long_a, long_b = "数据" * 400 + "甲", "数据" * 400 + "乙"
    assert len(rule_key(long_a, ())) < MAX_KEY_NAME_CHARS + 30
    assert rule_key(long_a, ()) != rule_key(long_b, ())  # same start, different rules


def test_roles_follow_the_finding() -> None:
    assert rule_role("new_item", "数据安全管理办法（征求意见稿）") == "draft"
    assert rule_role("changed_item", "Cyber Rule", ("a draft for comment (+2)",)) == "draft"
    assert rule_role("new_item", "数据安全管理办法") == "published"
    assert [rule_role(k, "数据安全管理办法") for k in ("changed_text", "title_changed", "changed_item")] == [
        "amended", "retitled", "updated"]


def test_only_findings_about_rules_are_filed() -> None:
    notice = Alert(kind="source_failing", title="数据安全管理办法", url="u")
    assert filed(notice) == notice
    item = filed(Alert(kind="new_item", title="数据安全管理办法", url="u"))
    assert (item.rule_key, item.rule_role) == ("name:数据安全管理办法", "published")
