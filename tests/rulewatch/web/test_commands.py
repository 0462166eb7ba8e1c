"""`rulewatch users` and `rulewatch web` as an admin runs them: accounts with passwords never on the
command line, and the workspace as a process that refuses what it cannot serve safely."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from slackdesk import free_port, healthy, wait_for

from rulewatch.cli import main

PASSWORD = "a long enough password"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RULEWATCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_accounts_are_added_listed_changed_and_removed(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "li.wei", "--role", "admin", "--password-stdin"]) == 0
    assert "li.wei (admin) added" in capsys.readouterr().out
    _stdin(monkeypatch, "short\n")
    assert main(["users", "add", "vera", "--role", "viewer", "--password-stdin"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "li.wei", "--role", "viewer", "--password-stdin"]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["users", "role", "li.wei", "triager"]) == 0
    assert main(["users", "list"]) == 0 and "triager" in capsys.readouterr().out
    assert main(["users", "remove", "li.wei"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0 and "no accounts" in capsys.readouterr().out
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "li.wei", "--role", "admin", "--password-stdin"]) == 2  # names are not reused


def test_without_a_terminal_the_password_must_come_on_stdin(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, "")
    assert main(["users", "add", "li.wei", "--role", "admin"]) == 2
    assert "--password-stdin" in capsys.readouterr().err


@pytest.mark.slow
def test_the_web_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "RULEWATCH_HOME": str(tmp_path / "home")}
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "rulewatch", "web", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: healthy(port) or process.poll() is not None, 60) and process.poll() is None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.url.endswith("/login?next=/")  # nothing without logging in
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in err
    assert f"http://127.0.0.1:{port}/" in out and "no account yet" in err


def test_header_mode_without_its_proxies_is_refused_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "RULEWATCH_HOME": str(tmp_path / "home"), "RULEWATCH_WEB_AUTH": "header"}
    done = subprocess.run([sys.executable, "-m", "rulewatch", "web", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "RULEWATCH_WEB_PROXIES" in done.stderr
