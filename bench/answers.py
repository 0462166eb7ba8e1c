"""A local server that answers each request with what a lookup gives for its path (or 404): the
saved real answers' benches (realworld_check.py, history_replay.py) serve files this way."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A request's path (or absolute URL, when the server is used as a proxy) -> (body, Content-Type).
Lookup = Callable[[str], "tuple[bytes, str] | None"]


def serve(lookup: Lookup) -> ThreadingHTTPServer:
    """Start the server on a free loopback port, in a daemon thread; shut it down when done."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            found = lookup(self.path)
            if found is None:
                self.send_error(404)
                return
            body, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - a list API that answers POST is looked up by its URL too
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
