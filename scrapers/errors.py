"""Why a source could not be read. Every failure is one of these; none becomes a snapshot."""

from __future__ import annotations


class FetchError(Exception):
    """A source could not be fetched or read as a document. `reason` is a short machine-readable tag."""

    reason = "fetch_error"

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url

    def describe(self) -> str:
        return f"{self.reason}: {self}"


class BadURL(FetchError):
    """The URL is not http(s) or is malformed; rulewatch never fetches file:// or other schemes."""

    reason = "bad_url"


class ConnectFailed(FetchError):
    """DNS failure, refused or reset connection."""

    reason = "connection"


class FetchTimeout(FetchError):
    """The server did not answer, or stopped sending, within the timeout."""

    reason = "timeout"


class TooManyRedirects(FetchError):
    """More redirects than MAX_REDIRECTS, or a redirect loop."""

    reason = "redirects"


class BodyTooLarge(FetchError):
    """The body passed MAX_BODY_BYTES; reading stopped there."""

    reason = "too_large"


class TruncatedBody(FetchError):
    """The connection closed before Content-Length bytes arrived."""

    reason = "truncated"


class HTTPStatusError(FetchError):
    """The server answered with a non-2xx status (after retries, for retryable ones)."""

    reason = "http_status"

    def __init__(self, message: str, *, url: str = "", status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class RobotsDisallowed(FetchError):
    """robots.txt forbids our user agent to fetch this URL."""

    reason = "robots"


class NotADocument(FetchError):
    """A 2xx answer that is not content: empty body, challenge or error page, collapsed page."""

    reason = "not_a_document"


class EmptyBody(NotADocument):
    reason = "empty_body"


class ChallengePage(NotADocument):
    """A JavaScript or cookie challenge (anti-bot wall) served in place of the page."""

    reason = "challenge"


class ContentCollapsed(NotADocument):
    """The page shrank to a small fraction of the last good snapshot: an error page in disguise."""

    reason = "collapsed"


class ExtractError(FetchError):
    """The body could not be read as the kind it claims to be (malformed JSON, XML, PDF, charset)."""

    reason = "extract"
