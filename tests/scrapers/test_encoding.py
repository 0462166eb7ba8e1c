"""Decoding: header charset, BOM, meta, detection; GBK labels read as GB18030; no mojibake."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ExtractError, Undecodable
from scrapers.encoding import decode

CN = "关于规范银行业金融机构信息技术产品源代码备案的通知：安全可控、镕"  # 镕 is GBK but not GB2312


def html(charset_meta: str, text: str = CN) -> str:
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset_meta}"></head><body><p>{text}</p></body></html>'


def test_gbk_page_labelled_gb2312_without_header_decodes_as_gb18030() -> None:
    body = html("gb2312").encode("gbk")
    text, encoding = decode(body, "text/html")
    assert CN in text and encoding == "gb18030"


def test_header_charset_wins() -> None:
    body = f"<p>{CN}</p>".encode("gb18030")
    text, encoding = decode(body, "text/html; charset=GBK")
    assert CN in text and "\ufffd" not in text


def test_html5_meta_charset() -> None:
    body = f'<meta charset="gbk"><p>{CN}</p>'.encode("gbk")
    assert CN in decode(body, "")[0]


def test_bom_utf8() -> None:
    text, _ = decode(codecs.BOM_UTF8 + f"<p>{CN}</p>".encode(), "")
    assert text.startswith("<p>") and CN in text


def test_undeclared_gbk_is_detected() -> None:
    body = ("<html><body>" + "".join(f"<p>{CN}{i}</p>" for i in range(20)) + "</body></html>").encode("gbk")
    text, _ = decode(body, "text/html")
    assert CN in text and "\ufffd" not in text


def test_wrong_declared_charset_falls_back_to_a_clean_decoding() -> None:
    body = html("utf-8").encode("gbk")  # a page that lies about its charset
    text, _ = decode(body, "")
    assert CN in text


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=400), st.sampled_from(["", "text/html; charset=utf-8", "text/html; charset=gbk"]))
def test_decoded_text_never_carries_more_than_a_trace_of_replacement_characters(body: bytes, ctype: str) -> None:
    try:
        text, _ = decode(body, ctype)
    except ExtractError:
        return
    assert text.count("\ufffd") <= max(1, int(len(text) * 0.001))


def test_stray_windows_1252_bytes_keep_a_utf8_page_utf8() -> None:
    """One curly quote pasted from Word must not switch the whole page to a guessed code page."""
    body = html("utf-8", f"The {CN} rule \u2014 effective now.").encode("utf-8").replace(b"The ", b"The \x93")
    body = body.replace(b" rule", b"\x94 rule")
    text, encoding = decode(body, "text/html; charset=utf-8")
    assert encoding == "utf-8" and f"The \u201c{CN}\u201d rule \u2014 effective now." in text


def test_damaged_utf8_is_undecodable_not_a_guess() -> None:
    """Broken multi-byte sequences inside CJK text: the body is damaged, never read as another code page."""
    good = html("utf-8", CN * 6).encode("utf-8")
    cut = good.index(CN.encode("utf-8")) + 10
    for damaged in (good[:cut] + good[cut + 1 :], good[:cut] + b"\xff\xfe" + good[cut:]):
        with pytest.raises(Undecodable) as caught:
            decode(damaged, "text/html")
        assert caught.value.reason == "undecodable" and "not valid utf-8" in str(caught.value)
