"""Forked analysis workers (rulewatch.workers). Each case runs in a fresh interpreter: a fork is only
made by a process with a single thread, and the test process has the suite's servers running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from rulewatch.workers import ForkedWorkers, can_fork, default_count

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")

PRELUDE = """
import os, sys, threading, time, logging
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
from rulewatch.workers import ForkedWorkers
"""


def run_script(body: str, *args: str) -> str:
    """`body` after PRELUDE in a fresh interpreter; its stdout (stderr is added to a failure)."""
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body), *args], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


@linux_only
def test_answers_come_from_another_process_and_in_order_per_caller() -> None:
    out = run_script("""
        def handler(task):
            return (os.getpid(), task * 2)
        with ForkedWorkers(handler, 2) as workers:
            assert workers.start()
            answers = {}
            def ask(n):
                answers[n] = workers.call(n)
            threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
        mine = os.getpid()
        answered = {n: a for n, a in answers.items() if a is not None}
        assert all(pid != mine and value == n * 2 for n, (pid, value) in answered.items()), answers
        print("ANSWERED", len(answered), "CALLS", workers.calls, "BACK", workers.handed_back)
    """)
    line = next(x for x in out.splitlines() if x.startswith("ANSWERED"))
    _, answered, _, calls, _, back = line.split()
    assert int(answered) == int(calls) >= 1
    assert int(calls) + int(back) == 4


@linux_only
def test_a_handler_that_raises_hands_the_task_back() -> None:
    out = run_script("""
        def handler(task):
            if task == "bad":
                raise ValueError("a bug in analysis")
            return task.upper()
        with ForkedWorkers(handler, 1) as workers:
            assert workers.start()
            print("BAD", workers.call("bad"))
            print("GOOD", workers.call("good"))  # the worker survives its task's error
            print("COUNTS", workers.calls, workers.handed_back)
    """)
    assert "BAD None" in out and "GOOD GOOD" in out and "COUNTS 1 1" in out


@linux_only
def test_a_result_that_cannot_be_pickled_is_handed_back() -> None:
    out = run_script("""
        def handler(task):
            return threading.Lock() if task == "lock" else task
        with ForkedWorkers(handler, 1) as workers:
            assert workers.start()
            print("LOCK", workers.call("lock"))
            print("NEXT", workers.call("next"))
    """)
    assert "LOCK None" in out and "NEXT next" in out


@linux_only
def test_a_killed_worker_is_not_used_again_and_loses_no_task() -> None:
    out = run_script("""
        import signal
        def handler(task):
            if task == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            return task
        with ForkedWorkers(handler, 1) as workers:
            assert workers.start()
            print("DIE", workers.call("die"))
            print("AFTER", workers.call("after"))
    """)
    assert "DIE None" in out and "AFTER None" in out  # both run by the caller instead
    assert "analysis worker" in out and "lost" in out


@linux_only
def test_a_caller_runs_its_task_itself_when_every_worker_is_full(tmp_path: Path) -> None:
    """depth 1, one worker busy with a task that waits for a file: the next call is handed back at once."""
    out = run_script("""
        go = sys.argv[1]
        def handler(task):
            while task == "slow" and not os.path.exists(go):
                time.sleep(0.01)
            return task
        with ForkedWorkers(handler, 1, depth=1) as workers:
            assert workers.start()
            slow = []
            t = threading.Thread(target=lambda: slow.append(workers.call("slow")))
            t.start()
            while workers.calls == 0 and not workers._workers[0].pending:
                time.sleep(0.01)
            print("FULL", workers.call("fast"))
            open(go, "w").close()
            t.join()
            print("SLOW", slow[0])
    """, str(tmp_path) + "/go")
    assert "FULL None" in out and "SLOW slow" in out


@linux_only
def test_close_does_not_wait_for_a_worker_still_warming_up() -> None:
    out = run_script("""
        with ForkedWorkers(lambda task: task, 1, warm=lambda: time.sleep(60)) as workers:
            assert workers.start()
            started = time.monotonic()
        print("CLOSED IN", time.monotonic() - started < 10)
    """)
    assert "CLOSED IN True" in out


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        workers = ForkedWorkers(lambda task: task, 1)
        assert workers.start() is False and workers.started == 0
        assert workers.call("x") is None  # no worker: the caller runs it
    finally:
        stop.set()
        other.join()


def test_default_count_leaves_one_cpu_to_the_cycle() -> None:
    assert default_count({0}) == 0
    assert default_count({0, 1}) == 1
    assert default_count(set(range(64))) == 8


def test_settings_read_the_worker_count() -> None:
    from rulewatch.core.errors import SettingsError
    from rulewatch.settings import Settings

    assert Settings.from_env({}).analysis_workers is None
    assert Settings.from_env({"RULEWATCH_ANALYSIS_WORKERS": "auto"}).analysis_workers is None
    assert Settings.from_env({"RULEWATCH_ANALYSIS_WORKERS": "0"}).analysis_workers == 0
    assert Settings.from_env({"RULEWATCH_ANALYSIS_WORKERS": "3"}).analysis_workers == 3
    with pytest.raises(SettingsError, match="RULEWATCH_ANALYSIS_WORKERS"):
        Settings.from_env({"RULEWATCH_ANALYSIS_WORKERS": "many"})
    with pytest.raises(SettingsError, match="RULEWATCH_ANALYSIS_WORKERS"):
        Settings.from_env({"RULEWATCH_ANALYSIS_WORKERS": "-1"})



RULE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body><div class="content">
<h1>{title}</h1><div class="info">浏览次数：{views}</div>
<p>第一条 为了规范网络安全事件报告，制定本办法。</p><p>第二条 本办法适用于{who}。</p>
<p>第三条 发生重大网络安全事件的，应当在{hours}内报告。</p><p>第四条 {extra}</p></div></body></html>"""
LONG = "<p>" + "。".join(f"第{n}条 银行保险机构应当建立数据安全管理制度并定期开展评估" for n in range(5, 40)) + "</p>"


