"""Choose where alerts go from the settings: Slack Web API, a webhook, or the console."""

from __future__ import annotations

from typing import TextIO

from alerts.deliver import ConsoleSink, Sink
from rulewatch.settings import Settings


def make_sink(settings: Settings, stream: TextIO | None = None) -> Sink:
    """Slack when SLACK_BOT_TOKEN and SLACK_CHANNEL are set, else a webhook if set, else the console."""
    if settings.slack_token and settings.slack_channel:
        from alerts.slack import SlackSink, make_web_client  # slack_sdk loads only when it is used

        client = make_web_client(settings.slack_token.reveal(), settings.slack_api_base_url)
        return SlackSink(client, settings.slack_channel, dict(settings.topic_channels))
    if settings.slack_webhook_url:
        from alerts.slack import WebhookSink

        return WebhookSink(settings.slack_webhook_url.reveal())
    return ConsoleSink(stream)
