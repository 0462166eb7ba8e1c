"""What every command shares: the Command class they are made of, the app they open, how they print.

A command is one small class: its `name`, a `help` line, the arguments it `declares`, and `run`, which
calls the use cases (rulewatch.services and the read side) and prints. Commands never wire the pipeline
themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from rulewatch.app import App
from rulewatch.partition import Partition, PartitionError
from rulewatch.settings import DEFAULT_SOURCES

if TYPE_CHECKING:
    from rulewatch.alerts.deliver import DeliveryReport

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_CONFIG = 0, 1, 2


class Command:
    """One `rulewatch` command. Subclasses set `name` and `help`, add their arguments in `declare`, and
    do their work in `run` (returning the exit code)."""

    name: ClassVar[str]
    help: ClassVar[str]

    def declare(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's arguments (none by default)."""

    def check(self, parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
        """Refuse combinations of arguments argparse cannot (parser.error exits with 2)."""

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError


def open_app() -> App:
    """The app for a command: the console may stand in for a sink only when a person reads the output."""
    return App.from_env(interactive=sys.stdout.isatty())


def sources_default() -> str:
    return os.environ.get("RULEWATCH_SOURCES", DEFAULT_SOURCES)


def add_sources_argument(parser: argparse.ArgumentParser) -> None:
    default = sources_default()
    parser.add_argument("--sources", default=default, help=f"sources file (default {default})")


stdout_gone = threading.Event()  # the reader of stdout went away (`rulewatch run | head`)


def say(text: str) -> None:
    """Print a line of a command's progress. A reader that went away stops the printing, never the
    work: the cycle goes on recording and delivering (console alerts then stay pending: nobody saw
    them)."""
    if stdout_gone.is_set():
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:
        stdout_gone.set()


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's exit flush cannot fail on a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1))


def report_delivery(report: DeliveryReport) -> bool:
    """Say on stderr what stays pending and why; True when nothing does."""
    from rulewatch.services.checking import delivery_problems

    for problem in delivery_problems(report):
        print(problem, file=sys.stderr)
    return report.ok


def local_time(stamp: str | None, tz: tzinfo | None) -> str:
    """A stored UTC timestamp as a person reads it: minutes, in the team's time zone ("never" for none)."""
    if not stamp:
        return "never"
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip() if tz else moment.strftime("%Y-%m-%d %H:%M UTC")


def count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{raw} is negative")
    return value


def text(raw: str) -> str:
    """An argument that is text: refused when the terminal gave bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no database or JSON can store)."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        shown = raw.encode("utf-8", "replace").decode()
        raise argparse.ArgumentTypeError(f"{shown!r} is not valid UTF-8 text") from exc
    return raw


def partition(raw: str) -> Partition:
    try:
        return Partition.parse(raw)
    except PartitionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from exc
