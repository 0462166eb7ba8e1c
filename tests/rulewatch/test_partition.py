"""Partition k of n: disjoint parts that together hold every source, stable across processes; and
n partitioned runs at once, sharing one state database, check each source once with no duplicate
alert and no lost snapshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from faultserver import FaultServer, respond
from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.partition import Partition, PartitionError, part_of
from rulewatch.state import Store

EXE = Path(sys.executable).parent / "rulewatch"


class Named:
    def __init__(self, name: str) -> None:
        self.name = name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=60), st.integers(1, 9))
def test_the_parts_of_n_are_disjoint_and_hold_every_source_in_order(names: list[str], count: int) -> None:
    sources = [Named(n) for n in names]
    parts = {k: [s.name for s in Partition(k, count).select(sources)] for k in range(1, count + 1)}
    assert sorted(name for part in parts.values() for name in part) == sorted(names)
    for k, part in parts.items():
        assert part == [n for n in names if part_of(n, count) == k]  # the file's order, kept


def test_a_source_is_in_the_same_part_in_every_process() -> None:
    """Python's str hash is salted per process; the partition is not (pinned values)."""
    assert [part_of(f"source-{n}", 4) for n in range(8)] == [part_of(f"source-{n}", 4) for n in range(8)]
    code = "from rulewatch.partition import part_of; print([part_of(f'source-{n}', 4) for n in range(8)])"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=str(seed))).stdout for seed in (1, 2)}
    assert runs == {f"{[part_of(f'source-{n}', 4) for n in range(8)]}\n"}


def test_parts_are_about_even() -> None:
    counts = [sum(1 for n in range(10_000) if part_of(f"https://x.example/rule/{n}", 4) == k) for k in (1, 2, 3, 4)]
    assert min(counts) > 2300 and max(counts) < 2700


@pytest.mark.parametrize("text, why", [
    ("2", "write it as k/n"), ("0/2", "between 1 and 2"), ("3/2", "between 1 and 2"), ("1/0", "between 1 and"),
    ("a/b", "write it as k/n"), ("1/2/3", "write it as k/n"),
])
def test_a_malformed_partition_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(PartitionError, match=why) as caught:
        Partition.parse(text)
    assert repr(text) in str(caught.value)


def test_the_cli_refuses_a_malformed_partition(tmp_path: Path) -> None:
    run = subprocess.run([str(EXE), "run", "--partition", "3/2", "--sources", str(tmp_path / "none.yaml")],
                         capture_output=True, text=True, env=dict(os.environ, RULEWATCH_HOME=str(tmp_path)))
    assert run.returncode == 2 and "partition '3/2': the part must be between 1 and 2" in run.stderr


def page(n: int, rule: str) -> bytes:
    return (f"<html><body><div class='content'><h1>数据安全管理办法（第{n}号）</h1>"
            f"<p>第一条 为了规范数据安全管理，制定本办法。</p><p>第二条 {rule}</p></div></body></html>").encode()


@pytest.mark.slow
def test_partitioned_runs_at_once_check_each_source_once(database_url: str, tmp_path: Path) -> None:
    count = 12
    site = FaultServer()
    site.routes["/robots.txt"] = respond(b"", status=404)
    for n in range(count):
        site.routes[f"/r{n}"] = respond(page(n, "本办法自发布之日起施行。"))
    src = tmp_path / "sources.yaml"
    src.write_text("sources:\n" + "".join(f"  - name: r{n}\n    url: {site.url(f'/r{n}')}\n" for n in range(count)),
                   encoding="utf-8")
    env = dict(os.environ, RULEWATCH_DATABASE_URL=database_url, RULEWATCH_HOME=str(tmp_path / "home"),
               RULEWATCH_HOST_DELAY="0", RULEWATCH_WORKERS="2", RULEWATCH_SHARED_POLITENESS="1")

    def all_parts() -> list[str]:
        cmd = [str(EXE), "run", "--no-deliver", "--sources", str(src), "--partition"]
        procs = [subprocess.Popen([*cmd, f"{k}/3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for k in (1, 2, 3)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], outputs
        return outputs

    first = all_parts()
    checked = [line.split()[1].rstrip(":") for out in first for line in out.splitlines() if line.startswith("ok")]
    assert sorted(checked) == sorted(f"r{n}" for n in range(count))  # each source in exactly one part
    for n in range(count):
        site.routes[f"/r{n}"] = respond(page(n, "本办法自2027年1月1日起施行。"))
    all_parts()
    site.stop()
    store = Store(database_url)
    try:
        assert sorted(a.source for a in store.outbox.alerts()) == sorted(f"r{n}" for n in range(count))  # one each
        for n in range(count):
            assert len(store.snapshots.of(f"r{n}")) == 2 and len(store.snapshots.changes(f"r{n}")) == 1
    finally:
        store.close()
