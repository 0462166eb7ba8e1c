"""The model's types cross process boundaries (analysis workers) by pickle: they must come back equal."""

import pickle
from dataclasses import dataclass

import pytest

from rulewatch.core.model import (
    Alert,
    Block,
    Change,
    Document,
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
ALERT = Alert("changed_text", "Rule", "https://x", ("cyber",), ("安全可控",), "new", "old", "第八条", "subj",
              ("rin:1",), (InlineRun("a"), InlineRun("b", "added")), (KeyDate("effective", "2027-01-01", "自…施行"),),
              "gloss", "high", ("reason",), "NFRA", "2026-01-01", "mt", 7, "key", "src", 3, "#c", "now",
              None, None, None, 2, "err")


@pytest.mark.parametrize("value", [
    Block("第八条 银行业金融机构应当…", "第八条"),
    ITEM,
    Document("list", "https://x", "t", [Block("a"), Block("b", "k")], [ITEM], {"etag": "1"}),
    Change(("a", "b"), [TextChange("changed", "第八条", "old", "new", ("o",), ("n",), (InlineRun("o", "removed"),))],
           [ItemChange("changed", ITEM, ITEM, (("title", "a", "b"),))], [Ignored("a counter", "noise")], ["shape"]),
    ALERT,
    Verdict(True, True, ("cyber",), ("安全可控",), [ALERT], ["reason"]),
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
