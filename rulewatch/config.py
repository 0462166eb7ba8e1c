"""sources.yaml: the list of watched sources, validated with errors that name file, line, entry and field."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rulewatch.core.errors import ConfigError, SourceMisconfigured
from rulewatch.core.model import HostPolicy
from rulewatch.scrapers.extract import EXTRACTORS, source_kinds
from rulewatch.scrapers.extract.options import OPTION_HELP, OPTION_NAMES, ExtractOptions
from rulewatch.scrapers.request import PLAIN, RequestSpec, header_problem
from rulewatch.scrapers.urls import FetchScope, is_http_url

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")  # matched whole: no trailing newline slips by
# Source fields that are extraction options (each extractor says which of them it reads).
EXTRACT_FIELDS = OPTION_NAMES
# Source fields that shape the request (each fetcher says which of them it honours: its OPTIONS).
REQUEST_FIELDS = ("headers", "headers_from_env", "user_agent", "method", "form", "cookies", "cookie_url")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def fetcher_options() -> dict[str, frozenset[str]]:
    """The request options each fetcher honours, as the fetchers declare them."""
    from rulewatch.scrapers.browser import BrowserFetcher
    from rulewatch.scrapers.fetch import Fetcher

    return {"http": Fetcher.OPTIONS, "browser": BrowserFetcher.OPTIONS}


class Source(BaseModel):
    """One watched page, list, API or feed. Only `name` and `url` are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Every field has a help line: the README's table of source fields is generated from them
    # (rulewatch.reference); an extraction option's comes from scrapers.extract.options.
    name: str = Field(description="the source's name: letters, digits, `.`, `_` or `-` (required)")
    url: str = Field(description="the page, list, API or feed to watch (required)")
    description: str = Field(default="", description="shown by `rulewatch sources`")
    kind: str = Field(default="auto", description=OPTION_HELP["kind"])  # validated against scrapers.extract's registry
    fetcher: Literal["http", "browser"] = Field(default="http", description=(
        "`http` (default) or `browser`: render the page in a headless Chromium (see \"Pages that need a browser\")"))
    group: str = Field(default="default", description=(
        "which Prefect deployments check the source (default `default`, checked hourly with `regulators`); "
        "`rulewatch sources` shows each source's schedule, and `rulewatch run --check-schedules` warns about "
        "sources no deployment in `prefect.yaml` covers. (A per-source `schedule:` is refused: schedules live in "
        "`prefect.yaml`, per group.)"))
    # extraction overrides (scrapers.extract.options.ExtractOptions: one field each, same names)
    select: str = Field(default="", description=OPTION_HELP["select"])
    exclude: tuple[str, ...] = Field(default=(), description=OPTION_HELP["exclude"])
    items: str = Field(default="", description=OPTION_HELP["items"])
    items_path: str = Field(default="", description=OPTION_HELP["items_path"])
    id_field: str = Field(default="", description=OPTION_HELP["id_field"])
    title_field: str = Field(default="", description=OPTION_HELP["title_field"])
    url_field: str = Field(default="", description=OPTION_HELP["url_field"])
    date_field: str = Field(default="", description=OPTION_HELP["date_field"])
    url_template: str = Field(default="", description=OPTION_HELP["url_template"])
    link_pattern: str = Field(default="", description=OPTION_HELP["link_pattern"])
    html_path: str = Field(default="", description=OPTION_HELP["html_path"])
    # the request (see scrapers/request.py): what some sites need besides a plain GET
    headers: dict[str, str] = Field(default_factory=dict, description=(
        "extra request headers for this source and its detail pages, e.g. `Referer:` or `X-Requested-With:`. "
        "`Cookie` and `Authorization` are refused here, and so are the headers rulewatch sets itself (`Host`, "
        "`User-Agent`, the validators)"))
    headers_from_env: dict[str, str] = Field(default_factory=dict, description=(
        "headers whose values are secrets, by environment variable name: `{Authorization: NFRA_TOKEN}`. Sent only "
        "to the source's own host (never after a redirect elsewhere); an unset variable fails that source with "
        "`config:`, not the cycle"))
    user_agent: str = Field(default="", description=(
        "`browser`: a browser's User-Agent followed by rulewatch's own (with `RULEWATCH_CONTACT_URL`), for "
        "firewalls that refuse other clients; `browser-only`: the browser's alone; any other text is sent as "
        "written. robots.txt is still read for rulewatch"))
    method: Literal["get", "post"] = Field(default="get", description=(
        "`post` with a `form:` body, for list APIs that only answer POST. A POST is never conditional; a "
        "301/302/303 after it is followed with a GET"))
    form: dict[str, str | int] = Field(default_factory=dict, description=(
        "a POST's body, sent `application/x-www-form-urlencoded`"))
    cookies: bool = Field(default=False, description=(
        "keep the cookies the host sets and send them back to that host for the rest of the cycle (jars are "
        "forgotten at each cycle's start)"))
    cookie_url: str = Field(default="", description=(
        "a page fetched first, once per host and cycle, for the cookies a list API wants from a visitor who saw "
        "the column page (implies `cookies`)"))
    # list sources: fetch the detail page of each new item (detail_url may build it from the item's id)
    follow: bool = Field(default=True, description=(
        "fetch new list items' detail pages (default on, at most `RULEWATCH_FOLLOW_LIMIT` per source and cycle)"))
    detail_url: str = Field(default="", description=(
        "builds the detail page's URL from `{id}` and the item's fields (NFRA's document API)"))
    follow_hosts: tuple[str, ...] = Field(default=(), description=(
        "sites besides the source's own whose detail pages may be followed (links elsewhere are alerted, never "
        "fetched)"))
    # relevance and routing
    topics: tuple[str, ...] = Field(default=(), description="narrow relevance to these topics")
    alert_on: Literal["relevant", "any"] = Field(default="relevant", description=(
        "`relevant` (default) or `any` substantive change"))
    channel: str = Field(default="", description="Slack channel for this source's alerts (default `SLACK_CHANNEL`)")
    # how alerts present it: the publisher's name as readers know it (the site's host when unset), and
    # what kind of issuer it is (weighs in severity: see detection/severity.yaml)
    publisher: str = Field(default="", description=(
        "the publisher's name as alerts show it (default: the site's host name)"))
    issuer: Literal["regulator", "government", "standards", "press"] = Field(default="regulator", description=(
        "`regulator` (default), `government`, `standards` or `press`: weighs in severity; news from `press` never "
        "counts as a rule"))
    # politeness for this source's host (the stricter of this and the global setting wins)
    host_concurrency: int | None = Field(default=None, ge=1, le=64, description=(
        "requests in flight to this source's host (the stricter of this and `RULEWATCH_HOST_CONCURRENCY` wins)"))
    host_delay: float | None = Field(default=None, ge=0, le=600, description=(
        "seconds between two requests to this source's host (the stricter of this and `RULEWATCH_HOST_DELAY` "
        "wins)"))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.fullmatch(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 100, starting with a letter or digit)")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in source_kinds():
            raise ValueError(f"{value!r} is not a kind (known: {', '.join(source_kinds())})")
        return value

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> Source:
        """An option the source's forced extractor never reads is a mistake worth naming."""
        if self.kind not in EXTRACTORS:
            return self
        reads = EXTRACTORS[self.kind].options
        unread = [f for f in EXTRACT_FIELDS if getattr(self, f) and f not in reads]
        if unread:
            raise ValueError(f"kind {self.kind!r} does not read {', '.join(unread)}"
                             f" (it reads {', '.join(sorted(reads)) or 'no extraction options'})")
        return self

    @model_validator(mode="after")
    def _request_fits_the_fetcher(self) -> Source:
        """A request option the source's fetcher cannot honour is refused, not silently dropped."""
        honoured = fetcher_options()[self.fetcher]
        unread = [f for f in self._request_options_set() if f not in honoured]
        if unread:
            raise ValueError(f"fetcher {self.fetcher!r} cannot send {', '.join(unread)}"
                             f" (it honours {', '.join(sorted(honoured)) or 'no request options'})")
        if self.form and self.method != "post":
            raise ValueError("`form` is the body of a POST: set `method: post`")
        return self

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            problem = header_problem(name, str(header))
            if problem:
                raise ValueError(problem)
        return {name: str(header) for name, header in value.items()}

    @field_validator("headers_from_env")
    @classmethod
    def _headers_from_env(cls, value: dict[str, str]) -> dict[str, str]:
        for name, variable in value.items():
            problem = header_problem(name, "", secret_allowed=True)
            if problem:
                raise ValueError(problem)
            if not ENV_NAME.fullmatch(str(variable)):
                raise ValueError(f"{variable!r} (for {name}) is not an environment variable's name")
        return value

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str) -> str:
        if header_problem("X", value) or len(value) > 500:
            raise ValueError("the user agent must be one line of at most 500 characters")
        return value.strip()

    @field_validator("cookie_url")
    @classmethod
    def _cookie_url(cls, value: str) -> str:
        if value and not is_http_url(value.strip()):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip()

    @field_validator("link_pattern")
    @classmethod
    def _link_pattern(cls, value: str) -> str:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        if value and not pattern.groups:
            raise ValueError("the pattern needs a group, (...) or (?P<name>...), for url_template to use")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if not is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("detail_url", "url_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value and not is_http_url(value.replace("{", "").replace("}", "")) and not value.startswith("/"):
            raise ValueError(f"{value!r} is not an http(s) URL template")
        return value

    @property
    def publisher_name(self) -> str:
        return self.publisher or (urlsplit(self.url).hostname or "").removeprefix("www.")

    def extract_options(self) -> ExtractOptions:
        return ExtractOptions(kind=self.kind, **{name: getattr(self, name) for name in EXTRACT_FIELDS})

    def _request_options_set(self) -> list[str]:
        """The request options this source sets (those left at their defaults ask for a plain GET)."""
        return [f for f in REQUEST_FIELDS if getattr(self, f) not in ("", {}, False, "get")]

    def request(self, env: Mapping[str, str]) -> RequestSpec:
        """How this source's page is asked for. A header's environment variable that is unset fails the
        source (SourceMisconfigured), never the cycle."""
        if not self._request_options_set():
            return PLAIN
        missing = [v for v in self.headers_from_env.values() if not env.get(v)]
        if missing:
            raise SourceMisconfigured(f"headers_from_env: the environment variable {', '.join(missing)} is not set",
                                      url=self.url)
        return RequestSpec(
            method=self.method.upper(), headers=tuple(self.headers.items()),
            secret_headers=tuple((name, env[v]) for name, v in self.headers_from_env.items()),
            form=tuple((k, str(v)) for k, v in self.form.items()), user_agent=self.user_agent,
            cookies=self.cookies or bool(self.cookie_url), cookie_url=self.cookie_url,
        )

    def fetch_scope(self, *, links: bool) -> FetchScope:
        """Where this source's fetches may lead: its own URL's redirects (`links` False), or the links
        it follows (`links` True: its site and `follow_hosts`)."""
        return FetchScope.of_source(self.url, self.follow_hosts, links=links)

    def host_policy(self, default: HostPolicy) -> HostPolicy | None:
        if self.host_concurrency is None and self.host_delay is None:
            return None
        return HostPolicy(self.host_concurrency or default.concurrency,
                          default.delay if self.host_delay is None else self.host_delay)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[dict[str, Any]]

    @model_validator(mode="before")
    @classmethod
    def _extensions(cls, data: Any) -> Any:
        """Top-level keys named x-… hold YAML anchors shared by entries (as in compose files): not read."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
        return data


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: 10x faster


def _entry_lines(text: str) -> list[int]:
    """1-based line of each entry under `sources:`, for error messages (computed only on an error)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "sources" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


# A large sources file's YAML, once parsed, is kept as JSON (10x faster to read back) under the file's
# hash, so a cycle of 5,000 sources does not spend 70 ms parsing an unchanged file again. Only the
# parse is kept: every entry is still validated on every run.
PARSE_CACHE_MIN_BYTES = 64 * 1024  # about 1,000 sources; smaller files parse in a few ms
PARSE_CACHE_KEEP = 8  # parsed files kept (several groups' files may take turns)


def load_sources(path: Path | str, known_topics: tuple[str, ...] = (), cache_dir: Path | None = None) -> list[Source]:
    """Read and validate a sources file. Raises ConfigError naming the file, line, entry and field.
    `cache_dir`: where a large file's parsed YAML may be kept (see PARSE_CACHE_MIN_BYTES)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the sources file: {exc}") from exc
    data = _parsed(path, text, cache_dir if len(text) >= PARSE_CACHE_MIN_BYTES else None)
    if not isinstance(data, dict) or "sources" not in data:
        raise ConfigError(f"{path}: expected a mapping with a 'sources:' list")
    try:
        SourcesFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: field {field!r}: {first['msg']}") from exc
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data["sources"]):
        sources.append(_validate(path, text, index, entry, seen, known_topics))
    return sources


def _parsed(path: Path, text: str, cache_dir: Path | None) -> Any:
    """The YAML's data, read back from `cache_dir` when this very text was parsed before."""
    cached = cache_dir / f"sources-{hashlib.sha256(text.encode()).hexdigest()}.json" if cache_dir else None
    if cached is not None:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(cached.read_bytes())
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if cached is not None:
        _keep_parse(cached, data)
    return data


def _keep_parse(cached: Path, data: Any) -> None:
    """Write the parse where _parsed looks for it, unless JSON cannot hold it exactly (YAML dates,
    non-string keys); a cache that cannot be written is no error. The oldest parses are dropped."""
    try:
        raw = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        return
    if json.loads(raw) != data:
        return
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(raw, encoding="utf-8")
        os.replace(partial, cached)  # whole or not at all, whoever reads it meanwhile
        kept = sorted(cached.parent.glob("sources-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[PARSE_CACHE_KEEP:]:
            old.unlink(missing_ok=True)


def _validate(path: Path, text: str, index: int, entry: Any, seen: dict[str, int],
              known_topics: tuple[str, ...]) -> Source:
    """One entry as a Source; errors name the file, the line (found only when needed), entry and field."""
    def fail(problem: str) -> ConfigError:
        label = f"entry {index + 1}"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label += f" ({entry['name']!r})"
        return ConfigError(f"{path}{_line(text, index)}: {label}: {problem}")

    if not isinstance(entry, dict):
        raise fail("expected a mapping with `name` and `url`")
    if "schedule" in entry:
        raise fail("field 'schedule' is no longer read: a source is checked on the schedule of the deployments "
                   "that cover its `group` (prefect.yaml; `rulewatch sources` shows each source's). Remove it, "
                   "and give the source a group whose deployment runs when you need")
    try:
        source = Source.model_validate(entry)
    except ValidationError as exc:
        # An error about one field names it; one about the entry as a whole (two fields that do not fit
        # together) names its fields in its own words.
        raise fail("; ".join(
            f"field {'.'.join(str(p) for p in e['loc'])!r}: {_message(e)}" if e["loc"] else _message(e)
            for e in exc.errors()
        )) from exc
    if source.name in seen:
        raise fail(f"field 'name': duplicate of entry {seen[source.name] + 1}")
    unknown = [t for t in source.topics if known_topics and t not in known_topics]
    if unknown:
        raise fail(f"field 'topics': unknown topic(s) {', '.join(unknown)} (known: {', '.join(known_topics)})")
    seen[source.name] = index
    return source


def _line(text: str, index: int) -> str:
    lines = _entry_lines(text)
    return f":{lines[index]}" if index < len(lines) else ""


# How to write each list field, for "a list, e.g. ..." messages.
_LIST_EXAMPLES = {"topics": "[cybersecurity]", "exclude": "['.sidebar', '#comments']"}


def _message(error: Any) -> str:
    field = str(error["loc"][0]) if error.get("loc") else ""
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, list(Source.model_fields), n=1, cutoff=0.6)
        return "unknown field" + (f" (did you mean `{close[0]}`?)" if close else "")
    if error["type"] == "missing":
        return "required"
    if error["type"] in ("tuple_type", "list_type"):
        return f"a list, e.g. {_LIST_EXAMPLES.get(field, '[one, two]')}"
    return str(error["msg"]).removeprefix("Value error, ")
