"""The reference tables, made from the registries: sources.yaml's fields (rulewatch.config.Source, whose
extraction options come from scrapers.extract.options), the environment variables (declared where they
are read: rulewatch.settings, the sinks, translation, the browser) and the sinks (alerts.sinks.SINKS).

`rulewatch reference` prints them, and `make docs` (`rulewatch reference --update docs/reference.md`)
writes them into the reference's generated sections; tests/rulewatch/test_reference.py fails when the two disagree, or
when the code reads a variable no registry declares.
"""

from __future__ import annotations

from collections.abc import Callable

from rulewatch.alerts import sinks, translate
from rulewatch.config import EXTRACT_FIELDS, REQUEST_FIELDS, Source, fetcher_options
from rulewatch.core.reference import Variable, markdown_table, with_section
from rulewatch.scrapers import browser
from rulewatch.scrapers.extract import EXTRACTORS
from rulewatch.services import slack_triage, users
from rulewatch.settings import VARIABLES as SETTINGS_VARIABLES


def variables() -> tuple[Variable, ...]:
    """Every environment variable rulewatch reads, in the reference's order: the runner's settings, the
    sinks', translation's, the browser's, the Slack app's."""
    found = [*SETTINGS_VARIABLES, *sinks.VARIABLES]
    for kind in sinks.SINKS:
        found += [v for v in kind.variables if v.name not in {seen.name for seen in found}]
    return (*found, *translate.VARIABLES, *browser.VARIABLES, *slack_triage.VARIABLES, *users.VARIABLES)


def _read_by(field: str) -> str:
    """Which extractors read an extraction option, or which fetchers honour a request option."""
    if field in EXTRACT_FIELDS:
        readers = [name for name, extractor in EXTRACTORS.items() if field in extractor.options]
        return f" (read by {', '.join(f'`{r}`' for r in readers)})"
    if field in REQUEST_FIELDS:
        fetchers = [name for name, options in fetcher_options().items() if field in options]
        return f" (fetchers: {', '.join(f'`{f}`' for f in fetchers)})"
    return ""


def source_fields_table() -> str:
    return markdown_table(("field", "meaning"), ((f"`{name}`", (info.description or "") + _read_by(name))
                                                  for name, info in Source.model_fields.items()))


def variables_table() -> str:
    return markdown_table(("variable", "default", "meaning"),
                          ((f"`{v.name}`", v.default, v.help) for v in variables()))


def sinks_table() -> str:
    rows = [(f"`{kind.name}`", kind.configured_by, kind.does) for kind in sinks.SINKS]
    rows.append((f"`{sinks.CONSOLE[0]}`", sinks.CONSOLE[1], sinks.CONSOLE[2]))
    return markdown_table(("sink", "configured by", "what it does"), rows)


# The reference's generated sections (docs/reference.md), by the name its markers give them.
SECTIONS: dict[str, Callable[[], str]] = {
    "source-fields": source_fields_table,
    "variables": variables_table,
    "sinks": sinks_table,
}


def updated(text: str) -> str:
    """A document (docs/reference.md) with every generated section rewritten from the registries."""
    for name, render in SECTIONS.items():
        text = with_section(text, name, render())
    return text
