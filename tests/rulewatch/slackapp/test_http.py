"""Triage clicks over HTTP, as Slack sends them: signed requests to `POST /slack/events`, the real
slack_bolt app verifying them, our Slack-compatible server answering the app's calls. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import pytest
from slackdesk import Desk, wait_for
from slackpayloads import click, post, send, signed, submission

from rulewatch.services.triage import audit, standing

ASSIGN, APPLICABLE, NOT_APPLICABLE, SNOOZE, DONE = ("triage:assign", "triage:applicable", "triage:not_applicable",
                                                    "triage:snooze", "triage:done")


def events(desk: Desk) -> list:
    return audit(desk.app.store)


def message(desk: Desk, ts: str) -> dict:
    found = desk.slack.message("C-ALERTS", ts)
    assert found is not None
    return found


def edited(desk: Desk, ts: str, times: int = 1) -> dict:
    return wait_for(lambda: message(desk, ts).get("edits", 0) >= times and message(desk, ts))


def test_every_delivered_rule_alert_carries_the_controls(desk: Desk) -> None:
    for alert_id, ts in desk.posted:
        blocks = message(desk, ts)["blocks"]
        assert blocks[-1] == {**blocks[-1], "type": "actions", "block_id": f"triage:{alert_id}"}
        assert [e["action_id"] for e in blocks[-1]["elements"]] == [APPLICABLE, NOT_APPLICABLE, ASSIGN, SNOOZE]
        assert "*Triage:* New" in blocks[-2]["elements"][0]["text"]


def test_applicable_is_recorded_once_and_the_channel_sees_who_set_it(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    started = time.monotonic()
    status, body = send(desk.url, click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts))
    assert status == 200 and time.monotonic() - started < 3  # acknowledged within Slack's 3 seconds
    updated = edited(desk, ts)
    line = updated["blocks"][-2]["elements"][0]["text"]
    assert "*Triage:* Applicable" in line and "set by <@U0JANE> (slack)" in line
    assert [e["action_id"] for e in updated["blocks"][-1]["elements"]] == [ASSIGN, DONE, NOT_APPLICABLE, SNOOZE]
    assert updated["text"] and updated["metadata"]["event_payload"]["key"]  # still the alert, still findable
    (event,) = wait_for(lambda: events(desk))
    assert (event.actor, event.via, event.from_state, event.to_state, event.alert_id) == (
        "Jane Doe (U0JANE)", "slack", "new", "applicable", alert_id)
    # A double click records nothing twice, and the message stays right.
    assert send(desk.url, click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts))[0] == 200
    edited(desk, ts, 2)
    assert len(events(desk)) == 1


def test_assigning_records_the_owner_and_says_so_in_the_thread(desk: Desk) -> None:
    alert_id, ts = desk.posted[1]
    send(desk.url, click(alert_id, ASSIGN, "U0JANE", "C-ALERTS", ts, type="users_select", selected_user="U0BOB"))
    thread = wait_for(lambda: [m for m in desk.slack.posted() if m.get("thread_ts") == ts])
    assert thread[0]["text"] == "<@U0BOB> now owns this rule (assigned by <@U0JANE>)."
    line = edited(desk, ts)["blocks"][-2]["elements"][0]["text"]
    assert "*Triage:* Assigned" in line and "owner <@U0BOB>" in line
    (row,) = [r for r in standing(desk.app.store, desk.app.settings.today()) if r.row.alert_id == alert_id]
    assert (row.state, row.row.owner) == ("assigned", "Bob Li (U0BOB)")


def test_snooze_takes_the_day_picked(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    send(desk.url, click(alert_id, SNOOZE, "U0JANE", "C-ALERTS", ts, type="datepicker", selected_date="2099-01-31"))
    assert "Snoozed* until 2099-01-31" in edited(desk, ts)["blocks"][-2]["elements"][0]["text"].replace(
        "*Triage:* Snoozed", "Snoozed*")
    assert events(desk)[0].snoozed_until == "2099-01-31"


def _modal(desk: Desk, alert_id: int, ts: str, action: str) -> dict:
    send(desk.url, click(alert_id, action, "U0JANE", "C-ALERTS", ts))
    views = wait_for(lambda: list(desk.slack.views.values()))
    return views[-1]


def test_not_applicable_asks_why_and_one_submission_records_once(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    view = _modal(desk, alert_id, ts, NOT_APPLICABLE)
    assert view["callback_id"] == "triage:why" and not events(desk)  # nothing decided until they say why
    empty_status, empty = send(desk.url, submission(view, "U0JANE", "   "))
    assert empty_status == 200 and json.loads(empty)["response_action"] == "errors" and not events(desk)
    for _ in range(2):  # submitted twice (a double press of Record): one event
        assert send(desk.url, submission(view, "U0JANE", "we have no branch in the EU"))[0] == 200
    (event,) = wait_for(lambda: events(desk))
    assert (event.to_state, event.reason, event.actor) == ("not_applicable", "we have no branch in the EU",
                                                           "Jane Doe (U0JANE)")
    assert "we have no branch in the EU" in edited(desk, ts)["blocks"][-2]["elements"][0]["text"]
    time.sleep(0.3)
    assert len(events(desk)) == 1


def test_done_closes_with_its_note_and_keeps_the_owner(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    send(desk.url, click(alert_id, ASSIGN, "U0JANE", "C-ALERTS", ts, type="users_select", selected_user="U0BOB"))
    wait_for(lambda: events(desk))
    view = _modal(desk, alert_id, ts, DONE)
    send(desk.url, submission(view, "U0BOB", "policy updated, see GRC-1234"))
    done = wait_for(lambda: [e for e in events(desk) if e.to_state == "done"])
    assert (done[0].note, done[0].owner, done[0].from_state) == ("policy updated, see GRC-1234", "Bob Li (U0BOB)",
                                                                 "assigned")
    closed = wait_for(lambda: message(desk, ts)["blocks"][-1]["type"] == "context" and message(desk, ts))
    assert "*Triage:* Done" in closed["blocks"][-1]["elements"][0]["text"]  # no controls on a closed rule


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "no signature", "body changed"])
def test_a_request_slack_did_not_sign_is_refused_with_401_and_changes_nothing(desk: Desk, forgery: str) -> None:
    alert_id, ts = desk.posted[0]
    payload = click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts)
    if forgery == "wrong secret":
        status, _ = send(desk.url, payload, secret="not-the-secret")
    elif forgery == "stale":
        status, _ = send(desk.url, payload, at=time.time() - 6 * 60)  # Slack's replay window is 5 minutes
    else:
        body, headers = signed(payload)
        if forgery == "no signature":
            headers.pop("X-Slack-Signature")
        else:
            body = body.replace(b"U0JANE", b"U0EVE")
        status, _ = post(desk.url, body, headers)
    assert status == 401
    time.sleep(0.3)
    assert not events(desk) and message(desk, ts).get("edits", 0) == 0


def test_an_oversized_body_is_refused_before_it_is_read(desk: Desk) -> None:
    body, headers = signed({"type": "block_actions", "padding": "x" * 300_000})
    assert post(desk.url, body, headers)[0] == 413


def test_a_click_on_an_alert_that_is_gone_or_on_another_message_is_refused_to_the_clicker(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    other_ts = desk.posted[1][1]
    send(desk.url, click(999_999, APPLICABLE, "U0JANE", "C-ALERTS", ts))
    send(desk.url, click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", other_ts))
    said = wait_for(lambda: len(desk.slack.ephemeral) >= 2 and desk.slack.ephemeral)
    assert "#999999 is no longer in rulewatch's outbox" in said[0]["text"] and said[0]["user"] == "U0JANE"
    assert "not where rulewatch posted" in said[1]["text"]
    assert not events(desk)


@pytest.mark.parametrize("desk", [{"RULEWATCH_TRIAGERS": "U0BOB,SCOMPLIANCE"}], indirect=True)
def test_only_the_triagers_may_decide_and_others_are_told_why(desk: Desk) -> None:
    desk.slack.groups["SCOMPLIANCE"] = ["U0JANE"]
    alert_id, ts = desk.posted[0]
    send(desk.url, click(alert_id, APPLICABLE, "U0EVE", "C-ALERTS", ts))
    said = wait_for(lambda: desk.slack.ephemeral)
    assert said[0]["user"] == "U0EVE" and "RULEWATCH_TRIAGERS" in said[0]["text"] and not events(desk)
    send(desk.url, click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts))  # by the user group
    assert wait_for(lambda: events(desk))[0].actor == "Jane Doe (U0JANE)"
    send(desk.url, click(alert_id, ASSIGN, "U0BOB", "C-ALERTS", ts, type="users_select", selected_user="U0BOB"))
    assert wait_for(lambda: len(events(desk)) == 2 and events(desk))[1].actor == "Bob Li (U0BOB)"


def test_two_people_clicking_at_once_each_get_one_event_in_a_consistent_chain(desk: Desk) -> None:
    alert_id, ts = desk.posted[0]
    clicks = [click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts),
              click(alert_id, ASSIGN, "U0BOB", "C-ALERTS", ts, type="users_select", selected_user="U0BOB"),
              click(alert_id, SNOOZE, "U0JANE", "C-ALERTS", ts, type="datepicker", selected_date="2099-03-01")]
    threads = [threading.Thread(target=send, args=(desk.url, c)) for c in clicks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorded = wait_for(lambda: len(events(desk)) == 3 and events(desk))
    assert recorded, events(desk)
    assert recorded[0].from_state == "new"
    assert all(later.from_state == earlier.to_state for earlier, later in zip(recorded, recorded[1:], strict=False))
    (row,) = [r for r in standing(desk.app.store, desk.app.settings.today()) if r.row.alert_id == alert_id]
    assert row.row.state == recorded[-1].to_state  # the rule's state is the trail's last word


def test_not_applicable_can_mute_similar_alerts_once(desk: Desk) -> None:
    from rulewatch.services.mutes import mutes

    alert_id, ts = desk.posted[1]
    view = _modal(desk, alert_id, ts, NOT_APPLICABLE)
    options = [o["value"] for o in view["blocks"][-1]["element"]["options"]]
    assert view["blocks"][-1]["block_id"] == "mute" and options == ["terms", "title"]
    for _ in range(2):
        send(desk.url, submission(view, "U0JANE", "we buy no such products", mute="title"))
    told = wait_for(lambda: [e for e in desk.slack.ephemeral if "Muted (mute #1)" in e["text"]])
    assert told[0]["user"] == "U0JANE" and "items titled like" in told[0]["text"]
    time.sleep(0.3)
    (row,) = mutes(desk.app.store)
    assert (row.created_by, row.created_via, row.reason, row.from_alert_id) == (
        "Jane Doe (U0JANE)", "slack", "we buy no such products", alert_id)


def test_a_click_after_a_newer_release_upgraded_the_database_is_not_recorded_and_says_so(desk: Desk) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(desk.app.store.url)
    with engine.begin() as conn:  # a newer rulewatch upgraded the database while this app ran
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    alert_id, ts = desk.posted[0]
    assert send(desk.url, click(alert_id, APPLICABLE, "U0JANE", "C-ALERTS", ts))[0] == 200
    (said,) = wait_for(lambda: desk.slack.ephemeral)
    assert said["user"] == "U0JANE" and said["text"].startswith("Not recorded: rulewatch cannot write to its database")
    assert "alembic" not in said["text"] and desk.app.store.url not in said["text"]
    assert events(desk) == []
