"""Which deployment checks which source, and when: read from prefect.yaml, the one place schedules are
declared (`rulewatch serve` serves the same ones). A source is checked by every `check-sources`
deployment whose `groups` (or `group`) names its group, or that names none (it checks them all); a
source that no deployment covers is never checked, and `rulewatch sources` and `rulewatch run
--check-schedules` say so."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rulewatch.config import Source
from rulewatch.core.errors import ConfigError

# By module (prefect.yaml's form), or by file as copies of prefect.yaml from before one namespace do.
CHECK_ENTRYPOINTS = ("rulewatch.flows.check:check_sources", "flows/check.py:check_sources")
DEFAULT_PREFECT_YAML = "prefect.yaml"


@dataclass(frozen=True, slots=True)
class Schedule:
    """One schedule of a deployment: a cron line in a timezone, or an interval."""

    cron: str = ""
    timezone: str = ""
    interval: float = 0.0

    def describe(self) -> str:
        if self.cron:
            return f"cron {self.cron!r} ({self.timezone or 'UTC'})"
        return f"every {self.interval / 60:g} min"


@dataclass(frozen=True, slots=True)
class Deployment:
    """A deployment of prefect.yaml, as far as scheduling goes."""

    name: str
    entrypoint: str
    parameters: dict[str, Any]
    schedules: tuple[Schedule, ...]

    @property
    def checks(self) -> bool:
        return self.entrypoint in CHECK_ENTRYPOINTS

    @property
    def groups(self) -> tuple[str, ...] | None:
        """The groups it checks; None: every group."""
        groups = self.parameters.get("groups")
        if groups is None and self.parameters.get("group") is not None:
            groups = [self.parameters["group"]]
        return None if groups is None else tuple(str(g) for g in groups)

    def covers(self, source: Source) -> bool:
        return self.checks and (self.groups is None or source.group in self.groups)


def load_deployments(path: str | Path = DEFAULT_PREFECT_YAML) -> list[Deployment]:
    """The deployments prefect.yaml declares. ConfigError names the file when it cannot be read."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the deployments: {exc}") from exc
    found = []
    for entry in (data or {}).get("deployments") or []:
        schedules = tuple(Schedule(cron=str(s.get("cron", "")), timezone=str(s.get("timezone", "")),
                                   interval=float(s.get("interval", 0) or 0))
                          for s in entry.get("schedules") or [] if s.get("active", True))
        found.append(Deployment(str(entry.get("name", "")), str(entry.get("entrypoint", "")),
                                dict(entry.get("parameters") or {}), schedules))
    return found


def coverage(sources: list[Source], deployments: list[Deployment]) -> dict[str, list[Deployment]]:
    """Source name -> the scheduled deployments that check it (empty: nothing checks it)."""
    return {s.name: [d for d in deployments if d.covers(s) and d.schedules] for s in sources}


def describe(deployments: list[Deployment]) -> str:
    """What checks a source, for `rulewatch sources`: "hourly: cron '0 * * * *' (Asia/Shanghai)"."""
    if not deployments:
        return "NOT SCHEDULED: no deployment in prefect.yaml checks its group"
    return "; ".join(f"{d.name}: {', '.join(s.describe() for s in d.schedules)}" for d in deployments)
