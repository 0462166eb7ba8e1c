"""Choose where alerts go from the settings: Slack Web API, a webhook, or the console."""

from __future__ import annotations

from typing import Any, TextIO

from alerts.deliver import ConsoleSink, Sink
from core.errors import SecretBlockError
from rulewatch.settings import Settings


def slack_token(settings: Settings) -> str:
    """The bot token: SLACK_BOT_TOKEN, or the Prefect Secret block named by SLACK_BOT_TOKEN_BLOCK."""
    if settings.slack_token:
        return settings.slack_token.reveal()
    if not settings.slack_token_block:
        return ""
    from prefect.blocks.system import Secret  # Prefect loads only for users who keep the token there

    name = settings.slack_token_block
    try:
        block: Any = Secret.load(name)  # synchronous outside an event loop
        value = block.get()
    except (ValueError, RuntimeError, OSError) as exc:
        raise SecretBlockError(f"SLACK_BOT_TOKEN_BLOCK={name!r}: cannot load that Secret block "
                               f"({type(exc).__name__})") from exc
    return str(value)


def make_sink(settings: Settings, stream: TextIO | None = None) -> Sink:
    """Slack when a bot token (SLACK_BOT_TOKEN or a Prefect Secret block) and SLACK_CHANNEL are set,
    else a webhook if set, else the console."""
    token = slack_token(settings) if settings.slack_channel else ""
    if token:
        from alerts.slack import SlackSink, make_web_client  # slack_sdk loads only when it is used

        client = make_web_client(token, settings.slack_api_base_url)
        return SlackSink(client, settings.slack_channel, dict(settings.topic_channels))
    if settings.slack_webhook_url:
        from alerts.slack import WebhookSink

        return WebhookSink(settings.slack_webhook_url.reveal())
    return ConsoleSink(stream)
