"""Text a reader cannot see: never a change, never hiding a keyword, never reordering a message."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("hidden", ["\u2066", "\ufe0f", "\u3164", "\U000e0041", "\u180e", "\u034f", "\u061c",
                                    "\u2069", "\u0085"])
def test_every_default_ignorable_character_is_invisible(hidden: str) -> None:
    from rulewatch.core.text import strip_invisible

    assert strip_invisible(f"网络{hidden}安全审查") == "网络安全审查"


def test_an_rtl_override_never_reaches_a_message() -> None:
    from rulewatch.alerts.message import Span

    assert Span("第四条 应当在\u202e时小两\u202c内报告").text == "第四条 应当在时小两内报告"
