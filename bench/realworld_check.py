"""`rulewatch sources --check` over every saved real answer (../shared/realworld), served on 127.0.0.1.

Each file becomes one source at the URL it was saved from (its provenance's endpoint, over http),
answered by a local proxy that rulewatch reaches through HTTP_PROXY, so links resolve as on the real
site; a file without a recorded endpoint gets a made-up one. Gzip files are served decompressed, with
the Content-Type their extension implies. The real `rulewatch sources --check` reads them all:
kind, blocks, items, title and the first items or lines of each. Read every line as a
compliance officer would: a list read as a page, a breadcrumb as text, a title that is the site's name
are defects to fix by kind. The files are never copied into the project.

    .venv/bin/python bench/realworld_check.py                 # catalog, harvest, pages, pairs
    .venv/bin/python bench/realworld_check.py --only catalog  # one folder
    .venv/bin/python bench/realworld_check.py --summary       # one line per file
    .venv/bin/python bench/realworld_check.py --catalog       # the bundled catalog's entries, on the
                                                              # saved answers of their endpoints
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from answers import serve  # noqa: E402

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


FALLBACK_HOST = "realworld.test"


def endpoints(root: Path, files: list[Path]) -> dict[Path, str]:
    """Each file's URL: the endpoint its provenance records (over http), else one on FALLBACK_HOST."""
    recorded: dict[Path, str] = {}
    for provenance in root.rglob("provenance.json"):
        entries = json.loads(provenance.read_text(encoding="utf-8"))
        for entry in entries if isinstance(entries, list) else []:
            if "file" not in entry:
                continue
            url = (entry.get("endpoint_url") or "").split(" ")[0]
            if url.startswith(("http://", "https://")) and "…" not in url and "<" not in url:
                recorded[(provenance.parent / entry["file"]).resolve()] = "http://" + url.split("://", 1)[1]
    found, seen = {}, set()
    for path in files:
        url = recorded.get(path.resolve(), "")
        if not url or url in seen:
            url = f"http://{FALLBACK_HOST}/{quote(str(path.relative_to(root)))}"
        seen.add(url)
        found[path] = url
    return found


def answer(by_url: dict[str, Path], url: str) -> tuple[bytes, str] | None:
    """The file saved from `url` (gzip files decompressed), or None: robots.txt and the rest are 404."""
    path = by_url.get(unquote(url))
    if path is None:
        return None
    body = path.read_bytes()
    return (gzip.decompress(body) if path.suffix == ".gz" else body), content_type(path)


def source_name(relative: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", str(relative))[:100].strip("-")


def sources_yaml(urls: dict[Path, str], root: Path) -> str:
    lines = ["sources:"]
    for path, url in urls.items():
        lines += [f"- name: {source_name(path.relative_to(root))}", f"  url: '{url}'", "  follow: false"]
    return "\n".join(lines) + "\n"


# Catalog entries whose endpoint has no saved answer of its own, but a saved page of the same CMS
# template (another column of the same site): read on that page.
SAME_TEMPLATE = {"pboc-regulations": "pboc/zhengwugongkai_4081705_list_p1_2026-09-24.LF-normalized.html"}
COLUMN_PAGE = b"<html><head><title>column</title></head><body>column page</body></html>"


def _site_path(url: str) -> str:
    """A URL without its scheme and query: how a catalog entry is matched with a saved answer."""
    return url.split("://", 1)[-1].split("?", 1)[0]


def catalog_yaml(catalog: Path, urls: dict[Path, str], root: Path) -> tuple[str, dict[str, Path], list[str]]:
    """The catalog's entries that have a saved answer, over http, with every option of theirs kept;
    the site path -> saved file the proxy answers; and the entries left without an answer."""
    import yaml

    data = yaml.safe_load(catalog.read_text(encoding="utf-8"))
    by_path = {_site_path(url): path for path, url in urls.items()}
    kept, served, missing = [], {}, []
    for entry in data["sources"]:
        path = by_path.get(_site_path(entry["url"]))
        if path is None and entry["name"] in SAME_TEMPLATE:
            path = root / "catalog" / SAME_TEMPLATE[entry["name"]]
        if path is None:
            missing.append(entry["name"])
            continue
        served[_site_path(entry["url"])] = path
        entry = dict(entry, url="http://" + entry["url"].split("://", 1)[1], follow=False)
        if entry.get("cookie_url"):
            entry["cookie_url"] = "http://" + entry["cookie_url"].split("://", 1)[1]
        kept.append(entry)
    return yaml.safe_dump({"sources": kept}, allow_unicode=True, sort_keys=False), served, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--only", nargs="+", default=FOLDERS, help="folders of the root to read")
    parser.add_argument("--summary", action="store_true", help="only the verdict line of each file")
    parser.add_argument("--catalog", action="store_true", help="read the bundled catalog's entries instead")
    args = parser.parse_args()
    root = args.root.resolve()
    files = data_files(root, tuple(args.only))
    if not files:
        print(f"no saved answers under {root}", file=sys.stderr)
        return 2
    urls = endpoints(root, files)
    by_url = {unquote(url): path for path, url in urls.items()}
    missing: list[str] = []
    if args.catalog:
        text, served, missing = catalog_yaml(HERE.parent / "sources.yaml", urls, root)

        def lookup(url: str) -> tuple[bytes, str] | None:
            path = served.get(_site_path(unquote(url)))
            if path is None:  # robots.txt is 404; any other page (a cookie page) is a plain column page
                return None if url.endswith("/robots.txt") else (COLUMN_PAGE, "text/html")
            return path.read_bytes(), content_type(path)

        server = serve(lookup)
    else:
        text = sources_yaml(urls, root)
        server = serve(lambda url: answer(by_url, url))
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    rulewatch = Path(sys.executable).with_name("rulewatch")
    with tempfile.TemporaryDirectory() as home:
        sources = Path(home) / "sources.yaml"
        sources.write_text(text, encoding="utf-8")
        env = {**os.environ, "RULEWATCH_HOME": home, "RULEWATCH_HOST_DELAY": "0",
               "HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
        done = subprocess.run([str(rulewatch), "sources", "--sources", str(sources), "--check"],
                              env=env, capture_output=True, text=True, timeout=600)
    server.shutdown()
    out = done.stdout
    if args.summary:
        out = "\n".join(line for line in out.splitlines() if not line.startswith("     "))
    print(out.rstrip())
    if done.stderr.strip():
        print(done.stderr.rstrip(), file=sys.stderr)
    verdicts = [line.split()[0] for line in done.stdout.splitlines() if line[:4] in ("ok  ", "FAIL", "WARN")]
    read = "entries" if args.catalog else "files"
    print(f"\n{len(verdicts)} {read}: {verdicts.count('ok')} read, {verdicts.count('WARN')} doubtful, "
          f"{verdicts.count('FAIL')} failed")
    if missing:
        print(f"no saved answer for {len(missing)} catalog entries: {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
