"""The labelled corpus through the whole product, as ../shared/tools/eval_corpus.py judges it:
serve phase 1 on 127.0.0.1, `rulewatch run`, serve phase 2 on the same port (changed files newly
dated), run again, read `rulewatch alerts --json`; recall and precision 1.00, no leaks, no first-run alerts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from html import unescape
from pathlib import Path

import pytest

from rulewatch.demo import base_url, serve

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
EXE = Path(sys.executable).parent / "rulewatch"


def canon(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unescape(s)))


def texts(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in texts(v)]
    return []


def prepare(tmp: Path) -> tuple[Path, list[dict[str, object]]]:
    site = tmp / "corpus"
    shutil.copytree(CORPUS, site)
    day_ago = time.time() - 86400
    for p1 in (site / "phase1").rglob("*"):
        if p1.is_file():
            os.utime(p1, (day_ago, day_ago))
            p2 = site / "phase2" / p1.relative_to(site / "phase1")
            if p2.exists() and p2.read_bytes() == p1.read_bytes():
                os.utime(p2, (day_ago, day_ago))
    return site, json.loads((site / "cases.json").read_text(encoding="utf-8"))["cases"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_corpus_scores_perfectly_through_the_cli(tmp_path: Path) -> None:
    site, cases = prepare(tmp_path)
    env = dict(os.environ, RULEWATCH_HOME=str(tmp_path / "home"), RULEWATCH_HOST_DELAY="0",
               RULEWATCH_HOST_CONCURRENCY="8", NO_COLOR="1")
    with serve(site / "phase1") as server:
        base = base_url(server)
        for path in site.rglob("feed.xml"):
            path.write_bytes(path.read_bytes().replace(b"http://HOST", base.encode()))
        sources = tmp_path / "sources.yaml"
        sources.write_text("sources:\n" + "".join(
            f"  - name: {c['case']}\n    url: {base}/{c['case']}/{c['entry']}\n" for c in cases), encoding="utf-8")
        first = run(["run", "--sources", str(sources)], env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        assert json.loads(run(["alerts", "--json"], env).stdout) == []
        time.sleep(1.1)  # Last-Modified has one-second resolution
        now = time.time()
        for p2 in (site / "phase2").rglob("*"):
            if p2.is_file() and p2.stat().st_mtime > now - 3600:
                os.utime(p2, (now, now))
        server.root = site / "phase2"
        second = run(["run", "--sources", str(sources)], env)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    alerts = json.loads(run(["alerts", "--json"], env).stdout)
    by_case: dict[str, list[dict[str, object]]] = {}
    for alert in alerts:
        by_case.setdefault(str(alert["source"]), []).append(alert)
    problems = []
    for case in cases:
        got = by_case.get(case["case"], [])
        text = canon("\n".join(t for a in got for t in texts(a)))
        if case["expect_alert"]:
            if not got:
                problems.append(f"missed {case['case']}")
            problems += [f"{case['case']}: evidence {e!r} missing" for e in case["evidence"] if canon(e) not in text]
            topics = {t for a in got for t in a["topics"]}  # type: ignore[attr-defined]
            if not topics & set(case["topics"]):
                problems.append(f"{case['case']}: topics {topics} miss {case['topics']}")
        elif got:
            problems.append(f"false alert {case['case']} ({case['change']})")
        problems += [f"{case['case']}: leaks {m!r}" for m in case["must_not_mention"] if m and canon(m) in text]
    assert problems == []