def _page(n: int, version: int) -> bytes:
    changed = version == 2 and n % 3 != 0  # two pages in three change substantively; every page's counter moves
    return RULE.format(title=f"网络安全事件报告办法（第{n}号）", views=version * 100 + n, who="银行业金融机构",
                       hours="两小时" if changed else "二十四小时", extra=f"本办法自第{n}日起施行。").encode()


def _alerts(exe: Path, env: dict[str, str]) -> list[dict[str, object]]:
    shown = subprocess.run([str(exe), "alerts", "--json"], check=True, capture_output=True, env=env)
    volatile = ("id", "ts", "detected_at", "delivered_at", "change_id", "idempotency_key", "attempts", "links", "deliveries")
    return sorted(({k: v for k, v in a.items() if k not in volatile and not k.endswith("_at")}
                   for a in json.loads(shown.stdout)), key=lambda a: json.dumps(a, sort_keys=True))


@linux_only
@pytest.mark.slow
def test_a_cycle_with_workers_records_what_one_without_records(tmp_path: Path) -> None:
    """The same two cycles, with two workers and with none: the same alerts and outcomes; a page that
    collapses fails the same way (its analysis raised in the worker, and was run again in the cycle)."""
    from tests.faultserver import FaultServer, respond

    server = FaultServer()
    server.routes["/robots.txt"] = respond(b"", status=404)
    names = [f"rule{n:02d}" for n in range(24)]
    collapsing = "rule05"
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n" + "".join(f"  - name: {name}\n    url: {server.url('/' + name)}\n"
                                              for name in names), encoding="utf-8")
    exe = Path(sys.executable).parent / "rulewatch"
    try:
        outputs = {}
        for workers in ("0", "2"):
            env = {**os.environ, "RULEWATCH_HOME": str(tmp_path / f"home{workers}"), "RULEWATCH_HOST_DELAY": "0",
                   "RULEWATCH_HOST_CONCURRENCY": "8", "RULEWATCH_SINK": "console",
                   "RULEWATCH_ANALYSIS_WORKERS": workers}
            for n, name in enumerate(names):
                body = _page(n, 1).replace(b"</div></body>", LONG.encode() + b"</div></body>")
                server.routes[f"/{name}"] = respond(body if name == collapsing else _page(n, 1))
            subprocess.run([str(exe), "run", "-q", "--sources", str(sources)], check=True, capture_output=True,
                           env=env)
            for n, name in enumerate(names):
                server.routes[f"/{name}"] = respond(b"<html><body><p>404</p></body></html>" if name == collapsing
                                                    else _page(n, 2))
            run = subprocess.run([str(exe), "run", "-v", "--sources", str(sources)], capture_output=True,
                                 text=True, env=env)
            assert run.returncode == 1, run.stderr  # the collapsed page fails the run, as without workers
            outputs[workers] = (sorted(line for line in run.stdout.splitlines() if line.startswith(("ok", "FAIL"))),
                                _alerts(exe, env), run.stderr)
        (lines0, alerts0, _), (lines2, alerts2, log2) = outputs["0"], outputs["2"]
        assert lines2 == lines0
        assert alerts2 == alerts0 and len(alerts0) == len([n for n in range(24) if n % 3 != 0]) - 1
        assert any(line.startswith(f"FAIL {collapsing}") for line in lines2)
        analysed = next(line for line in log2.splitlines() if "analysis:" in line)
        assert "in 2 worker process(es)" in analysed and " 0 page(s) analysed in" not in analysed, log2
        assert "Traceback" not in log2
    finally:
        server.stop()


@linux_only
def test_each_caller_gets_the_answer_to_its_own_task_when_many_call_at_once() -> None:
    """Answers are matched to tasks by number: with callers racing to send, an answer matched by order
    went to the wrong caller (a page judged as another source's)."""
    out = run_script("""
        import random
        def handler(task):
            time.sleep(random.random() / 2000)
            return task
        wrong = []
        with ForkedWorkers(handler, 2, depth=64) as workers:
            assert workers.start()
            def ask(caller):
                for n in range(300):
                    task = (caller, n, "x" * random.randrange(1, 200_000))  # sends of very different lengths
                    answer = workers.call(task)
                    if answer is not None and answer != task:
                        wrong.append((task[:2], answer[:2]))
            threads = [threading.Thread(target=ask, args=(c,)) for c in range(12)]
            for t in threads: t.start()
            for t in threads: t.join()
        print("WRONG", len(wrong), "CALLS", workers.calls)
    """)
    line = next(x for x in out.splitlines() if x.startswith("WRONG"))
    _, wrong, _, calls = line.split()
    assert int(wrong) == 0 and int(calls) > 1000
