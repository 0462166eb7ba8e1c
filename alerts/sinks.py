"""The sink registry: every kind of place alerts can go, each reading its own settings.

Adding a sink is one module with a class that has `name`, `from_env(env)` (None when its settings
are absent) and the alerts.deliver.Sink methods, plus one line in SINKS and a test case. Alerts fan
out to every configured sink; the console takes them only when no other sink is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TextIO

from alerts.deliver import ConsoleSink, Sink
from alerts.slack import SlackSink, SlackWebhookSink
from alerts.webhook import JsonWebhookSink

# name -> factory from the environment. Order is delivery order, and the first sink's channel and
# message ts are the ones `rulewatch alerts` shows.
SINKS: dict[str, Callable[[Mapping[str, str]], Sink | None]] = {
    SlackSink.name: SlackSink.from_env,
    SlackWebhookSink.name: SlackWebhookSink.from_env,
    JsonWebhookSink.name: JsonWebhookSink.from_env,
}


def make_sinks(env: Mapping[str, str], console: TextIO | None = None) -> list[Sink]:
    """Every sink the environment configures; the console when there is none. Settings errors name
    the variable (SettingsError)."""
    sinks = [sink for factory in SINKS.values() if (sink := factory(env)) is not None]
    return sinks or [ConsoleSink(console)]
