"""sources.yaml: only name and url are required; every mistake names file, line, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulewatch.config import load_sources
from rulewatch.core.errors import ConfigError

TOPICS = ("cybersecurity", "procurement")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_name_and_url_are_enough(tmp_path: Path) -> None:
    (source,) = load_sources(write(tmp_path, "sources:\n  - name: cac\n    url: https://www.cac.gov.cn/x.htm\n"), TOPICS)
    assert source.name == "cac" and source.kind == "auto" and source.follow


def test_publisher_and_issuer(tmp_path: Path) -> None:
    text = ("sources:\n  - name: cac\n    url: https://www.cac.gov.cn/x.htm\n"
            "  - name: press\n    url: https://news.example/x\n    publisher: Example News\n    issuer: press\n")
    cac, press = load_sources(write(tmp_path, text), TOPICS)
    assert (cac.publisher_name, cac.issuer) == ("cac.gov.cn", "regulator")
    assert (press.publisher_name, press.issuer) == ("Example News", "press")
    with pytest.raises(ConfigError, match="issuer"):
        load_sources(write(tmp_path, text.replace("issuer: press", "issuer: blog")), TOPICS)


def test_the_bundled_catalog_is_valid() -> None:
    sources = load_sources(Path(__file__).parents[2] / "sources.yaml", TOPICS)
    names = {s.name for s in sources}
    assert {"nfra-rules", "cac-policy", "pboc-rules", "miit-policy", "us-federal-register-cyber"} <= names
    assert all(s.publisher for s in sources)  # alerts name the publisher readers know
    federal = [s for s in sources if "federalregister" in s.url]
    assert federal and all("fields[]=effective_on" in s.url and "fields[]=comments_close_on" in s.url
                           and "fields[]=docket_ids" in s.url for s in federal)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("sources:\n  - name: a\n    url: https://x.example/\n    colour: red\n",
         r"sources.yaml:2: entry 1 \('a'\): field 'colour': unknown field"),
        ("sources:\n  - name: a\n    url: https://x.example/\n  - name: b\n",
         r"sources.yaml:4: entry 2 \('b'\): field 'url': required"),
        ("sources:\n  - name: a\n    url: file:///etc/passwd\n", r"entry 1 \('a'\): field 'url': 'file:///etc/passwd' is not"),
        ("sources:\n  - name: a\n    url: https://x.example/\n  - name: a\n    url: https://y.example/\n",
         r"sources.yaml:4: entry 2 \('a'\): field 'name': duplicate of entry 1"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    schedule: every hour\n", r"field 'schedule'"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    topics: cybersecurity\n",
         r"field 'topics': a list, e.g. \[cybersecurity\]"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    kinds: json\n",
         r"field 'kinds': unknown field \(did you mean `kind`\?\)"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    topics: [weather]\n", r"field 'topics': unknown topic"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    host_delay: fast\n", r"field 'host_delay'"),
        ("sources:\n  - name: 'bad name!'\n    url: https://x.example/\n", r"field 'name'"),
        ("sources:\n  - name: a\n   url: x\n", r"sources.yaml:\d+: not valid YAML"),
        ("- just a list\n", r"expected a mapping with a 'sources:' list"),
    ],
)
def test_errors_name_file_line_entry_and_field(tmp_path: Path, yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_sources(write(tmp_path, yaml_text), TOPICS)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the sources file"):
        load_sources(tmp_path / "missing.yaml", TOPICS)


def test_a_name_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text('sources:\n  - name: "cac\\n"\n    url: https://x.example/\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="field 'name'"):
        load_sources(path)


def _many(count: int, extra: str = "") -> str:
    return "sources:\n" + "".join(f"  - name: rule{n:05d}\n    url: https://www.cac.gov.cn/{n}.htm\n{extra}"
                                  for n in range(count))


def test_a_large_file_is_parsed_once_and_validated_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from rulewatch import config

    cache = tmp_path / "cache"
    path = write(tmp_path, _many(2000))
    assert len(path.read_text(encoding="utf-8")) >= config.PARSE_CACHE_MIN_BYTES
    first = load_sources(path, TOPICS, cache_dir=cache)
    assert len(list(cache.glob("sources-*.json"))) == 1

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml, "load", no_parse)
    assert load_sources(path, TOPICS, cache_dir=cache) == first
    monkeypatch.undo()

    # Still validated from the cache: an unknown topic is refused with its line.
    bad = write(tmp_path, _many(2000).replace("rule01999\n", "rule01999\n    topics: [farming]\n"))
    load_sources(bad, (), cache_dir=cache)  # parsed and kept, valid without a taxonomy
    with pytest.raises(ConfigError, match=r"sources.yaml:4000: entry 2000 \('rule01999'\): field 'topics'"):
        load_sources(bad, TOPICS, cache_dir=cache)


def test_an_edited_file_is_parsed_again_and_a_broken_cache_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = write(tmp_path, _many(2000))
    load_sources(path, TOPICS, cache_dir=cache)
    (kept,) = cache.glob("sources-*.json")
    kept.write_text("{not json", encoding="utf-8")
    assert len(load_sources(path, TOPICS, cache_dir=cache)) == 2000
    write(tmp_path, _many(2001))
    assert len(load_sources(path, TOPICS, cache_dir=cache)) == 2001


def test_what_json_cannot_hold_is_not_kept_and_small_files_are_not_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # A YAML date (in a field that does not exist) would come back from JSON as something else.
    dated = write(tmp_path, _many(2000).replace("rule00000\n", "rule00000\n    since: 2026-12-05\n", 1))
    with pytest.raises(ConfigError, match="since"):
        load_sources(dated, TOPICS, cache_dir=cache)
    assert not list(cache.glob("sources-*.json")) if cache.exists() else True
    load_sources(write(tmp_path, _many(3)), TOPICS, cache_dir=cache)
    assert not cache.exists() or not list(cache.glob("sources-*.json"))


def test_an_unwritable_cache_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    assert len(load_sources(write(tmp_path, _many(2000)), TOPICS, cache_dir=blocker)) == 2000


REQUEST_BASE = "sources:\n  - name: api\n    url: https://www.example.gov/api\n"


@pytest.mark.parametrize(("extra", "expected"), [
    ("    headers:\n      Cookie: wzws_sid=1\n", r"field 'headers': .*Cookie must not be written in the sources file.*"
                                                  r"headers_from_env"),
    ("    headers:\n      Authorization: Bearer x\n", r"field 'headers': .*Authorization must not be written"),
    ("    headers:\n      User-Agent: x\n", r"field 'headers': .*use `user_agent:`"),
    ("    headers:\n      Host: other.example\n", r"field 'headers': .*set by rulewatch itself"),
    ("    headers:\n      'Bad Name': x\n", r"field 'headers': 'Bad Name' is not a header name"),
    ("    headers:\n      X-Token: \"a\\r\\nInjected: 1\"\n", r"field 'headers': .*line break or another control"),
    ("    headers_from_env:\n      Cookie: not a variable\n", r"field 'headers_from_env': .*not an environment variable"),
    ("    form:\n      a: 1\n", r"`form` is the body of a POST: set `method: post`"),
    ("    method: put\n", r"field 'method'"),
    ("    fetcher: browser\n    method: post\n", r"fetcher 'browser' cannot send method"),
    ("    fetcher: browser\n    headers_from_env:\n      Authorization: TOKEN\n",
     r"fetcher 'browser' cannot send headers_from_env"),
    ("    fetcher: browser\n    cookie_url: https://www.example.gov/\n", r"fetcher 'browser' cannot send cookie_url"),
    ("    cookie_url: ftp://www.example.gov/\n", r"field 'cookie_url'.*not an http\(s\) URL"),
    ("    link_pattern: \"jumpDetail(\"\n", r"field 'link_pattern'.*not a regular expression"),
    ("    link_pattern: jumpDetail\n", r"field 'link_pattern': .*needs a group"),
    ("    kind: json\n    link_pattern: \"id=(\\\\d+)\"\n", r"kind 'json' does not read link_pattern"),
])
def test_request_options_are_checked_with_the_entry_and_field_named(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=r"sources.yaml:2: entry 1 \('api'\): " + expected):
        load_sources(write(tmp_path, REQUEST_BASE + extra), TOPICS)


def test_request_options_make_the_request(tmp_path: Path) -> None:
    from rulewatch.core.errors import SourceMisconfigured

    extra = ("    method: post\n    form:\n      channelCode: A0937\n      perPage: 20\n"
             "    headers:\n      Referer: https://www.example.gov/list.html\n    user_agent: browser\n"
             "    headers_from_env:\n      Authorization: EXAMPLE_TOKEN\n    cookie_url: https://www.example.gov/list.html\n")
    (source,) = load_sources(write(tmp_path, REQUEST_BASE + extra), TOPICS)
    spec = source.request({"EXAMPLE_TOKEN": "Bearer t"})
    assert spec.method == "POST" and spec.body() == b"channelCode=A0937&perPage=20"
    assert spec.headers == (("Referer", "https://www.example.gov/list.html"),)
    assert spec.secret_headers == (("Authorization", "Bearer t"),)
    assert spec.cookies and spec.cookie_url == "https://www.example.gov/list.html"
    assert spec.for_links().method == "GET" and spec.for_links().body() is None
    with pytest.raises(SourceMisconfigured, match="EXAMPLE_TOKEN is not set"):
        source.request({})
    (plain,) = load_sources(write(tmp_path, REQUEST_BASE), TOPICS)
    assert plain.request({}).plain
    assert "s3cret" not in repr(source.request({"EXAMPLE_TOKEN": "s3cret"}).headers)
