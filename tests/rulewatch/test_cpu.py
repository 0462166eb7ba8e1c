"""`rulewatch run` keeps its threads on one CPU (RULEWATCH_ONE_CPU, on by default). Checked in
subprocesses: pinning the test process would pin every server the suite starts afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from rulewatch.cpu import current_cpu

MULTI_CPU = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
needs_two_cpus = pytest.mark.skipif(not MULTI_CPU, reason="this machine lets the tests use only one CPU")

PAGE = ("<html><head><title>办法</title></head><body><div class='content'><h1>办法</h1>"
        "<p>第一条 本办法适用于银行业金融机构的信息科技外包。</p></div></body></html>")
# Runs the CLI, then reports the CPUs the process (and a thread it starts afterwards) may use.
RUN_AND_REPORT = """
import os, sys, threading
from rulewatch.cli import main
code = main(["run", "-q", "--sources", sys.argv[1]])
seen = []
t = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))
t.start(); t.join()
print("AFFINITY", code, sorted(os.sched_getaffinity(0)), seen[0])
"""


def test_current_cpu_is_one_this_process_may_use() -> None:
    cpu = current_cpu()
    if not Path("/proc/self/stat").exists():
        assert cpu is None
    else:
        assert cpu is not None and cpu in os.sched_getaffinity(0)


def _run(tmp_path: Path, url: str, one_cpu: str) -> tuple[int, list[int], list[int]]:
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: rule\n    url: {url}\n", encoding="utf-8")
    env = dict(os.environ, RULEWATCH_HOME=str(tmp_path / f"home{one_cpu}"), RULEWATCH_HOST_DELAY="0",
               RULEWATCH_ONE_CPU=one_cpu)
    out = subprocess.run([sys.executable, "-c", RUN_AND_REPORT, str(sources)], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("AFFINITY"))
    _, code, rest = line.split(" ", 2)
    process, thread = rest.split("] [")
    parse = lambda s: [int(c) for c in s.strip("[] ").split(",") if c.strip()]  # noqa: E731
    return int(code), parse(process), parse(thread)


@needs_two_cpus
def test_run_keeps_its_threads_on_one_cpu_by_default(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rule").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    code, process, thread = _run(tmp_path, httpserver.url_for("/rule"), "1")
    assert code == 0
    assert len(process) == 1 and process[0] in os.sched_getaffinity(0)
    assert thread == process  # threads started later inherit it


@needs_two_cpus
def test_one_cpu_off_leaves_the_cpus_alone(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rule").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    code, process, thread = _run(tmp_path, httpserver.url_for("/rule"), "0")
    assert code == 0
    assert process == thread == sorted(os.sched_getaffinity(0))


def test_bad_flag_is_a_clear_settings_error() -> None:
    from rulewatch.core.errors import SettingsError
    from rulewatch.settings import Settings

    with pytest.raises(SettingsError, match="RULEWATCH_ONE_CPU"):
        Settings.from_env({"RULEWATCH_ONE_CPU": "sometimes"})
    assert Settings.from_env({}).one_cpu is True
    assert Settings.from_env({"RULEWATCH_ONE_CPU": "off"}).one_cpu is False


def _spin_on(cpu_number: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c",
                             f"import os; os.sched_setaffinity(0, {{{cpu_number}}})\nwhile True: pass"])


def _decisive(picks: list[tuple[int | None, dict[int, int]]], busy: int) -> list[int | None]:
    """The picks made while some CPU other than the neighbour's was idle for longer than it: on a machine
    that other work keeps busy on every CPU (another suite beside this one), a sample can hold no better
    choice, and picking the neighbour's CPU is then no mistake."""
    return [pick for pick, idle in picks if max(v for c, v in idle.items() if c != busy) > idle[busy]]


def _recording_idle_times(monkeypatch: pytest.MonkeyPatch) -> list[dict[int, int]]:
    """Every reading of the CPUs' idle times that rulewatch.cpu makes, in order."""
    from rulewatch import cpu

    seen: list[dict[int, int]] = []
    read = cpu._idle_times

    def recording() -> dict[int, int]:
        seen.append(read())
        return seen[-1]

    monkeypatch.setattr(cpu, "_idle_times", recording)
    return seen


@needs_two_cpus
def test_the_cpu_kept_is_not_the_one_a_neighbour_keeps_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process spinning on one CPU: the idlest CPU is another (the cycle would otherwise share it)."""
    from rulewatch.cpu import idlest_cpu

    allowed = os.sched_getaffinity(0)
    busy = min(allowed)
    seen = _recording_idle_times(monkeypatch)
    spin = _spin_on(busy)
    picks = []
    try:
        for _ in range(10):
            pick = idlest_cpu(allowed, sample=0.2)
            before, after = seen[-2], seen[-1]  # the two readings around this sample
            picks.append((pick, {c: after[c] - before[c] for c in allowed}))
            if len(_decisive(picks, busy)) >= 3:
                break
    finally:
        spin.kill()
        spin.wait()
    decisive = _decisive(picks, busy)
    if not decisive:
        pytest.skip("every CPU was kept busy by other work throughout: there was no idler CPU to find")
    assert busy not in decisive


@needs_two_cpus
def test_the_start_up_sample_sees_a_busy_neighbour_and_not_this_process_own_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As the command does it: the idle times noted at start, then work of our own (the imports), then
    the choice, with no sleep; the neighbour's CPU is avoided, and our own busy CPU is not mistaken
    for a neighbour's."""
    import time

    from rulewatch import cpu

    allowed = os.sched_getaffinity(0)
    busy = min(allowed)
    seen = _recording_idle_times(monkeypatch)
    spin = _spin_on(busy)
    picks = []
    try:
        time.sleep(0.1)  # the neighbour is running
        for _ in range(10):
            monkeypatch.setattr(cpu, "_start", None)
            cpu.note_start()
            own_before = cpu._own_ticks()
            until = time.monotonic() + 0.3
            while time.monotonic() < until:  # our own start-up, on whichever CPU we run
                pass
            started = time.monotonic()
            pick = cpu.idlest_cpu(allowed)
            assert time.monotonic() - started < cpu.IDLE_SAMPLE_SECONDS  # measured, not slept
            before, after = seen[-2], seen[-1]
            idle = {c: after[c] - before[c] for c in allowed}
            mine, own_after = cpu.current_cpu(), cpu._own_ticks()
            if mine in idle and own_before is not None and own_after is not None:
                idle[mine] += own_after - own_before  # as the choice credits it: our work is no neighbour's
            picks.append((pick, idle))
            if len(_decisive(picks, busy)) >= 3:
                break
    finally:
        spin.kill()
        spin.wait()
    decisive = _decisive(picks, busy)
    if not decisive:
        pytest.skip("every CPU was kept busy by other work throughout: there was no idler CPU to find")
    assert busy not in decisive


def test_own_ticks_grow_with_work() -> None:
    import time

    from rulewatch.cpu import _own_ticks

    before = _own_ticks()
    if before is None:
        pytest.skip("no /proc/self/stat here")
    until = time.monotonic() + 0.1
    while time.monotonic() < until:
        pass
    after = _own_ticks()
    assert after is not None and after >= before + 5  # 0.1 s of CPU is about 10 ticks
