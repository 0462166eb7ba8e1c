"""The Slack app's fixtures (tests/slackdesk.py): a delivered alert and the app serving its clicks."""

from slackdesk import desk, slack  # noqa: F401 - fixtures
