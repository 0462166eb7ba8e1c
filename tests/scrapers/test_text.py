"""The text helpers' fast forms give exactly what their slow definitions give."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.text import nfkc, squash

# Characters where the fast paths could go wrong: every kind of whitespace, full-width forms, combining
# marks that compose with what full-width letters become, half-width kana, ligatures, Hangul jamo.
TRICKY = st.sampled_from(
    [chr(c) for c in range(0x110000) if chr(c).isspace()]
    + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + list("aeiouAZ09 ,.中文规定，。（）《》")
    + ["\u0301", "\u0308", "\u3099", "\u309a", "\uff9e", "\uff9f", "\u30ab", "\uff76", "\u2460", "\ufb01",
       "\u1100", "\u1161", "\uac00", "\u200b", "\ufeff", "\u3000", "\xa0"]
)
TEXT = st.lists(TRICKY, max_size=40).map("".join) | st.text(max_size=40)


@settings(max_examples=3000)
@given(TEXT)
def test_squash_collapses_exactly_the_whitespace_that_regex_s_matches(text: str) -> None:
    assert squash(text) == re.sub(r"\s+", " ", text).strip()


@settings(max_examples=3000)
@given(TEXT)
def test_nfkc_is_unicode_nfkc(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)
