"""The model's types cross process boundaries (analysis workers) by pickle: they must come back equal."""

import pickle
from dataclasses import dataclass

import pytest

from rulewatch.core.model import (
    Alert,
    Block,
    Change,
    Document,
    Finding,
    Ignored,
    InlineRun,
    Item,
    ItemChange,
    KeyDate,
    TextChange,
    Verdict,
    pickled_by_fields,
)

ITEM = Item("n1", "关于银行业信息科技", "https://x/1", "2026-01-02", (("docNo", "银保监发〔2026〕1号"),), "第一条")
FINDING = Finding(
    kind="changed_text", title="Rule", url="https://x", topics=("cyber",), matched_terms=("安全可控",), added="new",
    removed="old", article="第八条", subject="subj", rule_ids=("rin:1",), rule_key="rin:1", rule_role="amended",
    change_inline=(InlineRun("a"), InlineRun("b", "added")), key_dates=(KeyDate("effective", "2027-01-01", "自…施行"),),
    gloss_en="gloss", severity="high", severity_reasons=("reason",), publisher="NFRA", published="2026-01-01",
    machine_translation="mt",
)
ALERT = Alert.entered(FINDING, id=7, idempotency_key="key", source="src", change_id=3, channel="#c",
                      detected_at="now", attempts=2, last_error="err")


@pytest.mark.parametrize("value", [
    Block("第八条 银行业金融机构应当…", "第八条"),
    ITEM,
    Document("list", "https://x", "t", [Block("a"), Block("b", "k")], [ITEM], {"etag": "1"}),
    Change(("a", "b"), [TextChange("changed", "第八条", "old", "new", ("o",), ("n",), (InlineRun("o", "removed"),))],
           [ItemChange("changed", ITEM, ITEM, (("title", "a", "b"),))], [Ignored("a counter", "noise")], ["shape"]),
    FINDING,
    ALERT,
    Verdict(True, True, ("cyber",), ("安全可控",), [FINDING], ["reason"]),
], ids=lambda v: type(v).__name__)
def test_every_model_type_survives_pickling(value: object) -> None:
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        assert pickle.loads(pickle.dumps(value, protocol)) == value


def test_a_type_of_one_field_is_refused_rather_than_pickled_wrong() -> None:
    @dataclass(frozen=True, slots=True)
    class One:
        only: str

    with pytest.raises(TypeError, match="two fields"):
        pickled_by_fields(One)


def test_an_alert_is_its_finding_in_an_envelope() -> None:
    """What detection found and what the outbox adds are separate: a finding has no id, source or
    delivery, an alert carries the finding's fields unchanged beside its envelope, and re-entering an
    alert keeps only its finding."""
    assert not hasattr(FINDING, "id") and not hasattr(FINDING, "source") and not hasattr(FINDING, "delivered_at")
    assert isinstance(ALERT, Finding) and ALERT.title == "Rule" and ALERT.key_dates == FINDING.key_dates
    assert (ALERT.outbox_id, ALERT.source, ALERT.attempts) == (7, "src", 2)
    again = Alert.entered(ALERT, source="other")
    assert (again.id, again.source, again.attempts, again.rule_key) == (None, "other", 0, "rin:1")
    with pytest.raises(ValueError, match="draft"):
        _ = again.outbox_id
