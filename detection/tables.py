"""Reading detection's YAML tables: the bundled ones (topics, glossary, severity weights) and the
user's files that extend them (RULEWATCH_TOPICS, RULEWATCH_GLOSSARY, RULEWATCH_SEVERITY)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from core.errors import TaxonomyError


def bundled_table(name: str) -> object:
    """A table shipped in the detection package (`topics.yaml`), parsed."""
    return yaml.safe_load(resources.files("detection").joinpath(name).read_text(encoding="utf-8"))


def user_table(path: Path, what: str) -> object:
    """A user's table, parsed; an unreadable file or bad YAML is a TaxonomyError naming the file."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path}: cannot read {what}: {exc}") from exc
