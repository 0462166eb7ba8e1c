"""`rulewatch demo` works offline and shows one alert per kind of change, and no noise."""

from __future__ import annotations

import io

import pytest

from rulewatch.demo import run_demo


def test_demo_shows_the_four_changes_and_nothing_else() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert text.count("=== ") == 4
    assert "=== HIGH · Amended: 银行业金融机构信息科技采购管理办法" in text
    assert "应当在[-二十四-]{+两+}小时内向监管部门报告" in text  # the exact change, once
    assert "Art. 4 · reporting deadline 24 hours → 2 hours · shall (应当)" in text
    assert "Takes effect: 2026-11-27 · 第五条 本办法自发布之日起施行。" in text
    assert "reporting deadline 24 hours → 2 hours in Art. 4 (+3)" in text
    assert "from: Demo Banking Regulator" in text
    assert "New: 关于银行业金融机构信息技术产品源代码备案有关事项的通知" in text
    assert "Withdrawn: 关于银行业金融机构数据安全管理办法" in text
    assert "New: Computer-Security Incident Notification Requirements" in text
    assert "api/list.json" not in text.split("--- alerts")[1]  # a withdrawn item never links to the API
    for noise in ("2718", "浏览次数", "第四季度统计数据发布", "关于开展农村金融服务创新试点的通知"):
        assert noise not in text.split("--- alerts")[1]


def test_demo_slack_sends_the_alerts_to_the_configured_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakeslack import FakeSlack

    with FakeSlack("xoxb-test-token-123") as slack:
        monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-123")
        monkeypatch.setenv("SLACK_CHANNEL", "#alerts")
        out = io.StringIO()
        assert run_demo(out, slack=True) == 0
        assert "4 alert(s) sent to slack" in out.getvalue() and "=== " not in out.getvalue()
        assert len(slack.posted("C-ALERTS")) == 4


def test_demo_slack_without_slack_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(io.StringIO(), slack=True) == 2
    assert "SLACK_BOT_TOKEN and SLACK_CHANNEL" in capsys.readouterr().err
