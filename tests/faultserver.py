"""An HTTP server on 127.0.0.1 that misbehaves on demand: statuses, resets, truncation, slow drips.

Each path maps to a Fault, a small function that writes (or refuses to write) the response on the raw
socket. Every loop here is bounded; the server stops with the test.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Fault = Callable[[BaseHTTPRequestHandler], None]


def respond(body: bytes, status: int = 200, content_type: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return fault


def _promise(h: BaseHTTPRequestHandler, length: int) -> None:
    """A 200 whose headers promise `length` bytes of HTML (the faults below break the promise)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(length))
    h.end_headers()


def reset_mid_body(h: BaseHTTPRequestHandler) -> None:
    """Headers and part of the body, then a TCP reset."""
    _promise(h, 20000)
    h.wfile.write(b"<html><body>" + b"x" * 500)
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def truncated(h: BaseHTTPRequestHandler) -> None:
    """A Content-Length of 5000 and a clean close after 1000 bytes."""
    _promise(h, 5000)
    h.wfile.write(b"<html><body>" + b"y" * 988)
    h.wfile.flush()
    h.close_connection = True


def stall(seconds: float) -> Fault:
    """No answer at all for `seconds` (a read timeout)."""
    def fault(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        with contextlib.suppress(OSError):  # the client timed out and left: what we wanted
            respond(b"<html>late</html>")(h)

    return fault


def _drip(h: BaseHTTPRequestHandler, byte: bytes) -> None:
    """`byte` every 0.2 s, for at most 15 s: never slow enough for a read timeout, never finished."""
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            h.wfile.write(byte)
            h.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass  # the client gave up: what we wanted
    h.close_connection = True


def slow_drip(h: BaseHTTPRequestHandler) -> None:
    """A body that arrives a byte at a time and never ends."""
    _promise(h, 100000)
    _drip(h, b"z")


def slow_headers(h: BaseHTTPRequestHandler) -> None:
    """A status line, then headers that arrive a byte at a time and never end (slowloris)."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    h.wfile.flush()
    _drip(h, b"X")


def redirect_to(location: str) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return fault


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is what most faults provoke: not worth a traceback."""


class FaultServer:
    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Fault] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self.port = port
        self._start()

    def _start(self) -> None:
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802 - the base class's name
                path = self.path.split("?", 1)[0]
                with server_self._lock:
                    server_self.hits[path] = server_self.hits.get(path, 0) + 1
                    fault = server_self.routes.get(path)
                if fault is None:
                    respond(b"not found", status=404, content_type="text/plain")(self)
                else:
                    fault(self)

            def do_POST(self) -> None:  # noqa: N802 - a webhook's or an API's POST: its body read, then as GET
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

        self.server = _QuietServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def restart(self) -> None:
        """Listen again on the same port (after a 'connection refused' phase)."""
        self._start()
