"""Decoding: header charset, BOM, meta, detection; GBK labels read as GB18030; no mojibake."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulewatch.core.errors import ExtractError, Undecodable
from rulewatch.scrapers.encoding import decode

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


def test_json_is_utf8_whatever_html_it_embeds() -> None:
    """NFRA's detail API carries Word HTML with <meta charset=gb2312> inside a field: the answer is
    UTF-8 JSON, and reading it as GB18030 (which these bytes would allow) gives mojibake."""
    import json

    from rulewatch.scrapers.encoding import decode_json

    title = "关于银行业信息系统安全可控的通知"
    doc = {"data": {"docTitle": title, "docClob": '<html><head><meta charset="gb2312"></head><body><p>正文</p></body></html>'}}
    body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    assert body.decode("gb18030")  # the trap: a GB18030 decode does not fail on these bytes
    text, encoding = decode_json(body, "application/json")
    assert encoding == "utf-8" and json.loads(text)["data"]["docTitle"] == title


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"])
def test_json_in_utf16_and_utf32_by_bom_or_zero_bytes(codec: str) -> None:
    from rulewatch.scrapers.encoding import decode_json

    text, _ = decode_json(f'{{"title": "{CN}"}}'.encode(codec), "application/json")
    assert text.lstrip("\ufeff") == f'{{"title": "{CN}"}}'


def test_json_labelled_gbk_by_its_header_is_read_as_gbk() -> None:
    from rulewatch.scrapers.encoding import decode_json

    text, _ = decode_json(f'{{"title": "{CN}"}}'.encode("gbk"), "application/json; charset=GBK")
    assert CN in text


def test_json_that_is_not_utf8_is_undecodable() -> None:
    from rulewatch.scrapers.encoding import decode_json

    with pytest.raises(Undecodable) as caught:
        decode_json(f'{{"title": "{CN * 3}"}}'.encode("gbk"), "application/json")
    assert "not valid utf-8" in str(caught.value)


def test_garbage_in_the_declared_charset_is_undecodable_never_a_guessed_code_page() -> None:
    """A short page of bytes that are not UTF-8 anywhere, labelled UTF-8, replacing a rule page: no
    legacy code page may read it (it would alert 'Amended' with every article removed)."""
    noise = bytes((i * 37 + 11) % 128 + 128 for i in range(300))
    body = b'<html><head><meta charset="utf-8"><title>' + noise[:40] + b"</title></head><body><p>" + noise + b"</p></body></html>"
    for ctype in ("text/html", "text/html; charset=utf-8"):
        with pytest.raises(Undecodable) as caught:
            decode(body, ctype)
        assert "not valid utf-8" in str(caught.value)
