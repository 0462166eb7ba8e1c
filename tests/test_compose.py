"""compose.yaml, the documented production layout, stays in step with what rulewatch reads (no docker
here to start it: its wiring is checked instead)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_wires_the_worker_to_the_database_and_the_server() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker"} <= set(services)
    worker = services["worker"]
    env = worker["environment"]
    assert env["RULEWATCH_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["RULEWATCH_DATABASE_URL"]
    assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert env["RULEWATCH_DIR"] == worker["working_dir"] == "/rulewatch"
    assert "[prefect,postgres]" in worker["command"] and "constraints.txt" in worker["command"]
    init = services["postgres"]["volumes"][1].split(":")[0]
    assert (ROOT / init).is_file() and "CREATE DATABASE prefect" in (ROOT / init).read_text(encoding="utf-8")
    assert services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].endswith("/prefect")
