"""Replay real page histories through `rulewatch run` and list every alert and failure they give.

Each folder of ../shared/realworld/histories holds the consecutive versions of one real page, API or
feed (NNNN.html/json/xml, with provenance.json). A local server answers each source's URL with its
current version; before each cycle every history moves to its next version, and one real
`rulewatch run` checks them all against one RULEWATCH_HOME, as a scheduled deployment would. Every
alert is printed with the version that raised it, so each can be judged: a real new item or
amendment, or a false alert (a render failure, noise). Nothing is copied into the project.

    .venv/bin/python bench/history_replay.py                       # all five histories
    .venv/bin/python bench/history_replay.py --only cisa-kev-json  # one
    .venv/bin/python bench/history_replay.py --limit 50            # the first 50 versions of each
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from answers import serve  # noqa: E402

DEFAULT_ROOT = HERE.parent.parent / "shared" / "realworld" / "histories"
RUN_TIMEOUT = 120  # seconds one cycle may take before the replay gives up


class History:
    """One page's versions, in order, and the one being served."""

    def __init__(self, folder: Path) -> None:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        self.name = folder.name
        self.content_type = provenance.get("content_type", "application/octet-stream")
        self.versions = [folder / v["file"] for v in provenance["versions"]]
        self.current = 0

    def body(self) -> bytes:
        return self.versions[self.current].read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--only", nargs="+", help="history folders to replay")
    parser.add_argument("--limit", type=int, default=0, help="versions of each history to replay (0: all)")
    args = parser.parse_args()
    folders = sorted(p for p in args.root.iterdir() if (p / "provenance.json").is_file())
    histories = {f.name: History(f) for f in folders if not args.only or f.name in args.only}
    if args.limit:
        for history in histories.values():
            history.versions = history.versions[: args.limit]
    server = serve(lambda path: (history.body(), history.content_type)
                   if (history := histories.get(path.strip("/"))) else None)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rulewatch = Path(sys.executable).with_name("rulewatch")
    started = time.monotonic()
    alerts: list[tuple[str, int, str, str, str]] = []
    failures: dict[str, list[tuple[int, str]]] = {name: [] for name in histories}
    with tempfile.TemporaryDirectory() as home:
        sources = Path(home) / "sources.yaml"
        sources.write_text("sources:\n" + "".join(
            f"- name: {name}\n  url: {base}/{name}\n  follow: false\n" for name in histories), encoding="utf-8")
        env = {**os.environ, "RULEWATCH_HOME": home, "RULEWATCH_HOST_DELAY": "0",
               "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        database = Path(home) / "rulewatch.db"
        seen = 0
        for step in range(max(len(h.versions) for h in histories.values())):
            live = [h for h in histories.values() if step < len(h.versions)]
            for history in live:
                history.current = step
            subprocess.run([str(rulewatch), "run", "--sources", str(sources), "--no-deliver", "-q",
                            "--only", *(h.name for h in live)], env=env, capture_output=True, timeout=RUN_TIMEOUT)
            with sqlite3.connect(database) as db:
                for alert_id, source, kind, title, added in db.execute(
                        "SELECT id, source, kind, title, added FROM alerts WHERE id > ? ORDER BY id", (seen,)):
                    seen = alert_id
                    alerts.append((source, step + 1, kind, title, added.splitlines()[0] if added else ""))
                for history in live:
                    row = db.execute("SELECT outcome, detail FROM checks WHERE source = ? ORDER BY id DESC LIMIT 1",
                                     (history.name,)).fetchone()
                    if row and row[0] not in ("changed", "unchanged", "baseline", "not_modified"):
                        failures[history.name].append((step + 1, f"{row[0]}: {row[1]}"[:160]))
    server.shutdown()
    checks = sum(len(h.versions) for h in histories.values())
    print(f"{checks} checks of {len(histories)} histories in {time.monotonic() - started:.0f} s\n")
    for name, history in histories.items():
        mine = [a for a in alerts if a[0] == name]
        print(f"{name}: {len(history.versions)} versions, {len(mine)} alerts, {len(failures[name])} failed checks")
        for _, version, kind, title, first in mine:
            print(f"  alert  v{version:04d} {kind}: {title[:90]} | {first[:80]}")
        for version, detail in failures[name]:
            print(f"  failed v{version:04d} {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
