"""Topic matching: bilingual, NFKC, CJK without word boundaries, English on word boundaries, extendable."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulewatch.core.errors import TaxonomyError
from rulewatch.detection.relevance import Taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.mark.parametrize(
    ("text", "topic", "term"),
    [
        ("银行业金融机构应当优先采购安全可控的信息技术产品", "procurement", "安全可控"),
        ("安 全 可 控", "procurement", "安全可控"),  # spaces inside CJK do not hide a term
        ("关键信息基础设施运营者", "cybersecurity", "关键信息基础设施"),
        ("境外供应商应当提交源代码", "cybersecurity", "源代码"),
        ("Foreign vendors must disclose SOURCE CODE", "cybersecurity", "source code"),
        ("Computer-Security Incident Notification Requirements", "cybersecurity", "computer security"),
        ("banks must buy 'secure and controllable' IT", "procurement", "secure and controllable"),
        ("Federal Acquisition Regulation: Cyber Threat Reporting", "procurement", "federal acquisition"),
        ("ＰＲＯＣＵＲＥＭＥＮＴ rules", "procurement", "procurement"),  # full-width folds by NFKC
    ],
)
def test_terms_match(taxonomy: Taxonomy, text: str, topic: str, term: str) -> None:
    found = taxonomy.match(text)
    assert term in found.terms.get(topic, ())


@pytest.mark.parametrize(
    "text",
    [
        "关于做好冬季安全生产和消防工作的通知",
        "关于做好2026年农业保险工作的通知",
        "Carmakers expand dealer financing programs",
        "Migratory Bird Hunting; Final Frameworks",
        "The bank accepted digital cash as legal tender",
        "消费者权益等保护工作",  # 等保 hides in 等保护; only 等级保护 counts
        "Insecurity about the economy",
    ],
)
def test_unrelated_text_matches_nothing(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.match(text).topics == ()


def test_about_needs_repetition(taxonomy: Taxonomy) -> None:
    once = taxonomy.match("One paragraph mentions a vendor in passing.")
    assert once.topics == ("procurement",) and once.about().topics == ()
    often = taxonomy.match("采购 供应商 招标")
    assert often.about().topics == ("procurement",)


def test_users_extend_topics_with_their_own_file(tmp_path: Path) -> None:
    extra = tmp_path / "topics.yaml"
    extra.write_text("topics:\n  cloud:\n    terms: [云计算, cloud service]\n  procurement:\n    terms: [集采]\n",
                     encoding="utf-8")
    tax = Taxonomy.load(extra)
    assert "cloud" in tax.names
    assert tax.match("云计算服务").topics == ("cloud",)
    assert tax.match("集采目录").topics == ("procurement",)


def test_a_broken_topics_file_names_file_and_topic(tmp_path: Path) -> None:
    bad = tmp_path / "topics.yaml"
    bad.write_text("topics:\n  cloud:\n    terms:云计算\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"topics.yaml: topic 'cloud'"):
        Taxonomy.load(bad)
