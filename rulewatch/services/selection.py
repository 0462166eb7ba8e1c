"""Which sources a run checks: by name, by group, by partition. One rule for every front end: a name
the sources file does not have is an error that names it, never a run that checks nothing. (A group
without sources is no error: a deployment may cover a group that is empty today, like `default`.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rulewatch.app import App
    from rulewatch.config import Source
    from rulewatch.partition import Partition


def select_sources(app: App, sources_file: str | Path, only: Sequence[str] = (), groups: Sequence[str] = (),
                   partition: Partition | None = None) -> list[Source]:
    """The sources of `sources_file` a run checks. `only`: these names; `groups`: sources in these groups;
    `partition`: part k of n of what is left. Raises ConfigError naming a name not in the file."""
    sources = app.load_sources(sources_file, only)
    if groups:
        sources = [s for s in sources if s.group in groups]
    return partition.select(sources) if partition is not None else sources
