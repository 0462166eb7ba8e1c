"""prefect.yaml against a real Prefect server: deploy, start a worker, run check-sources by hand
against a local site in which a page changes; the event trigger runs deliver-alerts, and the alert
reaches the local Slack-compatible server. Every process started here is stopped here."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
TOKEN = "xoxb-test-token-123"
PAGE = """<html><head><meta charset="utf-8"><title>网络安全审查办法</title></head><body><div class="content">
<h1>网络安全审查办法</h1><p>第一条 为了确保关键信息基础设施供应链安全，制定本办法。</p>
<p>第二条 运营者采购网络产品和服务的，应当预判安全风险。</p><p>第三条 {rule}</p></div></body></html>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            # A worker can ignore SIGTERM for a minute: SIGINT first, then SIGKILL, for the whole group.
            for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 10)):
                if proc.poll() is None:
                    os.killpg(proc.pid, sig)
                    try:
                        proc.wait(wait)
                    except subprocess.TimeoutExpired:
                        continue


def prefect(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    proc = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"prefect {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def deliver_runs(api: str) -> list[dict[str, object]]:
    body = json.dumps({"flows": {"name": {"any_": ["deliver-alerts"]}}}).encode()
    request = urllib.request.Request(f"{api}/flow_runs/filter", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback only
        return list(json.loads(resp.read()))


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_deploy_run_by_hand_then_event_triggers_delivery(httpserver: HTTPServer, tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    with FakeSlack(TOKEN) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_"))}
        env.update(
            PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1",
            RULEWATCH_HOME=str(tmp_path / "home"), RULEWATCH_HOST_DELAY="0", RULEWATCH_DIR=str(ROOT),
            SLACK_BOT_TOKEN=TOKEN, SLACK_CHANNEL="C-ALERTS", SLACK_API_BASE_URL=slack.base_url,
            NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        )
        src = tmp_path / "sources.yaml"
        src.write_text(f"sources:\n  - name: cac\n    url: {httpserver.url_for('/rule')}\n    group: regulators\n",
                       encoding="utf-8")
        httpserver.expect_request("/rule").respond_with_data(PAGE.format(rule="本办法自发布之日起施行。"),
                                                             content_type="text/html")
        server_cmd = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        with process(server_cmd, env, tmp_path / "server.log"):
            wait_for(lambda: healthy(f"{api}/health"), 90, "the Prefect server")
            prefect(["work-pool", "create", "rulewatch", "--type", "process"], env)
            # Forgetting RULEWATCH_DIR stops the deploy with the reason, before any deployment exists.
            forgot = {k: v for k, v in env.items() if k != "RULEWATCH_DIR"}
            failed = subprocess.run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], env=forgot, cwd=ROOT,
                                    capture_output=True, text=True, timeout=180)
            assert failed.returncode != 0 and "RULEWATCH_DIR is not set" in failed.stdout + failed.stderr
            assert "hourly" not in prefect(["deployment", "ls"], env)
            prefect(["--no-prompt", "deploy", "--all"], env)
            pause_schedules(env, api)
            automations = prefect(["automation", "ls"], env)
            assert "on-change" in automations or "deliver" in automations
            worker_log = tmp_path / "worker.log"
            with process([str(BIN / "rulewatch"), "worker", "--pool", "rulewatch"], env, worker_log) as worker:
                run = ["deployment", "run", "check-sources/hourly", "--param", f"sources_file={src}",
                       "--watch", "--watch-timeout", "180"]
                prefect(run, env, timeout=240)
                assert slack.posted() == []  # the baseline alerts on nothing
                httpserver.clear_all_handlers()  # type: ignore[no-untyped-call]
                httpserver.expect_request("/rule").respond_with_data(
                    PAGE.format(rule="本办法自2027年1月1日起施行。"), content_type="text/html")
                prefect(run, env, timeout=240)
                changed_at = time.monotonic()
                # check-sources/hourly does not deliver (deliver=false): only the event trigger can.
                wait_for(lambda: len(slack.posted()) == 1, 120, "the alert to reach Slack via deliver-alerts")
                print(f"check-sources run finished -> alert in Slack: {time.monotonic() - changed_at:.1f} s")
                runs = deliver_runs(api)
                print("deliver-alerts runs:", [(r["state_type"], r.get("created_by")) for r in runs])
                assert any((r.get("created_by") or {}).get("type") == "AUTOMATION" for r in runs)
                (message,) = slack.posted()
                assert message["text"] == "Amended: 网络安全审查办法"
                assert "2027年1月1日" in str(message["blocks"])
                failing_run_logs_its_reason_and_the_processes_stop_on_sigterm(env, tmp_path, worker, worker_log)


def stopped_within(proc: subprocess.Popen[bytes], seconds: float) -> float:
    """SIGTERM to the process alone (as systemd or Docker sends it), and how long it took to exit."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(seconds)
    return time.monotonic() - started


def failing_run_logs_its_reason_and_the_processes_stop_on_sigterm(
        env: dict[str, str], tmp_path: Path, worker: subprocess.Popen[bytes], worker_log: Path) -> None:
    """A run with a failing source ends Failed with its reason and no traceback (Prefect's engine logged
    a 40-line TypeError after it); `prefect worker start` took about a minute to stop on SIGTERM and
    needed SIGKILL, while `rulewatch worker` and `rulewatch serve` stop within seconds, exit status 0."""
    from rulewatch.flows.worker import STOP_SECONDS

    src = tmp_path / "failing.yaml"
    src.write_text("sources:\n  - name: local\n    url: http://127.0.0.1:9/\n    group: regulators\n", encoding="utf-8")
    ran = subprocess.run([str(BIN / "prefect"), "deployment", "run", "check-sources/hourly", "--param",
                          f"sources_file={src}", "--watch", "--watch-timeout", "180"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=240)
    assert ran.returncode != 0 and "Failed" in ran.stdout + ran.stderr
    wait_for(lambda: "source(s) failed: local" in worker_log.read_text("utf-8", "replace"), 30,
             "the run's reason in the worker's log")
    logged = worker_log.read_text("utf-8", "replace")
    assert "Finished in state Failed('1 of 1 source(s) failed: local')" in logged
    assert "Traceback" not in logged and "TypeError" not in logged, logged[-3000:]
    serve_log = tmp_path / "serve.log"
    with process([str(BIN / "rulewatch"), "serve", "--sources", str(src)], env, serve_log) as served:
        wait_for(lambda: "being served" in serve_log.read_text("utf-8", "replace"), 90, "serve to start")
        took = stopped_within(worker, STOP_SECONDS + 10)
        assert worker.returncode == 0, worker_log.read_text("utf-8", "replace")[-2000:]
        assert "SIGTERM received: the worker stops" in worker_log.read_text("utf-8", "replace")
        print(f"rulewatch worker stopped {took:.1f} s after SIGTERM")
        took = stopped_within(served, STOP_SECONDS + 10)
        assert served.returncode == 0, serve_log.read_text("utf-8", "replace")[-2000:]
        print(f"rulewatch serve stopped {took:.1f} s after SIGTERM")


def pause_schedules(env: dict[str, str], api: str) -> None:
    """Only the runs a test starts: at :00 and :15 the deployments' own schedules would start runs too,
    and a run by hand that meets one is cancelled (collision strategy CANCEL_NEW). Pausing a schedule
    also deletes the runs the server had scheduled ahead."""
    prefect(["--no-prompt", "deployment", "schedule", "pause", "--all"], env)
    request = urllib.request.Request(f"{api}/flow_runs/filter", data=b"{}", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback only
        assert json.loads(resp.read()) == [], "runs left scheduled after the schedules were paused"


def flow_runs(api: str, deployment_names: list[str]) -> list[dict[str, object]]:
    body = json.dumps({"deployments": {"name": {"any_": deployment_names}}}).encode()
    request = urllib.request.Request(f"{api}/flow_runs/filter", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback only
        return list(json.loads(resp.read()))


@pytest.mark.slow
def test_one_group_spread_over_two_workers_by_partition(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Two deployments of the hourly check, partition 1/2 and 2/2 (as README shows), two workers, one
    state database: both runs complete and every source is checked exactly once."""
    import yaml

    from rulewatch.state import Store

    count = 8
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1",
        RULEWATCH_HOME=str(tmp_path / "home"), RULEWATCH_HOST_DELAY="0", RULEWATCH_DIR=str(ROOT),
        RULEWATCH_SHARED_POLITENESS="1", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
    )
    src = tmp_path / "sources.yaml"
    src.write_text("sources:\n" + "".join(
        f"  - name: rule-{n}\n    url: {httpserver.url_for(f'/rule/{n}')}\n    group: regulators\n" for n in range(count)),
        encoding="utf-8")
    for n in range(count):
        httpserver.expect_request(f"/rule/{n}").respond_with_data(PAGE.format(rule=f"第{n}号规则。"),
                                                                   content_type="text/html")
    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (hourly,) = [d for d in declared["deployments"] if d["name"] == "hourly"]
    declared["deployments"] = [
        dict(hourly, name=f"hourly-{k}-of-2", schedules=[],
             parameters=dict(hourly["parameters"], sources_file=str(src), partition=f"{k}/2"))
        for k in (1, 2)]
    spread_yaml = tmp_path / "prefect.yaml"
    spread_yaml.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    names = ["hourly-1-of-2", "hourly-2-of-2"]
    server_cmd = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    worker_cmd = [str(BIN / "rulewatch"), "worker", "--pool", "rulewatch"]
    with process(server_cmd, env, tmp_path / "server.log"):
        wait_for(lambda: healthy(f"{api}/health"), 90, "the Prefect server")
        prefect(["work-pool", "create", "rulewatch", "--type", "process"], env)
        prefect(["--no-prompt", "deploy", "--all", "--prefect-file", str(spread_yaml)], env)
        pause_schedules(env, api)
        with process(worker_cmd, env, tmp_path / "worker-1.log"), process(worker_cmd, env, tmp_path / "worker-2.log"):
            for name in names:
                prefect(["deployment", "run", f"check-sources/{name}"], env)
            wait_for(lambda: sorted(str(r["state_type"]) for r in flow_runs(api, names)) == ["COMPLETED"] * 2,
                     240, "both partition runs to complete")
    fetched = sorted(request.path for request, _ in httpserver.log if request.path.startswith("/rule/"))
    assert fetched == sorted(f"/rule/{n}" for n in range(count))  # each page by one partition, once
    store = Store(f"sqlite:///{tmp_path / 'home' / 'rulewatch.db'}")
    try:
        for n in range(count):
            assert len(store.snapshots.of(f"rule-{n}")) == 1, f"rule-{n} checked {len(store.snapshots.of(f'rule-{n}'))} times"
    finally:
        store.close()
