"""Every source is checked by some schedule: coverage read from prefect.yaml, shown and checked by the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulewatch.cli import main
from rulewatch.config import Source, load_sources
from rulewatch.schedules import coverage, describe, load_deployments

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundled_sources_and_a_source_without_a_group_are_all_scheduled() -> None:
    deployments = load_deployments(ROOT / "prefect.yaml")
    sources = [*load_sources(ROOT / "sources.yaml"), Source(name="plain", url="https://x.example/")]
    covered = coverage(sources, deployments)
    assert all(covered.values()), [name for name, ds in covered.items() if not ds]
    assert [d.name for d in covered["plain"]] == ["hourly"]  # group "default" goes to the hourly checks


def test_a_group_no_deployment_checks_is_named(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text(
        "deployments:\n"
        "  - name: hourly\n    entrypoint: rulewatch.flows.check:check_sources\n    parameters: {groups: [regulators]}\n"
        "    schedules: [{cron: '0 * * * *', timezone: Asia/Shanghai}]\n"
        "  - name: paused\n    entrypoint: rulewatch.flows.check:check_sources\n    parameters: {group: press}\n"
        "    schedules: []\n"
        "  - name: everything\n    entrypoint: rulewatch.flows.check:check_sources\n    parameters: {}\n"
        "    schedules: [{interval: 3600, active: false}]\n", encoding="utf-8")
    deployments = load_deployments(tmp_path / "prefect.yaml")
    sources = [Source(name="a", url="https://x.example/a", group="regulators"),
               Source(name="b", url="https://x.example/b", group="press")]
    covered = coverage(sources, deployments)
    assert describe(covered["a"]) == "hourly: cron '0 * * * *' (Asia/Shanghai)"
    assert describe(covered["b"]).startswith("NOT SCHEDULED")  # a deployment without an active schedule


def test_run_check_schedules_warns_and_fails(tmp_path: Path, rw_env: dict[str, str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "sources.yaml"
    src.write_text("sources:\n  - name: a\n    url: https://x.example/a\n"
                   "  - name: b\n    url: https://x.example/b\n    group: weekly\n", encoding="utf-8")
    deployments = str(ROOT / "prefect.yaml")
    assert main(["run", "--check-schedules", "--sources", str(src), "--deployments", deployments]) == 1
    captured = capsys.readouterr()
    assert "WARNING b: no deployment" in captured.err and "1 of 2 sources are checked on a schedule" in captured.out
    assert main(["sources", "--sources", str(src), "--deployments", deployments]) == 0
    out = capsys.readouterr().out
    assert "group default: hourly: cron '0 * * * *' (Asia/Shanghai)" in out and "group weekly: NOT SCHEDULED" in out


def test_prefect_yaml_runs_one_check_and_one_delivery_at_a_time() -> None:
    import yaml

    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for d in declared["deployments"]:
        limit = d.get("concurrency_limit") or {}
        if d["entrypoint"].endswith(":check_sources"):
            assert limit == {"limit": 1, "collision_strategy": "CANCEL_NEW"}, d["name"]
        if d["name"] == "on-change":
            assert limit == {"limit": 1, "collision_strategy": "ENQUEUE"}
            # One trigger event per check run, however many alerts it recorded.
            assert d["triggers"][0]["expect"] == ["rulewatch.cycle.alerted"]
