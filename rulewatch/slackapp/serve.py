"""The Slack app's two transports: HTTP (Slack's Request URL: POST /slack/events, served by uvicorn,
every request's signature verified by slack_bolt before anything acts) and Socket Mode (an outbound
websocket, for a Slack app that cannot receive requests from the internet)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import App as BoltApp
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rulewatch.alerts.slack import make_web_client, slack_token
from rulewatch.app import App
from rulewatch.core.env import Env
from rulewatch.core.errors import SettingsError
from rulewatch.services.slack_triage import APP_TOKEN, SIGNING_SECRET, Triagers
from rulewatch.slackapp.desk import TriageDesk

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("rulewatch.slackapp")
EVENTS_PATH = "/slack/events"
MAX_BODY = 256 * 1024  # bytes: Slack's interaction payloads are a few KB; refuse more before reading it


def bolt_app(app: App, env: Env, socket: bool = False) -> BoltApp:
    """The slack_bolt app with triage's listeners, for a transport: HTTP needs the signing secret
    (Bolt verifies every request with it, and refuses a timestamp older than 5 minutes)."""
    token = slack_token(env)
    if not token:
        raise SettingsError("rulewatch slack-app needs the bot's token: set SLACK_BOT_TOKEN (xoxb-...)")
    secret = env.get(SIGNING_SECRET, "").strip()
    if not socket and not secret:
        raise SettingsError(f"rulewatch slack-app over HTTP needs {SIGNING_SECRET} (the app's Basic Information "
                            "page), or use --socket with SLACK_APP_TOKEN")
    client = make_web_client(token.reveal(), env.get("SLACK_API_BASE_URL", "").strip())
    bolt = BoltApp(client=client, signing_secret=secret or None, request_verification_enabled=not socket,
                   token_verification_enabled=False, raise_error_for_unhandled_request=False,
                   logger=logging.getLogger("rulewatch.slackapp.bolt"))
    TriageDesk(app, Triagers.from_env(env)).register(bolt)
    return bolt


def http_app(bolt: BoltApp) -> Starlette:
    """POST /slack/events for Slack, GET /healthz for a load balancer."""

    async def events(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return PlainTextResponse("a Slack request states its length, and it is small", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        # Bolt's dispatch blocks (it verifies, then acknowledges): off the event loop.
        answer = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(answer)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", health)])


def serve_http(bolt: BoltApp, host: str, port: int) -> None:
    import uvicorn

    log.info("rulewatch slack-app: Slack's Request URL is http(s)://<this host>:%s%s", port, EVENTS_PATH)
    uvicorn.run(http_app(bolt), host=host, port=port, log_level="warning", proxy_headers=False)


def socket_handler(bolt: BoltApp, env: Env) -> SocketModeHandler:
    """Socket Mode for the app: an outbound websocket to Slack (its `connect()` returns, `start()` blocks)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = env.get(APP_TOKEN, "").strip()
    if not app_token.startswith("xapp-"):
        raise SettingsError(f"rulewatch slack-app --socket needs {APP_TOKEN}, an app-level token (xapp-...) with "
                            "the connections:write scope")
    return SocketModeHandler(bolt, app_token=app_token, web_client=bolt.client)


def serve_socket(bolt: BoltApp, env: Env) -> None:
    socket_handler(bolt, env).start()
