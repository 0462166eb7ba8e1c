"""The sink registry: every kind of place alerts can go, each reading its own settings.

Adding a sink is one module with a class that has `name`, `from_env(env)` (None when its settings
are absent) and the alerts.deliver.Sink methods, plus one row in SINKS and a test case. Alerts fan
out to every configured sink; the console is one only when chosen (make_sinks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, TextIO

from rulewatch.alerts.deliver import ConsoleSink, Sink
from rulewatch.core.env import TIMEZONE_VARIABLE, timezone
from rulewatch.core.errors import SettingsError


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
    SinkKind("slack", "rulewatch.alerts.slack", "SlackSink",
             ("SLACK_CHANNEL", "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN_BLOCK")),
    SinkKind("slack-webhook", "rulewatch.alerts.slack", "SlackWebhookSink", ("SLACK_WEBHOOK_URL",)),
    SinkKind("webhook", "rulewatch.alerts.webhook", "JsonWebhookSink", ("RULEWATCH_WEBHOOK_URL",)),
)


CHOOSE_CONSOLE = "RULEWATCH_SINK"  # =console: print alerts, as delivery, whatever else is configured


def make_sinks(env: Mapping[str, str], console: TextIO | None = None, *, interactive: bool = False,
               known_topics: tuple[str, ...] = ()) -> list[Sink]:
    """Every sink the environment configures. The console is a sink only when chosen: RULEWATCH_SINK=
    console, or nothing else configured in an interactive run (a terminal). Otherwise, with nothing
    configured, there is no sink, and alerts stay pending: printing them where nobody reads them (a
    worker's log) is no delivery. Settings errors name the variable (SettingsError)."""
    sinks = [sink for kind in SINKS if (sink := kind.from_env(env)) is not None]
    for sink in sinks:  # a route to a topic that does not exist would never be taken
        unknown = sorted(set(getattr(sink, "topic_channels", {})) - set(known_topics)) if known_topics else []
        if unknown:
            raise SettingsError(f"RULEWATCH_TOPIC_CHANNELS routes unknown topic(s) {', '.join(unknown)} "
                                f"(known: {', '.join(known_topics)})")
    choice = env.get(CHOOSE_CONSOLE, "").strip().lower()
    if choice not in ("", "console"):
        raise SettingsError(f"{CHOOSE_CONSOLE}={choice!r}: the one choice is 'console' (other sinks are set up "
                            "by their own variables: SLACK_CHANNEL, SLACK_WEBHOOK_URL, RULEWATCH_WEBHOOK_URL)")
    if choice == "console" or (not sinks and interactive):
        sinks.append(ConsoleSink(console, timezone(env, TIMEZONE_VARIABLE)))
    return sinks
