"""Front ends installed beside the CLI, found by entry point and never imported by name: the CLI's
`run --prefect` and `serve` run the Prefect flows through the `prefect` plugin (flows/plugin.py), and
`slack-app` the Slack app through the `slack-app` plugin (rulewatch/slackapp/plugin.py), so no front end
imports another."""

from __future__ import annotations

from importlib.metadata import entry_points
from types import ModuleType

from rulewatch.core.errors import UsageError

GROUP = "rulewatch.plugins"


# What each plugin needs installed, as the error says it.
EXTRAS = {"prefect": ("Prefect", "prefect"), "slack-app": ("slack_bolt, Starlette and uvicorn", "slack-app"),
          "web": ("Starlette, Jinja2, uvicorn and argon2", "web")}


def plugin(name: str, what: str) -> ModuleType:
    """The plugin module registered as `name`, or a UsageError saying how to get it."""
    found = entry_points(group=GROUP, name=name)
    needs, extra = EXTRAS.get(name, (name, name))
    hint = f"{what} needs {needs}: pip install 'rulewatch[{extra}]' (`make` installs it)"
    if not found:
        raise UsageError(hint)
    try:
        module = next(iter(found)).load()
    except ImportError as exc:
        raise UsageError(hint) from exc
    assert isinstance(module, ModuleType)
    return module
