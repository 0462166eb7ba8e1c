"""The only code that posts to Slack: Web API (bot token) or an incoming webhook. Each sink reads its
own settings from the environment (`from_env`), and is registered in alerts.sinks."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from rulewatch.alerts.deliver import PERMANENT_SLACK_ERRORS, Delivered
from rulewatch.alerts.message import ALERT_EVENT, Message
from rulewatch.alerts.render import HISTORY_KEY_FIELD, SlackMessage, render_slack, slack_message
from rulewatch.alerts.triage_blocks import TriageShown, triage_blocks
from rulewatch.core.env import (
    TIMEZONE_VARIABLE,
    Env,
    flag,
    routes,
    secret_url,
    severity_channels,
    severity_routing,
    timezone,
)
from rulewatch.core.errors import AlertRefused, DeliveryError, PermanentDeliveryError, SecretBlockError, SettingsError
from rulewatch.core.model import SEVERITY_ORDER, Alert
from rulewatch.core.secret import Secret

log = logging.getLogger("rulewatch.slack")

DEFAULT_SLACK_TIMEOUT = 15  # seconds per Web API call
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
CONNECTION_BACKOFF = 0.5  # seconds, times the attempt number
HISTORY_LOOKBACK = 200
TRIAGE_BUTTONS = "SLACK_TRIAGE_BUTTONS"


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


# What to do about each configuration error Slack answers with.
_FIXES = {
    "not_in_channel": "invite the bot: /invite @rulewatch in that channel",
    "channel_not_found": "check the channel's ID or name; for a private channel, /invite @rulewatch first",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "set SLACK_BOT_TOKEN",
    "token_revoked": "reinstall the app and use its new token",
    "account_inactive": "reinstall the app and use its new token",
    "missing_scope": "add the scope the manifest lists (slack/manifest.yaml) and reinstall the app",
    "is_archived": "unarchive the channel or choose another",
}


# Errors about one message, not the channel: that alert is skipped, the others still go.
MESSAGE_SLACK_ERRORS = frozenset({"msg_too_long", "invalid_blocks", "invalid_blocks_format", "no_text",
                                  "too_many_attachments", "invalid_attachments", "invalid_metadata_format",
                                  "invalid_metadata_schema", "metadata_too_large"})


def _api_error(exc: SlackApiError, channel: str) -> DeliveryError:
    """The delivery error for a Slack API error: about the message (skip it), permanent (configuration)
    or worth retrying."""
    error = str(exc.response.get("error", "unknown_error"))
    if error in MESSAGE_SLACK_ERRORS:
        return AlertRefused(f"Slack refused this message: {error}", channel)
    if error in PERMANENT_SLACK_ERRORS:
        fix = _FIXES.get(error)
        return PermanentDeliveryError(f"Slack refused: {error}" + (f" ({fix})" if fix else ""), channel)
    return DeliveryError(f"Slack error: {error}")


def _token_named(env: Env) -> bool:
    """Whether a bot token is configured (as SLACK_BOT_TOKEN or a Prefect Secret block's name)."""
    return bool(env.get("SLACK_BOT_TOKEN", "").strip() or env.get("SLACK_BOT_TOKEN_BLOCK", "").strip())


def slack_token(env: Env) -> Secret:
    """The bot token: SLACK_BOT_TOKEN, or the Prefect Secret block named by SLACK_BOT_TOKEN_BLOCK."""
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    if any(c.isspace() or not c.isprintable() for c in token):
        raise SettingsError("SLACK_BOT_TOKEN holds a space, line break or control character: copy the token "
                            "again (its value is not shown here)")
    if not token.isascii():
        raise SettingsError("SLACK_BOT_TOKEN holds a character no Slack token has (not ASCII: a look-alike "
                            "letter pasted from a document?): copy the token again (its value is not shown here)")
    if token:
        return Secret(token)
    name = env.get("SLACK_BOT_TOKEN_BLOCK", "").strip()
    if not name:
        return Secret("")
    try:  # Prefect loads only for users who keep the token there
        from prefect.blocks.system import Secret as SecretBlock
    except ImportError as exc:
        raise SecretBlockError("SLACK_BOT_TOKEN_BLOCK needs Prefect: pip install 'rulewatch[prefect]'") from exc

    try:
        block: Any = SecretBlock.load(name)  # synchronous outside an event loop
        value = block.get()
    except (ValueError, RuntimeError, OSError) as exc:
        raise SecretBlockError(f"SLACK_BOT_TOKEN_BLOCK={name!r}: cannot load that Secret block "
                               f"({type(exc).__name__})") from exc
    return Secret(str(value))


class SlackSink:
    """Posts alerts with a bot token: threads follow-ups, attaches long diffs, never posts twice.

    Settings: SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN_BLOCK, a Prefect Secret block) and SLACK_CHANNEL;
    RULEWATCH_TOPIC_CHANNELS routes topics to channels (`cybersecurity=C0123,procurement=#it-buying`);
    SLACK_API_BASE_URL points the client elsewhere (a test server)."""

    name = "slack"
    threads = True

    @classmethod
    def from_env(cls, env: Env) -> SlackSink | None:
        channel = env.get("SLACK_CHANNEL", "").strip()
        token_named = _token_named(env)
        if not channel and not token_named:
            return None
        if not channel:
            raise SettingsError("SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not: set SLACK_CHANNEL to the "
                                "alert channel's ID (C0123456789) or #name")
        if not token_named:
            raise SettingsError("SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not: set the bot's token "
                                "(xoxb-...), or SLACK_BOT_TOKEN_BLOCK to a Prefect Secret block holding it")
        token = slack_token(env)
        if not token:
            raise SettingsError("SLACK_BOT_TOKEN_BLOCK names a Secret block that holds no token")
        client = make_web_client(token.reveal(), env.get("SLACK_API_BASE_URL", "").strip())
        return cls(client, channel, dict(routes("RULEWATCH_TOPIC_CHANNELS", env.get("RULEWATCH_TOPIC_CHANNELS", ""))),
                   severity_channels(env), timezone(env, TIMEZONE_VARIABLE),
                   triage_buttons=flag(env, TRIAGE_BUTTONS, False), severity_routing=severity_routing(env))

    def __init__(self, client: WebClient, default_channel: str, topic_channels: dict[str, str] | None = None,
                 severity_routes: tuple[tuple[str, str], ...] = (), tz: tzinfo | None = None,
                 triage_buttons: bool = False, severity_routing: str = "copy") -> None:
        self.client = client
        self.triage_buttons = triage_buttons
        self.severity_routing = severity_routing  # copy: also post in the severity's channel; move: only there
        self.severity_routes = severity_routes  # (level, channel): alerts at that level or above go there
        self.tz = tz
        self.configured_channel = default_channel
        self.topic_channels = topic_channels or {}
        self._ids: dict[str, str] = {}  # channel name -> ID, resolved once
        self._names: dict[str, str] = {}  # channel ID -> "#name" ("" when Slack would not say), asked once
        self._unresolved: dict[str, PermanentDeliveryError] = {}

    def __repr__(self) -> str:
        return f"SlackSink(channel={self.configured_channel!r})"

    @property
    def default_channel(self) -> str:
        return self.resolve(self.configured_channel)

    def channel_for(self, alert: Alert) -> str:
        """The alert's channel (its thread, its digest): a severity route's when moving and the alert
        reaches its floor, else the source's own channel, else the first routed topic's, else the default:
        as an ID, which Slack answers posts with, and which threads and history look-ups need."""
        if self.severity_routing == "move" and (urgent := self._severity_channel(alert)):
            return urgent
        return self._home_channel(alert)

    def copies_for(self, alert: Alert) -> list[str]:
        """Where a copy of the alert goes besides its channel: its severity's, when copying."""
        urgent = self._severity_channel(alert) if self.severity_routing == "copy" else ""
        return [urgent] if urgent and urgent != self.channel_for(alert) else []

    def _severity_channel(self, alert: Alert) -> str:
        for floor, channel in self.severity_routes:
            if alert.severity and SEVERITY_ORDER[alert.severity] <= SEVERITY_ORDER[floor]:
                return self.resolve(channel)
        return ""

    def _home_channel(self, alert: Alert) -> str:
        if alert.channel:
            return self.resolve(alert.channel)
        for topic in alert.topics:
            if topic in self.topic_channels:
                return self.resolve(self.topic_channels[topic])
        return self.default_channel

    def check_auth(self) -> str:
        """Who the token is (auth.test): "bot NAME in TEAM". DeliveryError says what to fix."""
        try:
            response = self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            raise PermanentDeliveryError(f"Slack refused the token: {error} (check SLACK_BOT_TOKEN; if it was "
                                         "revoked, reinstall the app and use its new token)", "auth") from exc
        except (SlackClientError, URLError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from exc
        return f"bot {response.get('user', '?')} in {response.get('team', '?')}"

    def resolve(self, channel: str) -> str:
        """A channel's ID: an ID as it is (C0123ABCD), a name (#compliance or compliance) looked up once
        among the channels the token can see. PermanentDeliveryError says what is missing."""
        if not channel.startswith("#") and channel == channel.upper():
            return channel
        name = channel.lstrip("#")
        if name in self._ids:
            return self._ids[name]
        if name in self._unresolved:
            raise self._unresolved[name]
        try:
            found = self._find(name)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error not in PERMANENT_SLACK_ERRORS:
                raise DeliveryError(f"Slack error while looking up #{name}: {error}") from exc
            hint = ("the app needs the channels:read scope (groups:read for private channels): add them and "
                    "reinstall the app, or set the channel's ID (C0123...) instead of its name"
                    if error == "missing_scope" else "check SLACK_BOT_TOKEN, or reinstall the app")
            self._unresolved[name] = PermanentDeliveryError(f"Slack refused: {error} ({hint})", channel)
            raise self._unresolved[name] from exc
        except (SlackClientError, URLError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from exc
        if found is None:
            self._unresolved[name] = PermanentDeliveryError(
                f"Slack refused: channel_not_found (no channel #{name} that the bot can see: check the name; "
                "for a private channel, /invite @rulewatch in it first)", channel)
            raise self._unresolved[name]
        self._ids[name] = found
        self._names[found] = f"#{name}"
        return found

    def _find(self, name: str) -> str | None:
        cursor = ""
        while True:
            response = self.client.conversations_list(types="public_channel,private_channel",
                                                      exclude_archived=True, limit=1000, cursor=cursor or None)
            channels: list[dict[str, Any]] = response.get("channels", []) or []
            for listed in channels:
                if listed.get("name") == name:
                    return str(listed["id"])
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None

    def send(self, alert: Alert, thread_ts: str | None, retry: bool) -> Delivered:
        channel = self.channel_for(alert)
        message = render_slack(alert, self.tz, self._controls(alert))
        delivered = self._post_once(channel, alert, message, thread_ts, retry)
        # A copy in the severity's channel: after the alert's own post, so a failed copy retries without
        # posting the original twice (the history check finds it).
        for copy in self.copies_for(alert):
            self._post_once(copy, alert, message, None, retry)
        return replace(delivered, channel_name=self.channel_name(delivered.channel))

    def channel_name(self, channel_id: str) -> str:
        """A channel's name as people know it (#reg-alerts), for the record beside its ID: known from
        resolving a configured name (resolve), else asked of Slack once (conversations.info); "" when
        Slack will not say (no channels:read scope, a direct message) or cannot be reached: the ID is
        shown then."""
        if channel_id not in self._names:
            try:
                response = self.client.conversations_info(channel=channel_id)
                name = str((response.get("channel") or {}).get("name") or "")
                self._names[channel_id] = f"#{name}" if name else ""
            except (SlackApiError, SlackClientError, URLError, OSError) as exc:
                log.info("the name of channel %s is not known (%s): its ID is recorded", channel_id,
                         type(exc).__name__)
                self._names[channel_id] = ""
        return self._names[channel_id]

    def _post_once(self, channel: str, alert: Alert, message: SlackMessage, thread_ts: str | None,
                   retry: bool) -> Delivered:
        """Post the alert's message in `channel` unless a retry finds it there already."""
        attempt = 0
        while True:
            try:
                if attempt > 0 or retry:
                    found = self._already_posted(channel, alert.idempotency_key)
                    if found:
                        return Delivered(channel, found)
                response = self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, metadata=message.metadata,
                    thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, parse="none", link_names=False,
                    # a final version's arrival is news for the channel too, not only for the thread
                    reply_broadcast=bool(thread_ts) and alert.kind == "final_published",
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

    def _controls(self, alert: Alert) -> list[dict[str, Any]]:
        """Triage's controls for a rule alert (one with a role in a rule's life), when switched on: a new
        alert's rule is undecided, or reopened by this very alert."""
        if not self.triage_buttons or not alert.rule_role or alert.id is None:
            return []
        return triage_blocks(alert.id, TriageShown(), datetime.now(self.tz).date(), self.tz)

    def post(self, channel: str, message: Message) -> Delivered:
        """Post a message that is not an alert (the digest)."""
        rendered = slack_message(message)
        try:
            response = self.client.chat_postMessage(channel=channel, text=rendered.text, blocks=rendered.blocks,
                                                    metadata=rendered.metadata, unfurl_links=False,
                                                    unfurl_media=False, parse="none", link_names=False)
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
            if meta.get("event_type") == ALERT_EVENT and payload.get(HISTORY_KEY_FIELD) == key:
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


class SlackWebhookSink:
    """Posts alerts to a Slack incoming webhook: simpler to set up, but no threads and no files.

    Settings: SLACK_WEBHOOK_URL (not together with a bot token)."""

    name = "slack-webhook"
    default_channel = "webhook"
    threads = False

    @classmethod
    def from_env(cls, env: Env) -> SlackWebhookSink | None:
        url = secret_url(env, "SLACK_WEBHOOK_URL")
        if not url:
            return None
        if _token_named(env):
            raise SettingsError("both SLACK_WEBHOOK_URL and SLACK_BOT_TOKEN are set: keep one (the bot token "
                                "threads follow-ups and never posts twice; the webhook is simpler)")
        return cls(url, timezone(env, TIMEZONE_VARIABLE))

    def __init__(self, url: str, tz: tzinfo | None = None) -> None:
        self._client = WebhookClient(url, timeout=DEFAULT_SLACK_TIMEOUT)
        self.tz = tz

    def __repr__(self) -> str:
        return "WebhookSink(url='***')"

    def channel_for(self, alert: Alert) -> str:
        return "webhook"

    def send(self, alert: Alert, thread_ts: str | None, retry: bool) -> Delivered:
        return self._send(render_slack(alert, self.tz))

    def post(self, channel: str, message: Message) -> Delivered:
        return self._send(slack_message(message))

    def _send(self, message: SlackMessage) -> Delivered:
        try:
            response = self._client.send(text=message.text, blocks=message.blocks)
        except (URLError, OSError) as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
        if response.status_code in (403, 404, 410):
            raise PermanentDeliveryError(f"webhook refused: HTTP {response.status_code} {response.body}", "webhook")
        if response.status_code != 200:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")
        return Delivered("webhook", "")
