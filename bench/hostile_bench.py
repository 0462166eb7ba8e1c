"""Hostile inputs: peak memory and wall time of each, in a fresh process.

    .venv/bin/python bench/hostile_bench.py

Each case builds its input in a child process (a local HTTP server where the case is about fetching),
runs the part of rulewatch it attacks, and reports how that ended, the child's peak RSS (imports
included, about 60 MB) and its wall time. Targets (issue 19): nothing over 300 MB on any input under
the 20 MB body cap, nothing past its deadline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = """
import json, random, resource, sys, time, threading, zlib, gzip
sys.path.insert(0, {root!r})
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from rulewatch.core.errors import RulewatchError

def serve(handler_body):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def do_GET(self):
            try:
                handler_body(self)
            except OSError:
                pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{{server.server_address[1]}}"

started = time.monotonic()
try:
    outcome = run()
except RulewatchError as exc:
    outcome = f"{{type(exc).__name__}}: {{str(exc)[:80]}}"
wall = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"outcome": str(outcome), "peak_mb": round(peak), "wall_s": round(wall, 2)}}))
"""

CASES = {
    "HTML list of 60,000 rows (5 MB)": """
def run():
    from rulewatch.scrapers.extract import extract
    rows = "".join(f'<li><a href="/d/{n}.html">关于第{n}号通知</a><span>2026-01-01</span></li>' for n in range(60_000))
    doc = extract(f"<html><body><ul>{rows}</ul></body></html>".encode(), "text/html", "https://x.example/")
    return f"{len(doc.items)} items kept of {doc.metadata.get('items_cut')}"
""",
    "JSON of 600,000 records (15 MB)": """
def run():
    from rulewatch.scrapers.extract import extract
    body = json.dumps({"data": {"rows": [{"id": n, "title": f"notice {n}"} for n in range(600_000)]}}).encode()
    doc = extract(body, "application/json", "https://x.example/api")
    return f"{len(doc.items)} items kept of {doc.metadata.get('items_cut')}"
""",
    "HTML page of 700,000 links (19 MB)": """
def run():
    from rulewatch.scrapers.extract import extract
    links = "".join(f'<a href="/{n}">第{n}</a> ' for n in range(700_000))
    doc = extract(f"<html><body><div>{links}</div></body></html>".encode(), "text/html", "https://x.example/")
    return f"{doc.kind}, {len(doc.items)} items, {len(doc.blocks)} blocks"
""",
    "JSON nested 100,000 deep": """
def run():
    from rulewatch.scrapers.extract import extract
    return extract(b"[" * 100_000 + b"]" * 100_000, "application/json", "https://x.example/api").kind
""",
    "page of 1,500 paragraphs rewritten whole": """
def run():
    from rulewatch.core.model import Block, Document
    from rulewatch.detection.compare import compare
    rng = random.Random(1)
    chars = "网络安全事件报告供应商源代码审查安全可控采购金融机构监管部门"
    def para(): return Block("".join(rng.choice(chars) for _ in range(60)))
    def doc(): return Document(kind="page", url="u", blocks=[para() for _ in range(1500)])
    return f"{len(compare(doc(), doc()).text)} text changes"
""",
    "one 40,000-character block rewritten whole": """
def run():
    from rulewatch.core.model import Block, Document
    from rulewatch.detection.compare import compare
    rng = random.Random(2)
    chars = "网络安全事件报告供应商源代码审查安全可控采购金融机构监管部门"
    def doc(): return Document(kind="page", url="u", blocks=[Block("".join(rng.choice(chars) for _ in range(40_000)))])
    return f"{len(compare(doc(), doc()).text)} text changes"
""",
    "gzip bomb (1 GB of zeros in 1 MB)": """
def run():
    from rulewatch.scrapers.fetch import Fetcher, FetchSettings
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1_000_000)
    bomb = b"".join(packer.compress(zeros) for _ in range(1000)) + packer.flush()
    def answer(h):
        h.send_response(200); h.send_header("Content-Encoding", "gzip"); h.send_header("Content-Length", str(len(bomb)))
        h.end_headers(); h.wfile.write(bomb)
    base = serve(answer)
    return Fetcher(FetchSettings(max_retries=0, respect_robots=False)).fetch(base + "/")
""",
    "endless empty deflate blocks (3 s deadline)": """
def run():
    from rulewatch.scrapers.fetch import Fetcher, FetchSettings
    def answer(h):
        h.wfile.write(b"HTTP/1.1 200 OK\\r\\nContent-Encoding: deflate\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")
        c = zlib.compressobj(); head = c.compress(b"<html>") + c.flush(zlib.Z_SYNC_FLUSH)
        h.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(head), head))
        block = b"\\x00\\x00\\x00\\xff\\xff" * 20
        end = time.monotonic() + 30
        while time.monotonic() < end:
            h.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(block), block)); time.sleep(0.001)
    base = serve(answer)
    return Fetcher(FetchSettings(max_retries=2, respect_robots=False, total_timeout=3)).fetch(base + "/")
""",
    "18 MB robots.txt, 8 threads at once": """
def run():
    from concurrent.futures import ThreadPoolExecutor
    from rulewatch.scrapers.fetch import Fetcher, FetchSettings
    robots = b"User-agent: *\\nDisallow: /private/\\n" + b"# padding line\\n" * 1_200_000
    hits = []
    def answer(h):
        body = robots if h.path == "/robots.txt" else b"<html><body><p>rule</p></body></html>"
        hits.append(h.path)
        h.send_response(200); h.send_header("Content-Length", str(len(body))); h.end_headers(); h.wfile.write(body)
    base = serve(answer)
    fetcher = Fetcher(FetchSettings(max_retries=0))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: fetcher.fetch(f"{base}/rule{n}.html"), range(8)))
    return f"robots.txt read {hits.count('/robots.txt')} time(s)"
""",
}


def main() -> None:
    print(f"{'input':48} {'peak RSS':>9} {'wall':>8}  outcome")
    for name, body in CASES.items():
        code = body + PRELUDE.format(root=str(ROOT))
        began = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
            print(f"{name:48} {'—':>9} {time.monotonic() - began:7.1f}s  CRASHED: {tail[0][:90]}")
            continue
        found = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{name:48} {found['peak_mb']:>6} MB {found['wall_s']:7.2f}s  {found['outcome'][:90]}")


if __name__ == "__main__":
    main()
