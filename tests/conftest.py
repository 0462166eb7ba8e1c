"""Shared fixtures: real local servers, real databases. No test touches the internet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# slack_sdk and requests honour proxy variables; loopback must never go through a proxy.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# The suite runs the CLI in-process: `rulewatch run` keeping pytest on one CPU would keep every server
# started after it there too. tests/rulewatch/test_cpu.py checks that behaviour in subprocesses.
os.environ["RULEWATCH_ONE_CPU"] = "0"
for _var in ("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN_BLOCK", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL", "RULEWATCH_WEBHOOK_URL",
             "RULEWATCH_DATABASE_URL", "PREFECT_API_URL"):
    os.environ.pop(_var, None)
# Tests read alerts from the console: the suite chooses it as a sink, as a user at a terminal gets it.
# Tests of what happens with no sink at all (a worker set up without one) take this away.
os.environ["RULEWATCH_SINK"] = "console"

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
POSTGRES_URL = os.environ.get("RULEWATCH_TEST_POSTGRES_URL", "")


@pytest.fixture
def data_dir() -> Path:
    return DATA


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_URL)
    name = f"rulewatch_test_{uuid.uuid4().hex[:12]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real database URL: SQLite in a temporary folder, and PostgreSQL when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("RULEWATCH_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
    yield from _postgres_database()


@pytest.fixture
def store(database_url: str) -> Iterator[object]:
    from rulewatch.state import Store

    s = Store(database_url)
    yield s
    s.close()


@pytest.fixture
def rw_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running rulewatch fast on loopback in a private home."""
    env = {"RULEWATCH_HOME": str(tmp_path / "home"), "RULEWATCH_HOST_DELAY": "0", "RULEWATCH_HOST_CONCURRENCY": "8"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


# Every Slack token used by the suite. If one ever shows in a test's captured output (stdout,
# stderr or logs), that test fails: secrets never reach logs, errors or output.
SECRET_MARKERS = ("xoxb-test-token-123", "xoxb-wrong", "hooks-secret-path")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    captured = "".join(content for _, content in report.sections)
    leaked = [m for m in SECRET_MARKERS if m in captured]
    if leaked and report.when == "call":
        report.outcome = "failed"
        report.longrepr = f"a Slack secret ({leaked}) appeared in the captured output of {item.nodeid}"
