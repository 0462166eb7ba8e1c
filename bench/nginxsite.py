"""The benchmark site served by nginx (Debian's package), as issue 18's targets ask: keep-alive, ETag
and Last-Modified from the files themselves, 304s, and a server fast enough not to be what is measured.

Same pages and the same interface as `benchsite.Site` (advance(), serve(), bytes_sent): the pages are
files under a temporary root, and a changed page is rewritten (new mtime and size, so a new ETag).
Bytes sent are summed from nginx's access log, which logs only `$body_bytes_sent`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from benchsite import Site, page

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONFIG = """
worker_processes 1;
user root;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 4096; }}
http {{
    log_format sent '$body_bytes_sent';
    access_log {root}/access.log sent;
    types {{ text/html html; }}
    charset utf-8;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
    }}
}}
"""


def nginx_available() -> bool:
    return os.path.exists(NGINX)


class NginxSite(Site):
    """`Site`'s pages as static files behind nginx."""

    def __init__(self, pages: int, changed_share: float, delay: float = 0.0, seed: int = 7,
                 rewrite: bool = False) -> None:
        if delay:
            raise ValueError("nginx serves at once; use benchsite.Site for a slow server (--delay)")
        super().__init__(pages, changed_share, delay, seed, rewrite)
        self.root = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        (self.root / "www/rule").mkdir(parents=True)
        for i in range(pages):
            self._write(i)
        self.proc: subprocess.Popen[bytes] | None = None
        self.server_address = ("127.0.0.1", 0)

    def _write(self, i: int) -> None:
        path = self.root / f"www/rule/{i}.html"
        path.write_bytes(page(i, self.version[i], rewritten=self.rewrite and self.version[i] > 0))
        os.utime(path, (self.mtime[i], self.mtime[i]))

    def advance(self) -> int:
        changed = super().advance()
        for i, version in enumerate(self.version):
            if version:
                self._write(i)
        return changed

    @property
    def bytes_sent(self) -> int:
        log = self.root / "access.log"
        if not log.exists():
            return 0
        return sum(int(line) for line in log.read_text().split())

    @property
    def requests(self) -> int:  # type: ignore[override]
        log = self.root / "access.log"
        return len(log.read_text().split()) if log.exists() else 0

    @requests.setter
    def requests(self, value: int) -> None:  # Site.__init__ sets it; the log is the truth here
        pass

    @bytes_sent.setter
    def bytes_sent(self, value: int) -> None:  # Site.__init__ sets it; the log is the truth here
        pass

    def serve(self, port: int = 0) -> NginxSite:  # type: ignore[override]
        if not port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
        conf = self.root / "nginx.conf"
        conf.write_text(CONFIG.format(root=self.root, port=port), encoding="utf-8")
        self.proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(self.root)])
        self.server_address = ("127.0.0.1", port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(self.server_address, timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {(self.root / 'error.log').read_text()}")

    def shutdown(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(timeout=10)

    def server_close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
