"""The `prefect` plugin of the CLI (registered as an entry point in pyproject.toml): what `rulewatch run
--prefect`, `rulewatch serve` and `rulewatch worker` run. The CLI finds it by name and never imports flows/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rulewatch.flows.serve import serve_all
from rulewatch.flows.worker import run_worker

__all__ = ["FlowRun", "run_check", "run_worker", "serve_all"]


@dataclass(frozen=True)
class FlowRun:
    """How a flow run ended: its result (None when the flow itself crashed), and in words why it failed."""

    result: dict[str, Any] | None
    failed: bool
    message: str
    state: str


def run_check(sources_file: str, only: list[str], deliver: bool, partition: str | None) -> FlowRun:
    """One check cycle as a Prefect flow run (shown in the Prefect UI)."""
    from rulewatch.flows.check import RunFailed, check_sources

    state = check_sources(sources_file=sources_file, only=only, deliver=deliver, partition=partition,
                          return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, RunFailed):  # ended Failed with something to report: its result is kept inside
        result = result.result
    if not isinstance(result, dict):  # the flow itself crashed: its exception is the result
        return FlowRun(None, True, str(state.message or result), state.name or "")
    return FlowRun(result, state.is_failed(), str(state.message or ""), state.name or "")
