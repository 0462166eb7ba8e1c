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
from rulewatch.core.env import SEVERITY_CHANNELS_VARIABLE, SEVERITY_ROUTING_VARIABLE, TIMEZONE_VARIABLE, timezone
from rulewatch.core.errors import SettingsError
from rulewatch.core.reference import NO_DEFAULT, Variable


@dataclass(frozen=True, slots=True)
class SinkKind:
    """A registered sink: its class, imported only when one of the variables that turn it on is set
    (a cycle that posts nowhere never loads slack_sdk), and what the README says of it: what it does,
    what configures it, and every variable it reads."""

    name: str
    module: str
    cls: str
    switches: tuple[str, ...]  # any of these set turns the sink on
    configured_by: str
    does: str
    variables: tuple[Variable, ...]

    def load(self) -> Any:
        """The sink's class (its module is imported now)."""
        return getattr(import_module(self.module), self.cls)

    def from_env(self, env: Mapping[str, str]) -> Sink | None:
        if not any(env.get(v, "").strip() for v in self.switches):
            return None
        sink: Sink | None = self.load().from_env(env)
        return sink


_SLACK_API = Variable("SLACK_API_BASE_URL", "Slack", "another Web API base URL (a proxy)")
# In delivery order: the first sink's channel and message ts are the ones `rulewatch alerts` shows.
SINKS: tuple[SinkKind, ...] = (
    SinkKind("slack", "rulewatch.alerts.slack", "SlackSink",
             ("SLACK_CHANNEL", "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN_BLOCK"),
             "`SLACK_BOT_TOKEN` (or `SLACK_BOT_TOKEN_BLOCK`) and `SLACK_CHANNEL`",
             "Block Kit messages, threads, diff files, exactly once (above)", (
                 Variable("SLACK_BOT_TOKEN", NO_DEFAULT, "post alerts with a bot (sink `slack`, see below)"),
                 Variable("SLACK_CHANNEL", NO_DEFAULT, "the channel the bot posts in, by id or name (sink `slack`)"),
                 Variable("SLACK_BOT_TOKEN_BLOCK", NO_DEFAULT,
                          "name of a Prefect Secret block holding the bot token (instead of `SLACK_BOT_TOKEN`)"),
                 _SLACK_API,
                 Variable("RULEWATCH_TOPIC_CHANNELS", NO_DEFAULT, "`topic=channel,...`: route alerts by topic"),
                 Variable("SLACK_TRIAGE_BUTTONS", "`false`", "`true`: rule alerts carry triage buttons (run "
                          "`rulewatch slack-app` to receive the clicks; see "
                          "[Triage in Slack](../README.md#triage-in-slack))"))),
    SinkKind("slack-webhook", "rulewatch.alerts.slack", "SlackWebhookSink", ("SLACK_WEBHOOK_URL",),
             "`SLACK_WEBHOOK_URL` (not together with a bot token)", "Block Kit messages through an incoming webhook", (
                 Variable("SLACK_WEBHOOK_URL", NO_DEFAULT,
                          "simpler alternative: an incoming webhook (sink `slack-webhook`: no threads, no files)"),)),
    SinkKind("webhook", "rulewatch.alerts.webhook", "JsonWebhookSink", ("RULEWATCH_WEBHOOK_URL",),
             "`RULEWATCH_WEBHOOK_URL`", "a JSON POST per alert (and per digest)", (
                 Variable("RULEWATCH_WEBHOOK_URL", NO_DEFAULT, "also POST every alert as JSON to this URL "
                          "(sink `webhook`, see [Other sinks](#other-sinks))"),
                 Variable("RULEWATCH_WEBHOOK_FORMAT", "`rulewatch`", "`rulewatch`, `wecom`, `dingtalk` or `feishu`"),
                 Variable("RULEWATCH_WEBHOOK_SECRET", NO_DEFAULT,
                          "sign webhook requests (HMAC-SHA256; for DingTalk and Feishu, their bots' own signature)"))),
)

CHOOSE_CONSOLE = "RULEWATCH_SINK"  # =console: print alerts, as delivery, whatever else is configured
CONSOLE = ("console", "`RULEWATCH_SINK=console`, or nothing else configured in an interactive run",
           "alerts printed to standard output")
# What every sink reads besides its own variables.
VARIABLES: tuple[Variable, ...] = (
    Variable(CHOOSE_CONSOLE, NO_DEFAULT,
             "`console`: print alerts as their delivery, also where no terminal is (cron, workers)"),
    Variable(SEVERITY_CHANNELS_VARIABLE, NO_DEFAULT,
             "`high=#reg-urgent,...`: alerts at a level or above are also posted in that Slack channel"),
    Variable(SEVERITY_ROUTING_VARIABLE, "`copy`", "`copy`: such alerts stay in their own channel (and its digest) "
             "too; `move`: only in the severity's channel"),
)


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
