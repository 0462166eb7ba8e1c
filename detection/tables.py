"""Reading detection's YAML tables: the bundled ones (topics, glossary, severity weights) and the
user's files that extend them (RULEWATCH_TOPICS, RULEWATCH_GLOSSARY, RULEWATCH_SEVERITY)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from core.errors import TaxonomyError

# libyaml where PyYAML was built with it: the bundled glossary took 26 ms to parse in pure Python, on
# every cycle. Both loaders are safe loaders and parse the same YAML.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> object:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def bundled_table(name: str) -> object:
    """A table shipped in the detection package (`topics.yaml`), parsed."""
    return _parse(resources.files("detection").joinpath(name).read_text(encoding="utf-8"))


def user_table(path: Path, what: str) -> object:
    """A user's table, parsed; an unreadable file or bad YAML is a TaxonomyError naming the file."""
    try:
        return _parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path}: cannot read {what}: {exc}") from exc
