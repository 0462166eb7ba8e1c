"""Reading detection's YAML tables: the bundled ones (topics, glossary, severity weights) and the
user's files that extend them (RULEWATCH_TOPICS, RULEWATCH_GLOSSARY, RULEWATCH_SEVERITY)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from rulewatch.core.errors import TaxonomyError

# libyaml where PyYAML was built with it: the bundled glossary took 26 ms to parse in pure Python, on
# every cycle. Both loaders are safe loaders and parse the same YAML.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> object:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def bundled_table(name: str) -> object:
    """A table shipped in the detection package (`topics.yaml`), parsed."""
    return _parse(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def user_table(path: Path, what: str) -> object:
    """A user's table, parsed; an unreadable file, one that is not UTF-8 (UTF-16 with its byte-order mark
    is read too) or bad YAML is a TaxonomyError naming the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        text = raw.decode("utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(f"{path}: cannot read {what}: it is not UTF-8 text (byte {exc.start}); save it as "
                            "UTF-8 (an editor's 'Save with encoding', or iconv -f GBK -t UTF-8)") from exc
    try:
        return _parse(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: cannot read {what}: {exc}") from exc
