"""Triage's Block Kit: the standing line and the controls that make sense next, within Slack's limits."""

from __future__ import annotations

from datetime import date

import pytest
from fakeslack import actions_problem

from rulewatch.alerts.render import MAX_BLOCKS, render_slack
from rulewatch.alerts.triage_blocks import (
    APPLICABLE,
    ASSIGN,
    DONE,
    NEXT,
    NOT_APPLICABLE,
    SNOOZE,
    TriageShown,
    alert_id_of,
    mention,
    modal_reason,
    reason_modal,
    slack_person,
    status_text,
    triage_blocks,
)
from rulewatch.core.model import Alert

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("state", sorted(NEXT))
def test_each_state_offers_what_makes_sense_next_in_a_block_slack_accepts(state: str) -> None:
    blocks = triage_blocks(42, TriageShown(state=state), TODAY)
    assert blocks[0]["type"] == "context"
    if not NEXT[state]:
        assert len(blocks) == 1  # a closed rule has no controls until news reopens it
        return
    actions = blocks[1]
    assert actions_problem(actions) == "" and actions["block_id"] == "triage:42"
    assert [e["action_id"] for e in actions["elements"]] == list(NEXT[state])
    for element in actions["elements"]:
        assert alert_id_of(actions["block_id"], element.get("value", "")) == 42


def test_a_new_rule_is_offered_the_first_decisions_and_a_closed_one_none() -> None:
    assert NEXT["new"] == (APPLICABLE, NOT_APPLICABLE, ASSIGN, SNOOZE)
    assert DONE in NEXT["applicable"] and DONE in NEXT["assigned"] and NEXT["done"] == ()


def test_the_snooze_picker_suggests_two_weeks_and_the_owner_picker_shows_the_owner() -> None:
    shown = TriageShown(state="assigned", owner=slack_person("Jane Doe", "U0JANE"))
    elements = {e["action_id"]: e for e in triage_blocks(7, shown, TODAY)[1]["elements"]}
    assert elements[SNOOZE]["initial_date"] == "2026-12-21"
    assert elements[ASSIGN]["initial_user"] == "U0JANE"


def test_the_standing_line_names_state_owner_who_and_when_and_escapes_what_people_typed() -> None:
    shown = TriageShown(state="assigned", owner="Jane Doe (U0JANE)", by="<!channel> Mallory", via="cli",
                        at="2026-12-07T08:15:00Z", reason="see <https://evil|here> & more")
    line = status_text(shown)
    assert line.startswith("*Triage:* Assigned") and "owner <@U0JANE>" in line
    assert "<!channel>" not in line and "&lt;!channel&gt; Mallory" in line and "(cli)" in line
    assert "2026-12-07 08:15 UTC" in line and "&lt;https://evil|here&gt; &amp; more" in line


def test_people_from_slack_are_mentions_and_others_are_names() -> None:
    assert mention(slack_person("  Jane   Doe ", "U0JANE")) == "<@U0JANE>"
    assert mention("compliance-lead") == "compliance-lead"
    assert slack_person("", "U0X1") == "U0X1 (U0X1)"


@pytest.mark.parametrize(("block_id", "value", "expected"), [
    ("triage:12", "12", 12), ("triage:12", "", 12), ("other", "9", 9), ("triage:x", "", None),
    ("triage:", "", None), ("", "-3", None), ("triage:99999999999999999999999", "", None),
])
def test_a_click_names_its_alert_or_nothing(block_id: str, value: str, expected: int | None) -> None:
    assert alert_id_of(block_id, value) == expected


def test_the_modal_asks_the_right_question_and_reads_the_answer_back() -> None:
    view = reason_modal("not_applicable", 3, "<b>rule</b>", '{"alert": 3}')
    assert view["callback_id"] == "triage:why" and view["private_metadata"] == '{"alert": 3}'
    assert "not apply" in view["blocks"][1]["label"]["text"] and "&lt;b&gt;" in view["blocks"][0]["text"]["text"]
    assert "closed" in reason_modal("done", 3, "r", "{}")["blocks"][1]["label"]["text"]
    assert modal_reason({"reason": {"reason": {"type": "plain_text_input", "value": "branch only"}}}) == "branch only"
    assert modal_reason({}) == ""


def test_the_controls_survive_an_alert_that_fills_every_block() -> None:
    """A long alert is cut to Slack's 50 blocks: the triage controls are kept, its text gives way."""
    huge = Alert(kind="changed_text", title="办法", url="https://x/r", id=5, rule_role="amended",
                 added="\n".join(f"第{n}条 新的内容{n}" for n in range(400)),
                 removed="\n".join(f"第{n}条 旧的内容{n}" for n in range(400)))
    controls = triage_blocks(5, TriageShown(), TODAY)
    blocks = render_slack(huge, None, controls).blocks
    assert len(blocks) <= MAX_BLOCKS and blocks[-2:] == controls


def test_the_bot_adds_controls_only_when_switched_on_and_only_to_rule_alerts() -> None:
    from slack_sdk import WebClient

    from rulewatch.alerts.slack import SlackSink

    rule = Alert(kind="new_item", title="办法", url="https://x/r", id=9, rule_role="published")
    health = Alert(kind="source_failing", title="nfra", url="https://x/", id=10)
    reminder = Alert(kind="deadline_reminder", title="办法", url="https://x/r", id=11)
    off = SlackSink(WebClient(token="x"), "C-ALERTS")
    on = SlackSink(WebClient(token="x"), "C-ALERTS", triage_buttons=True)
    assert off._controls(rule) == [] and on._controls(health) == [] and on._controls(reminder) == []
    assert [b["type"] for b in on._controls(rule)] == ["context", "actions"]
