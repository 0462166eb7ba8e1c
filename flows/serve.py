"""`rulewatch serve`: the deployments of prefect.yaml, served from one process with `prefect.serve`.

For a user without a work pool. It cannot do what needs a server's automations: the event trigger
of deliver-alerts is replaced here by delivery at the end of each check and a 10-minute fallback.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from rulewatch.flows.check import catalog_check, check_sources, daily_digest, deadline_reminders, deliver_alerts
from rulewatch.schedules import DEFAULT_PREFECT_YAML, load_deployments


def _sync(deployment: Any) -> RunnerDeployment:
    assert isinstance(deployment, RunnerDeployment)  # to_deployment is synchronous outside an event loop
    return deployment


SERVE_PREFIX = "serve-"  # its own names: serving never replaces prefect.yaml's work-pool deployments
_FLOW_LIST = (check_sources, deliver_alerts, daily_digest, deadline_reminders, catalog_check)
# prefect.yaml names each flow by module (works from a clone and from an installed package); copies of
# prefect.yaml made before rulewatch installed as one namespace name them by file.
FLOWS: dict[str, Any] = {
    **{f"rulewatch.flows.check:{flow.fn.__name__}": flow for flow in _FLOW_LIST},
    **{f"flows/check.py:{flow.fn.__name__}": flow for flow in _FLOW_LIST},
}


def deployments(sources_file: str, timezone: str = "",
                prefect_yaml: str = DEFAULT_PREFECT_YAML) -> list[RunnerDeployment]:
    """prefect.yaml's deployments, as runner deployments named serve-NAME: the same flows, parameters and
    schedules (crons in `timezone`), except that checks deliver their alerts themselves (serve has no
    event triggers)."""
    served = []
    for declared in load_deployments(prefect_yaml):
        flow = FLOWS.get(declared.entrypoint)
        if flow is None:
            continue
        parameters = dict(declared.parameters)
        if flow is check_sources:
            parameters.update(sources_file=sources_file, deliver=True)
        elif flow is catalog_check:
            parameters.update(sources_file=sources_file)
        schedules = [Cron(s.cron, timezone=timezone or s.timezone) if s.cron else Interval(s.interval)
                     for s in declared.schedules]
        served.append(_sync(flow.to_deployment(name=SERVE_PREFIX + declared.name, schedules=schedules,
                                               parameters=parameters)))
    return served


def serve_all(sources_file: str = "sources.yaml", timezone: str = "") -> None:
    """Serve the schedules of prefect.yaml until interrupted. Prefect's runner stops gracefully on
    SIGTERM once it has started; a SIGTERM before that (while it registers the deployments) ends the
    process at once with status 0 instead of killing it."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_cleanly)
    serve(*deployments(sources_file, timezone))


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
