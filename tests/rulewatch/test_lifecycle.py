"""A rule's life end to end on local servers: a list gains a draft for comment whose page carries a
deadline; later the final appears with three articles changed; the draft's Slack thread gets the
final with the comparison; the calendar holds the deadline."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from outbox import record_alerts
from pytest_httpserver import HTTPServer

from rulewatch.cli import main
from rulewatch.state import Store

TOKEN = "xoxb-test-token-123"
ARTICLES = ["第一条 为了规范银行保险机构数据安全管理，制定本办法。", "第二条 本办法适用于银行保险机构的数据处理活动。",
            "第三条 银行保险机构应当建立数据安全管理制度。", "第四条 发生数据安全事件的，应当在二十四小时内报告。",
            "第五条 数据出境应当进行安全评估。", "第六条 外包服务提供商应当签订数据安全协议。"]


OLDER = [(f"关于银行业金融机构第{n}批网络安全检查的通知", f"/old{n}") for n in range(1, 6)]


def listing(*items: tuple[str, str]) -> str:
    rows = "".join(f"<li><a href='{href}'>{title}</a><span>2026-11-{20 - n:02d}</span></li>"
                   for n, (title, href) in enumerate([*items, *OLDER]))
    return f"<html><head><meta charset='utf-8'><title>政策法规</title></head><body><ul class='list'>{rows}</ul></body></html>"


def detail(title: str, articles: list[str]) -> str:
    body = "".join(f"<p>{a}</p>" for a in articles)
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='content'><h1>{title}</h1>{body}</div></body></html>"


def serve(httpserver: HTTPServer, pages: dict[str, str]) -> None:
    httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    for path, html in pages.items():
        httpserver.expect_request(path).respond_with_data(html, content_type="text/html")


def test_draft_then_final_reaches_the_drafts_thread(httpserver: HTTPServer, tmp_path: Path, rw_env: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    deadline = date.today() + timedelta(days=30)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: nfra-list\n    url: {httpserver.url_for('/list')}\n    publisher: NFRA\n",
                       encoding="utf-8")
    draft_title = "关于《银行保险机构数据安全管理办法（征求意见稿）》公开征求意见的通知"
    final_title = "关于印发《银行保险机构数据安全管理办法》的通知"
    draft_text = [*ARTICLES, f"意见反馈截止时间为{deadline.year}年{deadline.month}月{deadline.day}日。"]
    final_text = [ARTICLES[0], ARTICLES[1], ARTICLES[2].replace("建立", "建立健全"),
                  ARTICLES[3].replace("二十四小时", "两小时"), ARTICLES[4].replace("进行", "通过"), ARTICLES[5]]
    with FakeSlack(TOKEN, channels=("C-REG",)) as slack:
        for name, value in {"SLACK_API_BASE_URL": slack.base_url, "SLACK_BOT_TOKEN": TOKEN,
                            "SLACK_CHANNEL": "C-REG"}.items():
            monkeypatch.setenv(name, value)
        serve(httpserver, {"/list": listing()})
        assert main(["run", "--sources", str(sources)]) == 0  # baseline
        serve(httpserver, {"/list": listing((draft_title, "/draft")), "/draft": detail(draft_title, draft_text)})
        assert main(["run", "--sources", str(sources)]) == 0
        (draft_post,) = slack.posted("C-REG")
        serve(httpserver, {"/list": listing((final_title, "/final"), (draft_title, "/draft")),
                           "/final": detail(final_title, final_text), "/draft": detail(draft_title, draft_text)})
        assert main(["run", "--sources", str(sources)]) == 0
        assert main(["run", "--sources", str(sources)]) == 0  # a quiet cycle links nothing twice
        posts = slack.posted("C-REG")
        replies = [m for m in posts if m.get("thread_ts") == draft_post["ts"]]
        (reply,) = replies
        bodies = json.dumps(reply["blocks"], ensure_ascii=False)
        assert reply["blocks"][0]["text"]["text"] == f"Final version: {final_title}"
        assert "3 articles changed since the draft, 0 added, 1 removed" in bodies  # the deadline sentence went
        rich = [b for b in reply["blocks"] if b["type"] == "rich_text"]
        assert rich and any(e.get("style") == {"strike": True} and e["text"] == "二十四" for e in
                            rich[0]["elements"][0]["elements"])
        sent = [body for method, body, _ in slack.requests if method == "chat.postMessage"
                and body.get("thread_ts") == draft_post["ts"]]
        assert sent and all(str(b.get("reply_broadcast")).lower() == "true" for b in sent)
        assert len([m for m in posts if m["blocks"][0]["text"]["text"].startswith("MEDIUM · New: 关于印发")]) == 1

    capsys.readouterr()
    assert main(["dossier", "银行保险机构数据安全管理办法"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("=== 银行保险机构数据安全管理办法")
    events = [line.split()[1:3] for line in out.splitlines() if line[:4].isdigit()]
    assert [e[0] for e in events if e[0] in ("draft", "comment", "final")] == ["draft", "final", "comment"]
    assert "linked: draft #1 -> final #2 by name (score 1.0)" in out
    assert "draft vs final: 3 articles changed since the draft, 0 added, 1 removed" in out
    assert "应当在[-二十四-]{+两+}小时内报告" in out
    assert main(["dossier", "银行保险机构数据安全管理办法", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [link["method"] for link in data["lineage"]] == ["name"] and data["summary"].startswith("3 articles")
    assert main(["dossier", "不存在的办法"]) == 1
    capsys.readouterr()
    capsys.readouterr()
    assert main(["calendar", "--json"]) == 0
    assert [(e["role"], e["date"]) for e in json.loads(capsys.readouterr().out)] == [
        ("comment_deadline", deadline.isoformat())]


def test_an_uncertain_link_asks_in_the_drafts_thread() -> None:
    from rulewatch.core.model import Alert
    from rulewatch.detection.lineage import match
    from rulewatch.lineage import reply

    draft = Alert(kind="new_item", title="关键信息基础设施安全保护办法（草案）", url="http://x/d", source="cac",
                  subject="d1", channel="C-REG", id=4)
    final = Alert(kind="new_item", title="关键信息基础设施安全保护条例", url="http://x/f", source="cac", subject="f1", id=9)
    found = match(draft.title, (), final.title, ())
    assert found is not None and not found.certain
    message = reply(draft, final, found, None, None)
    assert (message.kind, message.source, message.subject, message.channel) == ("final_published", "cac", "d1", "C-REG")
    assert message.added.startswith("Is this the final version of 关键信息基础设施安全保护办法（草案）?")
    assert message.idempotency_key == "lineage:4:9"


def fr_record(number: str, title: str, kind: str, rin: str, docket: str, **extra: object) -> dict[str, object]:
    return {"title": title, "type": kind, "action": f"{kind}.", "document_number": number,
            "abstract": f"{title}. Covered providers shall report incidents to the agency.",
            "html_url": f"https://www.federalregister.gov/documents/{number}", "publication_date": "2026-11-02",
            "docket_ids": [docket], "regulation_id_numbers": [rin], **extra}


def test_a_proposed_rule_and_its_final_rule_are_linked_by_rin(httpserver: HTTPServer, tmp_path: Path,
                                                              rw_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Federal Register records whose titles share no wording: the shared RIN links them, and the
    proposed rule (its title says nothing of a proposal; its type does) is found as the draft."""
    closes = (date.today() + timedelta(days=20)).isoformat()
    older = fr_record("2026-20001", "Privacy Act of 1974; System of Records", "Notice", "", "PRIV-2026-0003")
    proposed = fr_record("2026-21001", "Incident Reporting Requirements for Covered Cloud Service Providers",
                         "Proposed Rule", "1670-AZ99", "TEST-2026-0001", comments_close_on=closes)
    final = fr_record("2026-24001", "Covered Cloud Provider Cyber Incident Reports", "Rule", "1670-AZ99",
                      "TEST-2026-0009", effective_on="2027-03-01")
    unrelated = fr_record("2026-24002", "Incident Reporting Requirements for Covered Cloud Service Providers; Correction",
                          "Rule", "3064-AF00", "OTHER-2026-0002")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: us-fr\n    url: {httpserver.url_for('/api/v1/documents.json')}\n"
                       "    publisher: US Federal Register\n    issuer: government\n", encoding="utf-8")

    def answer(*records: dict[str, object]) -> None:
        httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
        httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
        httpserver.expect_request("/api/v1/documents.json").respond_with_json({"count": len(records),
                                                                                "results": list(records)})

    with FakeSlack(TOKEN, channels=("C-REG",)) as slack:
        for name, value in {"SLACK_API_BASE_URL": slack.base_url, "SLACK_BOT_TOKEN": TOKEN,
                            "SLACK_CHANNEL": "C-REG"}.items():
            monkeypatch.setenv(name, value)
        answer(older)
        assert main(["run", "--sources", str(sources)]) == 0
        answer(proposed, older)
        assert main(["run", "--sources", str(sources)]) == 0
        (draft_post,) = slack.posted("C-REG")
        answer(unrelated, final, proposed, older)
        assert main(["run", "--sources", str(sources)]) == 0
        replies = [m for m in slack.posted("C-REG") if m.get("thread_ts") == draft_post["ts"]]
        (reply,) = replies  # the final only: the correction of another RIN is not this rule's final
        assert reply["blocks"][0]["text"]["text"] == f"Final version: {final['title']}"
    capsys.readouterr()
    assert main(["dossier", str(final["title"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(link["method"], link["score"]) for link in data["lineage"]] == [("rin", 1.0)]
    assert main(["calendar", "--json"]) == 0
    assert sorted((e["role"], e["date"], e["title"]) for e in json.loads(capsys.readouterr().out)) == [
        ("comment_deadline", closes, proposed["title"]), ("effective", "2027-03-01", final["title"])]


def test_linking_reads_stored_texts_only_for_a_final_that_matches_an_earlier_draft(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many changed pages and no draft before them read no stored document (each read decompresses a
    snapshot); with a draft, only the linked pair's two texts are read."""
    from rulewatch.core.model import Alert
    from rulewatch.lineage import link_finals
    from rulewatch.state.snapshots import Snapshots

    reads: list[str] = []
    read = Snapshots.alert_document

    def counted(self: Snapshots, alert: Alert) -> object:
        reads.append(alert.title)
        return read(self, alert)

    monkeypatch.setattr(Snapshots, "alert_document", counted)
    record_alerts(store, [Alert(kind="changed_text", title=f"银行业金融机构规则{n}号", url=f"http://x/{n}")
                          for n in range(5)])
    assert link_finals(store, [a.outbox_id for a in store.outbox.alerts()]) == [] and reads == []

    record_alerts(store, [Alert(kind="new_item", title="银行保险机构数据安全管理办法（征求意见稿）", url="http://x/d",
                                source="nfra-draft")])
    draft_id = max(a.outbox_id for a in store.outbox.alerts())
    record_alerts(store, [Alert(kind="changed_text", title="银行保险机构数据安全管理办法", url="http://x/f",
                                source="nfra-final"),
                          Alert(kind="changed_text", title="银行保险机构操作风险管理办法", url="http://x/o",
                                source="nfra-other")])
    new = [a.outbox_id for a in store.outbox.alerts() if a.source in ("nfra-final", "nfra-other")]
    assert link_finals(store, new) == [draft_id]
    assert sorted(reads) == sorted(["银行保险机构数据安全管理办法（征求意见稿）", "银行保险机构数据安全管理办法"])


def test_dossier_finds_a_rule_named_loosely_and_offers_the_close_ones(
        tmp_path: Path, rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from rulewatch.core.model import Alert
    from rulewatch.lineage import closest_rules, dossier, rule_alerts

    home = Path(rw_env["RULEWATCH_HOME"])
    home.mkdir(parents=True)
    store = Store(f"sqlite:///{home / 'rulewatch.db'}")
    try:
        record_alerts(store, [
            Alert(kind="new_item", title="银行保险机构数据安全管理办法（征求意见稿）", url="http://x/d", source="nfra"),
            Alert(kind="changed_text", title="银行保险机构操作风险管理办法", url="http://x/o", source="nfra-o"),
            Alert(kind="changed_text", title="网络安全审查办法", url="http://x/c", source="cac"),
            Alert(kind="new_item", title="Incident Reporting Requirements for Covered Cloud Service Providers; "
                                         "Proposed Rule", url="http://x/fr", source="us-fr")])
        left_out = dossier(store, "数据安全办法")  # 管理 left out
        assert left_out is not None and left_out.closest == "银行保险机构数据安全管理办法"
        slip = dossier(store, "银行保险机构数据安全管里办法")  # 理 mistyped as 里
        assert slip is not None and slip.name == "银行保险机构数据安全管理办法"
        english = dossier(store, "incident reporting cloud providers")
        assert english is not None and english.events[0].source == "us-fr"
        plain = dossier(store, "网络安全审查")  # a plain part of the name: found as it is, no guessing
        assert plain is not None and plain.closest == ""
        assert dossier(store, "银行保险办法") is None  # two rules fit: neither is taken
        assert closest_rules(rule_alerts(store), "银行保险办法") == ["银行保险机构操作风险管理办法", "银行保险机构数据安全管理办法"]
        assert dossier(store, "证券期货业网络安全管理办法") is None and closest_rules(rule_alerts(store), "证券期货业网络安全管理办法") == []
    finally:
        store.close()
    capsys.readouterr()
    assert main(["dossier", "数据安全办法"]) == 0
    assert "no rule is named '数据安全办法'; the closest: 银行保险机构数据安全管理办法" in capsys.readouterr().err
    assert main(["dossier", "银行保险办法"]) == 1
    assert "did you mean: 银行保险机构操作风险管理办法; 银行保险机构数据安全管理办法" in capsys.readouterr().err


def test_a_rules_key_dates_show_once_and_a_later_alert_moves_them(tmp_path: Path) -> None:
    """`dossier` repeated each date once per alert, and kept an effective date a later alert changed."""
    from rulewatch.core.model import Alert, KeyDate
    from rulewatch.lineage import dossier

    store = Store(f"sqlite:///{tmp_path / 'rw.db'}")
    effective = KeyDate(role="effective", date="2027-01-01", evidence="本办法自2027年1月1日起施行。", article="第四十条")
    moved = KeyDate(role="effective", date="2027-07-01", evidence="本办法自2027年7月1日起施行。", article="第四十条")
    deadline = KeyDate(role="comment_deadline", date="2026-12-20", evidence="2026年12月20日前反馈意见", article="")
    try:
        record_alerts(store, [
            Alert(kind="changed_text", title="网络数据出境安全管理办法", url="http://x/r", source=f"cac{n}",
                  key_dates=dates)
            for n, dates in enumerate([(effective, deadline), (effective, deadline), (moved,)])])
        found = dossier(store, "网络数据出境安全管理办法")
    finally:
        store.close()
    assert found is not None
    dated = [(e.day, e.what) for e in found.events if e.what in ("takes effect", "comment deadline")]
    assert dated == [("2026-12-20", "comment deadline"), ("2027-07-01", "takes effect")]


def test_two_publishers_rules_of_one_name_stay_two_rules(store: Store) -> None:
    """NFRA's draft and CAC's final of one name: the thread asks, the rules stay apart, and `dossier`
    by that name offers both instead of merging them."""
    from rulewatch.core.model import Alert
    from rulewatch.lineage import SeveralRules, dossier, link_finals, rule_alerts

    record_alerts(store, [Alert(kind="new_item", title="数据安全管理办法（征求意见稿）", url="http://n/d",
                                source="nfra-drafts", publisher="NFRA")])
    record_alerts(store, [Alert(kind="new_item", title="数据安全管理办法", url="http://c/f", source="cac-rules",
                                publisher="CAC")])
    draft_id, final_id = sorted(a.outbox_id for a in store.outbox.alerts())
    assert link_finals(store, [final_id]) == [draft_id]
    (question,) = [a for a in store.outbox.alerts() if a.kind == "final_published"]
    assert question.added.startswith("Is this the final version of 数据安全管理办法（征求意见稿）?")
    rules = rule_alerts(store)
    assert rules.rule_of[draft_id] != rules.rule_of[final_id]
    with pytest.raises(SeveralRules) as several:
        dossier(store, "数据安全管理办法", rules)
    assert several.value.count == 2
    assert [(c.alert_id, c.publisher) for c in several.value.choices] == [(final_id, "CAC"), (draft_id, "NFRA")]
    final = dossier(store, str(final_id), rules)
    assert final is not None and [e.what for e in final.events] == ["final? (unconfirmed)"]
    assert [link["certain"] for link in final.links] == [False]


def test_a_query_that_fits_many_rules_offers_a_bounded_choice(
        rw_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from rulewatch.core.model import Alert
    from rulewatch.lineage import MAX_CHOICES, SeveralRules, dossier

    home = Path(rw_env["RULEWATCH_HOME"])
    home.mkdir(parents=True)
    store = Store(f"sqlite:///{home / 'rulewatch.db'}")
    subjects = ["数据安全", "操作风险", "外包风险", "业务连续性", "信息披露", "反洗钱", "消费者权益保护", "声誉风险",
                "流动性风险", "市场风险", "资本", "关联交易", "公司治理", "内部控制"]
    try:
        record_alerts(store, [Alert(kind="changed_text", title=f"银行保险机构{s}管理办法", url=f"http://x/{n}",
                                    source="nfra") for n, s in enumerate(subjects)])
        with pytest.raises(SeveralRules) as several:
            dossier(store, "管理办法")
        assert several.value.count == len(subjects) and len(several.value.choices) == MAX_CHOICES
        exact = dossier(store, "银行保险机构数据安全管理办法")  # a name that is also inside no other
        assert exact is not None and len(exact.events) == 1
    finally:
        store.close()
    capsys.readouterr()
    assert main(["dossier", "管理办法"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{len(subjects)} rules fit '管理办法'; name one more fully, or give one of these alert ids:")
    assert "银行保险机构内部控制管理办法  [nfra; 1 alert(s)]" in err
    assert f"… and {len(subjects) - MAX_CHOICES} more" in err
