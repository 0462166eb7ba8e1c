"""The process entry point: leave() ends the process without the interpreter's teardown, and loses
nothing an exit must do (atexit handlers, logging, buffered output, the status)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_leave_runs_the_atexit_handlers_flushes_output_and_keeps_the_status() -> None:
    done = python(
        "import atexit, logging, sys\n"
        "from rulewatch.command import leave\n"
        "logging.basicConfig(stream=sys.stderr, level=logging.INFO)\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "print('buffered', end='')\n"
        "logging.getLogger('t').info('logged')\n"
        "leave(3)\n"
        "print('not reached')\n"
    )
    assert done.returncode == 3
    assert done.stdout == "bufferedhandler ran\n"
    assert "logged" in done.stderr


def test_leave_returns_while_a_non_daemon_thread_runs_and_the_exit_waits_for_it() -> None:
    done = python(
        "import threading\n"
        "from rulewatch.command import leave\n"
        "go = threading.Event()\n"
        "threading.Thread(target=lambda: (go.wait(), print('thread finished'))).start()\n"
        "leave(0)\n"
        "print('returned')\n"
        "go.set()\n"
    )
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["returned", "thread finished"]


def test_the_command_exits_with_its_status_and_its_whole_output(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "rulewatch"
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: a\n    url: not-a-url\n", encoding="utf-8")
    done = subprocess.run([str(exe), "sources", "--sources", str(bad)], capture_output=True, text=True, timeout=60,
                          env={"RULEWATCH_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "not-a-url" in done.stderr
    listed = subprocess.run([str(exe), "sources", "--sources", str(ROOT / "sources.yaml")], capture_output=True,
                            text=True, timeout=60, env={"RULEWATCH_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) > 3


def test_a_command_parses_the_same_when_it_alone_is_declared() -> None:
    """main() declares only the command it runs (a cycle does not pay for the other 24): each command's
    own parser must be the same either way, and the listing of commands complete."""
    import argparse

    from rulewatch.cli import COMMANDS, build_parser

    def helps(parser: argparse.ArgumentParser) -> dict[str, str]:
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return {name: p.format_help() for name, p in sub.choices.items()}

    whole = helps(build_parser())
    assert set(whole) == {kind.name for kind in COMMANDS}
    for kind in COMMANDS:
        alone = helps(build_parser(kind.name))
        assert alone[kind.name] == whole[kind.name] and set(alone) == set(whole)
