"""The `web` plugin of the CLI (an entry point in pyproject.toml): what `rulewatch web` runs."""

from __future__ import annotations

import logging
import os

from rulewatch.app import App
from rulewatch.web.app import create_app

log = logging.getLogger("rulewatch.web")


def run(host: str, port: int) -> None:
    """Serve the workspace until stopped (Ctrl-C, SIGTERM)."""
    import uvicorn

    env = dict(os.environ)
    with App.from_env(env) as app:
        asgi = create_app(app, env)  # settings errors surface before the port opens
        if not app.store.users.all() and env.get("RULEWATCH_WEB_AUTH", "password") != "header":
            log.warning("no account yet: add one with `rulewatch users add NAME --role admin`")
        print(f"rulewatch web: http://{host}:{port}/ (put a TLS proxy in front before anyone else uses it)",
              flush=True)
        uvicorn.run(asgi, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)
