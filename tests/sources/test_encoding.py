from __future__ import annotations

from monitor.sources.encoding import decode

TEXT = "商务部关于对镓、锗相关物项实施出口管制的公告"


def test_declared_gb2312_uses_gb18030() -> None:
    body = f'<?xml version="1.0" encoding="gb2312"?><t>{TEXT}</t>'.encode("gb18030")
    d = decode(body, "application/xml")
    assert TEXT in d.text and d.warnings == []


def test_gb2312_body_declared_utf8_by_http() -> None:
    body = f'<?xml version="1.0" encoding="gb2312"?><t>{TEXT}</t>'.encode("gb2312")
    d = decode(body, "text/xml; charset=UTF-8")
    assert TEXT in d.text
    assert d.warnings == ["GB18030 body declared as UTF-8 by the HTTP header: decoded with the "
                          "document's declaration"]


def test_gb2312_body_declared_utf8_without_other_hint() -> None:
    body = ("<t>" + TEXT * 5 + "</t>").encode("gb2312")
    d = decode(body, "text/xml; charset=utf-8")
    assert TEXT in d.text
    assert "declared as UTF-8" in d.warnings[0] and "fallback" in d.warnings[0]


def test_utf8_body_declared_latin1() -> None:
    body = "<t>Ação e exportação</t>".encode()
    d = decode(body, "text/html; charset=ISO-8859-1")
    assert "Ação" in d.text and "UTF-8 body declared as CP1252" in d.warnings[0]


def test_big5_shift_jis_cp1252_undeclared() -> None:
    for text, codec in [("出口管制條例", "big5"), ("輸出管理の強化について", "shift_jis"),
                        ("Exportação – “controle”", "cp1252")]:
        d = decode(("<p>" + text * 4 + "</p>").encode(codec), None)
        assert text in d.text, (codec, d.encoding)


def test_bom_wins_and_bad_bytes_are_replaced() -> None:
    assert decode("\ufeffhé".encode("utf-16-le") if False else b"\xef\xbb\xbfh\xc3\xa9").text \
        == "hé"
    d = decode(b"\xff\xfeh\x00\x00\xd8", None)
    assert d.text.startswith("h") and d.warnings


def test_unknown_charset_label() -> None:
    d = decode(b"<t>plain</t>", "text/xml; charset=bogus-8")
    assert d.text == "<t>plain</t>" and "unknown charset" in d.warnings[0]


def _zh_feed(stray: bytes = b"\xa9") -> bytes:
    entries = "".join(f"<item><title>{TEXT}（第{i}号）</title></item>" for i in range(20))
    body = f'<?xml version="1.0" encoding="utf-8"?><rss>{entries}</rss>'.encode()
    cut = body.index(b"</item>", len(body) // 2)
    return body[:cut] + b"ok" + stray + body[cut:]  # one stray byte in an unrelated entry


def test_one_stray_byte_in_utf8_costs_one_character_not_the_feed() -> None:
    body = _zh_feed()
    for content_type in ("text/xml; charset=utf-8", "text/xml", "text/xml; charset=iso-8859-1"):
        d = decode(body, content_type)
        assert d.encoding == "utf-8", content_type
        assert d.text.count(TEXT) == 20 and d.text.count("\ufffd") == 1
        (warning,) = [w for w in d.warnings if "invalid UTF-8" in w]
        assert f"byte offset {body.index(b'ok' + bytes([0xa9])) + 2}" in warning


def test_legacy_bodies_are_not_mistaken_for_mostly_utf8() -> None:
    for text, codec in [(TEXT * 4, "gb18030"), ("Exportação e licença " * 4, "cp1252")]:
        d = decode(("<p>" + text + "</p>").encode(codec), "text/html; charset=utf-8")
        assert text in d.text and d.encoding != "utf-8", codec
