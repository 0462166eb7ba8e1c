"""Settings from the environment: every unusable value is refused at start, naming its variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rulewatch.core.errors import SettingsError
from rulewatch.settings import MIN_DELIVERY_LEASE, Settings


@pytest.mark.parametrize("variable, value, says", [
    ("RULEWATCH_DELIVERY_LEASE", "0", "must be at least 60"),  # two senders would post every alert twice
    ("RULEWATCH_DELIVERY_LEASE", "inf", "not a finite number"),
    ("RULEWATCH_HOST_DELAY", "nan", "not a finite number"),
    ("RULEWATCH_HOST_DELAY", "1e9", "must be at most 600"),
    ("RULEWATCH_HOST_CONCURRENCY", "100000000", "must be at most 64"),  # it hung at start-up
    ("RULEWATCH_WORKERS", "99999", "must be at most 256"),
    ("RULEWATCH_WORKERS", "-1", "must not be negative"),
    ("RULEWATCH_TIMEZONE", "Mars/Olympus", "not a time zone"),
])
def test_unusable_values_are_refused(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable}=.*{says}"):
        Settings.from_env({variable: value})


def test_sensible_values_pass() -> None:
    settings = Settings.from_env({"RULEWATCH_DELIVERY_LEASE": str(MIN_DELIVERY_LEASE), "RULEWATCH_HOST_CONCURRENCY": "64"})
    assert settings.delivery_lease == MIN_DELIVERY_LEASE and settings.host_policy.concurrency == 64


def test_a_token_with_a_line_break_is_refused_without_showing_it() -> None:
    from rulewatch.alerts.sinks import make_sinks

    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN holds a space") as caught:
        make_sinks({"SLACK_BOT_TOKEN": "xoxb-test-token-123\nX", "SLACK_CHANNEL": "C1"})
    assert "xoxb" not in str(caught.value)


def test_the_teams_time_zone_and_explanation_files() -> None:
    settings = Settings.from_env({"RULEWATCH_TIMEZONE": "Asia/Shanghai", "RULEWATCH_GLOSSARY": "/g.yaml",
                                  "RULEWATCH_SEVERITY": "/s.yaml"})
    assert str(settings.timezone) == "Asia/Shanghai"
    assert (str(settings.glossary_file), str(settings.severity_file)) == ("/g.yaml", "/s.yaml")
    assert Settings.from_env({}).glossary_file is None


@pytest.mark.parametrize(("given", "used"), [
    ("postgres://app:pw@db.example:5432/rw", "postgresql+psycopg://app:pw@db.example:5432/rw"),
    ("postgresql://app@db.example/rw?sslmode=require", "postgresql+psycopg://app@db.example/rw?sslmode=require"),
    ("postgresql+psycopg2://app@db/rw", "postgresql+psycopg://app@db/rw"),
    ("postgresql+psycopg://app@db/rw", "postgresql+psycopg://app@db/rw"),
    ("sqlite:////var/lib/rulewatch/rw.db", "sqlite:////var/lib/rulewatch/rw.db"),
])
def test_the_database_url_forms_hosted_postgresql_hands_out_are_accepted(given: str, used: str) -> None:
    assert Settings.from_env({"RULEWATCH_DATABASE_URL": given}).database_url == used


def test_a_database_rulewatch_does_not_speak_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="RULEWATCH_DATABASE_URL: 'mysql' is not a database rulewatch speaks"):
        Settings.from_env({"RULEWATCH_DATABASE_URL": "mysql://u@h/db"})


@pytest.mark.parametrize(("env", "says"), [
    ({"RULEWATCH_DELIVERY_LEASE": "1e308"}, "RULEWATCH_DELIVERY_LEASE='1e308' must be at most 86400"),
    ({"RULEWATCH_CONTACT_URL": "https://x.example\nInjected: 1"}, "RULEWATCH_CONTACT_URL must be one URL"),
    ({"RULEWATCH_CONTACT_URL": "https://例子.example"}, "RULEWATCH_CONTACT_URL must be one URL"),
])
def test_settings_that_would_break_later_are_refused_at_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(says)):
        Settings.from_env(env)


def test_a_home_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="RULEWATCH_HOME=.*cannot create it"):
        Settings.from_env({"RULEWATCH_HOME": str(blocker / "home")}).ensure_home()


def test_a_slack_token_with_a_look_alike_letter_is_refused_without_showing_it() -> None:
    from rulewatch.alerts.slack import slack_token

    with pytest.raises(SettingsError, match="not ASCII") as refused:
        slack_token({"SLACK_BOT_TOKEN": "xoxb-t\u0435st-123"})  # a Cyrillic е
    assert "xoxb" not in str(refused.value)
