"""The `slack-app` plugin of the CLI (an entry point in pyproject.toml): what `rulewatch slack-app` runs.
The CLI finds it by name and never imports the Slack app."""

from __future__ import annotations

import os

from rulewatch.app import App
from rulewatch.slackapp.serve import bolt_app, serve_http, serve_socket


def run(host: str, port: int, socket: bool) -> None:
    """Serve triage clicks until stopped (Ctrl-C, SIGTERM)."""
    env = dict(os.environ)
    with App.from_env(env) as app:
        app.store  # noqa: B018 - open (and upgrade) the database before the first click, not during it
        bolt = bolt_app(app, env, socket=socket)
        if socket:
            serve_socket(bolt, env)
        else:
            serve_http(bolt, host, port)
