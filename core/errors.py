"""Every error rulewatch raises on purpose, in one tree with one root. Callers catch exactly what they
mean; anything outside this tree is a bug and is allowed to show its traceback.

    RulewatchError
    ├── ConfigError               a sources file that cannot be used (names file, line, entry, field)
    ├── SettingsError             an environment variable with an unusable value (names it)
    │   └── SecretBlockError      the Prefect Secret block for the Slack token cannot be read
    ├── TaxonomyError             a topics file that cannot be used
    ├── UsageError                a command that cannot run as asked (unknown source, snapshot...)
    ├── StateError                the database cannot be used as it is (a newer schema than this code)
    │   └── WriteRefused          the database refused one result's data; its batch is written without it
    ├── FetchError                a source could not be read; never a snapshot (`reason` tags it)
    │   ├── BadURL, OutOfScope, ConnectFailed, FetchTimeout, TooManyRedirects, BodyTooLarge, TruncatedBody
    │   ├── HTTPStatusError, RobotsDisallowed, ExtractError (> Undecodable)
    │   └── NotADocument          a 2xx answer that is no content
    │       └── EmptyBody, ChallengePage, ContentCollapsed, PartialRender, Maintenance, LooksWrong
    └── DeliveryError             an alert could not be delivered now; it stays pending
        └── PermanentDeliveryError  a sink cannot work until someone fixes its configuration
"""

from __future__ import annotations

from rulewatch.core.text import without_controls


class RulewatchError(Exception):
    """The root of every error rulewatch raises on purpose."""


class ConfigError(RulewatchError, ValueError):
    """A sources file that cannot be used. The message names the file, line, entry and field."""


class SettingsError(RulewatchError, ValueError):
    """An environment variable with a value rulewatch cannot use; the message names it."""


class SecretBlockError(SettingsError):
    """The Prefect Secret block named for the Slack token cannot be read."""


class TaxonomyError(RulewatchError, ValueError):
    """A topics file that cannot be used; the message names the file and the topic."""


class UsageError(RulewatchError):
    """A command that cannot run as asked (unknown source, snapshot...): exit 2 with the message."""


class StateError(RulewatchError):
    """The database cannot be used as it is: its schema is newer than this rulewatch, or it cannot be
    upgraded. Nothing was written."""


class WriteRefused(StateError):
    """The database refused a result's data (too long, malformed): that source's result is not
    recorded; the others of its batch are written without it."""


class DeliveryError(RulewatchError):
    """An alert could not be delivered now; it stays pending."""


class PermanentDeliveryError(DeliveryError):
    """Delivery to this channel cannot work until someone fixes configuration (auth, channel, scope)."""

    def __init__(self, message: str, channel: str) -> None:
        super().__init__(message)
        self.channel = channel


class AlertRefused(PermanentDeliveryError):
    """The sink refuses this one alert (its size or its content), not the channel: the alert stays
    pending and is reported, and the channel's other alerts go on."""


class TranslationError(RulewatchError):
    """The optional translation service gave no translation; the alert goes out without one."""


class FetchError(RulewatchError):
    """A source could not be fetched or read as a document. `reason` is a short machine-readable tag."""

    reason = "fetch_error"

    def __init__(self, message: str, *, url: str = "") -> None:
        # A message often carries a server's words (its reason phrase, its error text): without control
        # characters, so an escape sequence never reaches a terminal (`run`, `history`) or an alert.
        super().__init__(without_controls(message))
        self.url = url

    def describe(self) -> str:
        return f"{self.reason}: {self}"


class SourceMisconfigured(FetchError):
    """The source cannot be asked for as written: an environment variable its request needs is unset."""

    reason = "config"


class BadURL(FetchError):
    """The URL is not http(s) or is malformed; rulewatch never fetches file:// or other schemes."""

    reason = "bad_url"


class OutOfScope(FetchError):
    """A followed link or a redirect leads off the source's site, or to an internal address."""

    reason = "out_of_scope"


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


class Maintenance(NotADocument):
    """A maintenance or "service paused" stub served in place of the page (系统维护中)."""

    reason = "maintenance"


class PartialRender(NotADocument):
    """The page lost most of its content at once (a CMS that rendered only part of it): a suspected
    render failure, not a change. The next check confirms it (the same loss again is a real change)
    or clears it (the content is back)."""

    reason = "partial"


class LooksWrong(NotADocument):
    """Extraction ran but its result cannot be the document: no text, only a URL or only navigation,
    no items from an answer that holds records, a title that is only the site's name. Reported as a
    failure (never a snapshot), so a blind source is never green."""

    reason = "looks_wrong"


class ExtractError(FetchError):
    """The body could not be read as the kind it claims to be (malformed JSON, XML, PDF, charset)."""

    reason = "extract"


class Undecodable(ExtractError):
    """The body is its declared encoding with damaged stretches (invalid UTF-8 bytes, say)."""

    reason = "undecodable"
