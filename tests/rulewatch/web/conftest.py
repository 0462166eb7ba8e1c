"""The web workspace's fixtures (tests/webdesk.py)."""

from webdesk import site  # noqa: F401 - a fixture
