"""The sink registry: every kind of place alerts can go, each reading its own settings.

Adding a sink is one module with a class that has `name`, `from_env(env)` (None when its settings
are absent) and the alerts.deliver.Sink methods, plus one row in SINKS and a test case. Alerts fan
out to every configured sink; the console takes them only when no other sink is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, TextIO

from alerts.deliver import ConsoleSink, Sink


@dataclass(frozen=True, slots=True)
class SinkKind:
    """A registered sink: its class, imported only when one of the variables that configure it is set
    (a cycle that posts nowhere never loads slack_sdk)."""

    name: str
    module: str
    cls: str
    variables: tuple[str, ...]

    def load(self) -> Any:
        """The sink's class (its module is imported now)."""
        return getattr(import_module(self.module), self.cls)

    def from_env(self, env: Mapping[str, str]) -> Sink | None:
        if not any(env.get(v, "").strip() for v in self.variables):
            return None
        sink: Sink | None = self.load().from_env(env)
        return sink


# In delivery order: the first sink's channel and message ts are the ones `rulewatch alerts` shows.
SINKS: tuple[SinkKind, ...] = (
    SinkKind("slack", "alerts.slack", "SlackSink", ("SLACK_CHANNEL",)),
    SinkKind("slack-webhook", "alerts.slack", "SlackWebhookSink", ("SLACK_WEBHOOK_URL",)),
    SinkKind("webhook", "alerts.webhook", "JsonWebhookSink", ("RULEWATCH_WEBHOOK_URL",)),
)


def make_sinks(env: Mapping[str, str], console: TextIO | None = None) -> list[Sink]:
    """Every sink the environment configures; the console when there is none. Settings errors name
    the variable (SettingsError)."""
    sinks = [sink for kind in SINKS if (sink := kind.from_env(env)) is not None]
    return sinks or [ConsoleSink(console)]
