"""The `rulewatch` command line: one small Command class per command (rulewatch/cli/commands/), listed
in COMMANDS below; `build_parser` and this file's tables are made from that registry. Commands call the
use cases (rulewatch/services) and print; the Prefect flows are reached through a plugin (cli/plugins.py).

Exit codes: 0 success, 1 some source failed (the others were still checked), 2 bad configuration.
Imports stay lazy: a cycle must not pay for Prefect or Slack unless it uses them.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Sequence

from rulewatch import __version__
from rulewatch.cli.base import EXIT_CONFIG, EXIT_OK, EXIT_SOURCE_FAILED, Command, silence_stdout, stdout_gone
from rulewatch.cli.commands.accounts import Users, Web
from rulewatch.cli.commands.checking import Run, Sources
from rulewatch.cli.commands.deciding import Audit, Evidence, Triage
from rulewatch.cli.commands.keeping import Db, Demo, Reference, Serve, SlackApp, Worker
from rulewatch.cli.commands.muting import Mutes
from rulewatch.cli.commands.reading import Alerts, Calendar, Diff, Dossier, Feed, History, Search
from rulewatch.cli.commands.sending import Deliver, Digest, Remind, SlackTest
from rulewatch.core.errors import ConfigError, SettingsError, StateError, TaxonomyError, UsageError

__all__ = ["COMMANDS", "EXIT_CONFIG", "EXIT_OK", "EXIT_SOURCE_FAILED", "build_parser", "main"]

# Every command, in the order `rulewatch --help` lists them. Adding one is a class and a line here.
COMMANDS: tuple[type[Command], ...] = (
    Run, Alerts, Calendar, Feed, Search, Dossier, History, Diff, Triage, Audit, Mutes, Evidence, Sources, Deliver,
    Digest, Remind, Serve, Worker, SlackTest, SlackApp, Web, Users, Db, Demo, Reference,
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, that command's arguments alone are declared (the others are
    listed by name and help): a cycle does not pay for every other command's declarations."""
    parser = argparse.ArgumentParser(
        prog="rulewatch",
        description="Watch regulators and the press for changes to IT procurement and cybersecurity rules.",
    )
    parser.add_argument("--version", action="version", version=f"rulewatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # -v works after the command too (`rulewatch run -v`); SUPPRESS keeps a -v given before it.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log what happens to stderr")
    add = functools.partial(sub.add_parser, parents=[verbose])
    for kind in COMMANDS:
        command = kind()
        command_parser = add(command.name, help=command.help)
        if only is None or command.name == only:
            command.declare(command_parser)
        command_parser.set_defaults(command_object=command, command_parser=command_parser)
    return parser


_NAMES = frozenset(kind.name for kind in COMMANDS)


def _command_named(argv: Sequence[str]) -> str | None:
    """The command the arguments name (the first word that is not an option), when it is one."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in _NAMES else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_named(argv))
    args = parser.parse_args(argv)
    command: Command = args.command_object
    command.check(args.command_parser, args)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code = int(command.run(args))
        if stdout_gone.is_set():
            silence_stdout()
        return code
    except (ConfigError, SettingsError, StateError, TaxonomyError, UsageError) as exc:
        print(f"rulewatch: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("rulewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`rulewatch history x | head`): stop quietly, as other commands do. What
        # was recorded stays recorded; stdout is pointed at /dev/null so the exit flush cannot fail again.
        silence_stdout()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
