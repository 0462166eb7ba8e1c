"""Front ends installed beside the CLI, found by entry point and never imported by name: the CLI's
`run --prefect` and `serve` run the Prefect flows through the `prefect` plugin (flows/plugin.py), so
nothing under rulewatch/ imports flows/."""

from __future__ import annotations

from importlib.metadata import entry_points
from types import ModuleType

from rulewatch.core.errors import UsageError

GROUP = "rulewatch.plugins"


def plugin(name: str, what: str) -> ModuleType:
    """The plugin module registered as `name`, or a UsageError saying how to get it."""
    found = entry_points(group=GROUP, name=name)
    hint = f"{what} needs Prefect: pip install 'rulewatch[prefect]' (`make` installs it)"
    if not found:
        raise UsageError(hint)
    try:
        module = next(iter(found)).load()
    except ImportError as exc:
        raise UsageError(hint) from exc
    assert isinstance(module, ModuleType)
    return module
