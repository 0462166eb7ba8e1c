"""A source's health, decided purely: when a page is an error page in disguise, and which notices a
failing or recovering source earns. state/ writes what these decide; it decides nothing itself."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ContentCollapsed
from core.model import Alert, Document

COLLAPSE_RATIO = 0.1  # a page that shrinks below this share of its last good size is an error page
COLLAPSE_MIN_SIZE = 200  # ...when the last good one had at least this much content
DEFAULT_FAILING_AFTER = 3  # consecutive failures before a "source failing" notice
ERROR_SHOWN = 500  # characters of the last error quoted in a "source failing" notice


# A page that shrinks to one of these says the rule itself ended: the most important change, never an
# error page (本办法已废止, "This rule has been repealed").
REPEAL_MARKERS = ("废止", "失效", "撤销", "停止执行", "不再执行", "repealed", "rescinded", "revoked", "withdrawn",
                  "no longer in effect", "superseded")


def collapsed(previous: Document | None, document: Document) -> ContentCollapsed | None:
    """The failure to report when `document` shrank to a fraction of the last good one, else None
    (also None when what is left says the rule was repealed or withdrawn: that is a change)."""
    if previous is None:
        return None
    if previous.size() >= COLLAPSE_MIN_SIZE and document.size() < COLLAPSE_RATIO * previous.size():
        remaining = f"{document.title}\n{document.text}".lower()
        if any(marker in remaining for marker in REPEAL_MARKERS):
            return None
        return ContentCollapsed(
            f"content shrank from {previous.size()} to {document.size()} characters; "
            "treated as an error page, not as a change",
            url=document.url,
        )
    return None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Which notices a source's health earns: one "failing" notice per outage, after `notify_after`
    consecutive failures, and one "recovered" notice when an announced outage ends. state/ asks these
    with the source's row locked, so two runs never both announce one outage."""

    notify_after: int = DEFAULT_FAILING_AFTER

    def failing(self, source: str, url: str, failures: int, error: str, notified: bool) -> Alert | None:
        """The notice due after `failures` consecutive failures (`notified`: one went out already)."""
        if failures < self.notify_after or notified:
            return None
        return Alert(kind="source_failing", title=source, url=url, subject=f"health:{source}",
                     added=f"{failures} consecutive checks failed; the last error: {error[:ERROR_SHOWN]}")

    def recovered(self, source: str, url: str, failures: int, notified: bool) -> Alert | None:
        """The notice due when a check works again after `failures` failures."""
        if not notified:
            return None
        return Alert(kind="source_recovered", title=source, url=url, subject=f"health:{source}",
                     added=f"checks work again after {failures} failures")
