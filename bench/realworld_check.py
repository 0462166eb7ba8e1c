"""`rulewatch sources --check` over every saved real answer (../shared/realworld), served on 127.0.0.1.

Each file becomes one source whose URL is the file's path on a local server (gzip files are served
decompressed, with the Content-Type their extension implies), and the real `rulewatch sources --check`
reads them all: kind, blocks, items, title and the first items or lines of each. Read every line as a
compliance officer would: a list read as a page, a breadcrumb as text, a title that is the site's name
are defects to fix by kind. The files are never copied into the project.

    .venv/bin/python bench/realworld_check.py                 # catalog, harvest, pages, pairs
    .venv/bin/python bench/realworld_check.py --only catalog  # one folder
    .venv/bin/python bench/realworld_check.py --summary       # one line per file
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE.parent.parent / "shared" / "realworld"
FOLDERS = ("catalog", "harvest", "pages", "pairs")
TYPES = {".json": "application/json", ".html": "text/html", ".htm": "text/html", ".xml": "application/xml",
         ".pdf": "application/pdf", ".txt": "text/plain"}


def data_files(root: Path, folders: tuple[str, ...]) -> list[Path]:
    """Every saved answer under the folders, provenance files left out."""
    found = []
    for folder in folders:
        found += [p for p in sorted((root / folder).rglob("*")) if p.is_file() and p.name != "provenance.json"]
    return found


def content_type(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    return TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def serve(root: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = (root / unquote(urlsplit(self.path).path).lstrip("/")).resolve()
            if root not in path.parents or not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            if path.suffix == ".gz":
                body = gzip.decompress(body)
            self.send_response(200)
            self.send_header("Content-Type", content_type(path))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def source_name(relative: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", str(relative))[:100].strip("-")


def sources_yaml(files: list[Path], root: Path, base: str) -> str:
    lines = ["sources:"]
    for path in files:
        relative = path.relative_to(root)
        lines += [f"- name: {source_name(relative)}", f"  url: {base}/{quote(str(relative))}", "  follow: false"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--only", nargs="+", default=FOLDERS, help="folders of the root to read")
    parser.add_argument("--summary", action="store_true", help="only the verdict line of each file")
    args = parser.parse_args()
    root = args.root.resolve()
    files = data_files(root, tuple(args.only))
    if not files:
        print(f"no saved answers under {root}", file=sys.stderr)
        return 2
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rulewatch = Path(sys.executable).with_name("rulewatch")
    with tempfile.TemporaryDirectory() as home:
        sources = Path(home) / "sources.yaml"
        sources.write_text(sources_yaml(files, root, base), encoding="utf-8")
        env = {**os.environ, "RULEWATCH_HOME": home, "RULEWATCH_HOST_DELAY": "0",
               "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        done = subprocess.run([str(rulewatch), "sources", "--sources", str(sources), "--check"],
                              env=env, capture_output=True, text=True, timeout=600)
    server.shutdown()
    out = done.stdout
    if args.summary:
        out = "\n".join(line for line in out.splitlines() if not line.startswith("     "))
    print(out.rstrip())
    if done.stderr.strip():
        print(done.stderr.rstrip(), file=sys.stderr)
    verdicts = [line.split()[0] for line in done.stdout.splitlines() if line[:4] in ("ok  ", "FAIL")]
    print(f"\n{len(files)} files: {verdicts.count('ok')} read, {verdicts.count('FAIL')} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
