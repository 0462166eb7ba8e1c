"""The only code that posts to Slack: Web API (bot token) or an incoming webhook."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.deliver import PERMANENT_SLACK_ERRORS, Delivered
from alerts.render import HISTORY_KEY_FIELD, METADATA_EVENT, SlackMessage, render_slack
from core.errors import DeliveryError, PermanentDeliveryError
from core.model import Alert

log = logging.getLogger("rulewatch.slack")

DEFAULT_SLACK_TIMEOUT = 15  # seconds per Web API call
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
CONNECTION_BACKOFF = 0.5  # seconds, times the attempt number
HISTORY_LOOKBACK = 200


def make_web_client(token: str, base_url: str = "") -> WebClient:
    kwargs: dict[str, Any] = {"token": token, "timeout": DEFAULT_SLACK_TIMEOUT}
    if base_url:
        kwargs["base_url"] = base_url.rstrip("/") + "/"
    client = WebClient(**kwargs)
    # No ConnectionErrorRetryHandler: a post whose answer was lost may have gone through, so
    # SlackSink retries connection errors itself, checking the channel for the message first.
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ]
    return client


def _api_error(exc: SlackApiError, channel: str) -> DeliveryError:
    """The delivery error for a Slack API error: permanent (configuration) or worth retrying."""
    error = str(exc.response.get("error", "unknown_error"))
    if error in PERMANENT_SLACK_ERRORS:
        return PermanentDeliveryError(f"Slack refused: {error}", channel)
    return DeliveryError(f"Slack error: {error}")


class SlackSink:
    """Posts alerts with a bot token: threads follow-ups, attaches long diffs, never posts twice."""

    threads = True

    def __init__(self, client: WebClient, default_channel: str, topic_channels: dict[str, str] | None = None) -> None:
        self.client = client
        self.default_channel = default_channel
        self.topic_channels = topic_channels or {}

    def __repr__(self) -> str:
        return f"SlackSink(channel={self.default_channel!r})"

    def channel_for(self, alert: Alert) -> str:
        """The source's own channel, else the first routed topic's, else the default."""
        if alert.channel:
            return alert.channel
        for topic in alert.topics:
            if topic in self.topic_channels:
                return self.topic_channels[topic]
        return self.default_channel

    def send(self, alert: Alert, thread_ts: str | None) -> Delivered:
        channel = self.channel_for(alert)
        message = render_slack(alert)
        attempt = 0
        while True:
            try:
                if attempt > 0 or alert.attempts > 0:
                    found = self._already_posted(channel, alert.idempotency_key)
                    if found:
                        return Delivered(channel, found)
                response = self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, metadata=message.metadata,
                    thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                )
                break
            except SlackApiError as exc:
                raise _api_error(exc, channel) from exc
            except (SlackClientError, URLError, OSError) as exc:
                if attempt >= CONNECTION_RETRIES:
                    raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from exc
            attempt += 1
            time.sleep(CONNECTION_BACKOFF * attempt)
        ts = str(response.get("ts", ""))
        posted_channel = str(response.get("channel", channel))
        if message.truncated:
            self._attach_diff(posted_channel, ts, alert, message.full_diff)
        return Delivered(posted_channel, ts)

    def post(self, channel: str, message: SlackMessage) -> Delivered:
        """Post a message that is not an alert (the digest)."""
        try:
            response = self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                                    metadata=message.metadata, unfurl_links=False)
        except SlackApiError as exc:
            raise _api_error(exc, channel) from exc
        except (SlackClientError, URLError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from exc
        return Delivered(str(response.get("channel", channel)), str(response.get("ts", "")))

    def _already_posted(self, channel: str, key: str) -> str:
        """The ts of a message in the channel that carries this alert's key, or ""."""
        response = self.client.conversations_history(
            channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
        messages: list[dict[str, Any]] = response.get("messages", []) or []
        for message in messages:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and payload.get(HISTORY_KEY_FIELD) == key:
                return str(message.get("ts", ""))
        return ""

    def _attach_diff(self, channel: str, ts: str, alert: Alert, diff: str) -> None:
        try:
            self.client.files_upload_v2(
                channel=channel, thread_ts=ts, content=diff, filename=f"rulewatch-alert-{alert.id}.diff",
                title=f"Full diff: {alert.title[:80]}", snippet_type="diff",
            )
        except SlackApiError as exc:
            # The alert itself is out; a missing attachment is logged, not retried forever.
            log.warning("alert %s: the full diff could not be attached: %s", alert.id, exc.response.get("error"))


class WebhookSink:
    """Posts alerts to an incoming webhook: simpler to set up, but no threads and no files."""

    default_channel = "webhook"
    threads = False

    def __init__(self, url: str) -> None:
        self._client = WebhookClient(url, timeout=DEFAULT_SLACK_TIMEOUT)

    def __repr__(self) -> str:
        return "WebhookSink(url='***')"

    def channel_for(self, alert: Alert) -> str:
        return "webhook"

    def send(self, alert: Alert, thread_ts: str | None) -> Delivered:
        return self.post("webhook", render_slack(alert))

    def post(self, channel: str, message: SlackMessage) -> Delivered:
        try:
            response = self._client.send(text=message.text, blocks=message.blocks)
        except (URLError, OSError) as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        if response.status_code in (403, 404, 410):
            raise PermanentDeliveryError(f"webhook refused: HTTP {response.status_code} {response.body}", "webhook")
        if response.status_code != 200:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")
        return Delivered("webhook", "")
