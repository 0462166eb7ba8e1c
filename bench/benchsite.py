"""A local site for benchmarks: N rule pages of about 20 KB, a share p of them changed per cycle,
served on 127.0.0.1 with ETag and Last-Modified like a real server (and 304s), optionally slow.

    python bench/site.py --pages 500 --port 8800 [--delay 0.05]
then write `cycle` to its stdin (or call advance()) to change a share of the pages (with rewrite=True a
changed page is a new version with every article's wording new, not one amended article).
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = ("第{n}条 银行业金融机构应当建立健全信息科技风险管理体系，对关键信息基础设施开展安全评估，"
           "按照规定向监管部门报送第{n}项评估报告，并对供应商的安全能力进行持续监测和审查。")


# A new version of a rule with every article's wording new (issue 18's worst case for pairing).
REWORDED = ("第{n}条 金融机构应当完善网络安全管理制度，对重要信息系统实施安全审查和风险评估，"
            "在每季度结束后十个工作日内向监管机构报送第{n}项报告，并持续监测外包服务商的安全能力。")


def page(i: int, version: int, size: int = 20_000, rewritten: bool = False) -> bytes:
    parts = [f"<html><head><meta charset='utf-8'><title>规则 {i}</title></head><body>",
             "<div class='nav'><a href='/'>首页</a> <a href='/rules/'>政策法规</a></div><div class='content'>",
             f"<h1>关于第{i}号网络安全管理规定的通知</h1>",
             f"<div class='info'>发布时间：2026-11-20 09:12:44 浏览次数：{random.randint(1000, 9999)}</div>"]
    n = 1
    while sum(len(p) for p in parts) * 3 < size:  # about 3 bytes a character in UTF-8
        parts.append("<p>" + (REWORDED if rewritten else ARTICLE).format(n=n) + "</p>")
        n += 1
    parts.insert(6, f"<p>第0条 本规定第{version}次修订，自2027年{version % 12 + 1}月1日起施行。</p>")
    parts.append("</div><div class='footer'>版权所有</div></body></html>")
    return "".join(parts).encode()


class Site:
    def __init__(self, pages: int, changed_share: float, delay: float = 0.0, seed: int = 7,
                 rewrite: bool = False) -> None:
        self.pages, self.share, self.delay, self.rewrite = pages, changed_share, delay, rewrite
        self.version = [0] * pages
        self.mtime = [time.time() - 86400] * pages
        self.rng = random.Random(seed)
        self.bytes_sent = 0
        self.requests = 0
        self._lock = threading.Lock()

    def advance(self) -> int:
        """Change `share` of the pages; returns how many changed."""
        changed = self.rng.sample(range(self.pages), int(self.pages * self.share))
        now = time.time()
        for i in changed:
            self.version[i] += 1
            self.mtime[i] = now
        return len(changed)

    def serve(self, port: int = 0) -> ThreadingHTTPServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 64 * 1024  # headers and body leave in one write, as from nginx

            def setup(self) -> None:
                super().setup()
                # Like production servers (nginx's tcp_nodelay): no Nagle delay on the last segment.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                if site.delay:
                    time.sleep(site.delay)
                path = self.path.split("?")[0]
                if not path.startswith("/rule/"):
                    body = b"not found"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                i = int(path.rsplit("/", 1)[1].split(".")[0])
                etag = '"' + hashlib.md5(f"{i}-{site.version[i]}".encode()).hexdigest() + '"'
                last_modified = email.utils.formatdate(site.mtime[i], usegmt=True)
                with site._lock:
                    site.requests += 1
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if inm == etag or (not inm and ims == last_modified):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = page(i, site.version[i], rewritten=site.rewrite and site.version[i] > 0)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                self.wfile.write(body)
                with site._lock:
                    site.bytes_sent += len(body)

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--share", type=float, default=0.05)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--port", type=int, default=8800)
    a = ap.parse_args()
    s = Site(a.pages, a.share, a.delay)
    srv = s.serve(a.port)
    print(f"serving {a.pages} pages on http://127.0.0.1:{srv.server_address[1]}/rule/N.html; type 'cycle'")
    for _line in iter(input, "quit"):
        print("changed", s.advance())
