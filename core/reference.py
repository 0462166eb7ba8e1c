"""What the registries declare for people to read: an environment variable, a source field, with a help
line each, and the tables the README shows of them (rulewatch.reference assembles them; a test keeps the
README's generated sections equal to what the registries say, as urlwatch keeps its docs in step)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NO_DEFAULT = "—"


@dataclass(frozen=True, slots=True)
class Variable:
    """An environment variable rulewatch reads, declared where it is read."""

    name: str
    default: str  # as a reader sees it: `300`, "SQLite in `RULEWATCH_HOME`", or NO_DEFAULT
    help: str


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table (a `|` inside a cell is escaped)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _markers(name: str) -> tuple[str, str]:
    return (f"<!-- generated: {name} (make docs writes this; edit the registry, not this table) -->",
            f"<!-- end generated: {name} -->")


def section(text: str, name: str) -> str | None:
    """The generated section `name` of a document, or None when it has none."""
    begin, end = _markers(name)
    found = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    return found.group(1) if found else None


def with_section(text: str, name: str, body: str) -> str:
    """The document with its section `name` rewritten to `body`. ValueError when it has no such section."""
    begin, end = _markers(name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no generated section {name!r}: add the lines {begin!r} and {end!r} where it goes")
    return pattern.sub(lambda _: f"{begin}\n{body}{end}", text, count=1)
