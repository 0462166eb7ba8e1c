"""`rulewatch serve`: the deployments of prefect.yaml, served from one process with `prefect.serve`.

For a user without a work pool. It cannot do what needs a server's automations: the event trigger
of deliver-alerts is replaced here by delivery at the end of each check and a 10-minute fallback.
"""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.check import check_sources, daily_digest, deliver_alerts

DELIVERY_FALLBACK_SECONDS = 600


def _sync(deployment: Any) -> RunnerDeployment:
    assert isinstance(deployment, RunnerDeployment)  # to_deployment is synchronous outside an event loop
    return deployment


def deployments(sources_file: str, timezone: str) -> list[RunnerDeployment]:
    """The same schedules as prefect.yaml, as runner deployments."""
    return [
        _sync(check_sources.to_deployment(
            name="hourly", schedules=[Cron("0 * * * *", timezone=timezone)],
            parameters={"sources_file": sources_file, "group": "regulators"},
        )),
        _sync(check_sources.to_deployment(
            name="news", schedules=[Cron("*/15 * * * *", timezone=timezone)],
            parameters={"sources_file": sources_file, "group": "news"},
        )),
        _sync(deliver_alerts.to_deployment(name="on-change", schedules=[Interval(DELIVERY_FALLBACK_SECONDS)])),
        _sync(daily_digest.to_deployment(name="daily", schedules=[Cron("0 8 * * *", timezone=timezone)])),
    ]


def serve_all(sources_file: str = "sources.yaml", timezone: str = "Asia/Shanghai") -> None:
    """Serve the schedules of prefect.yaml until interrupted."""
    serve(*deployments(sources_file, timezone))
