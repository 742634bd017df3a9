"""Bytes -> text with the charset the publisher meant, and a note when they lied.

Order: BOM, then the HTTP charset, then the document's own declaration (XML
declaration or HTML <meta>), then UTF-8, then detection.  Legacy labels are
read as their WHATWG supersets (GB2312 -> GB18030, Shift_JIS -> CP932,
ISO-8859-1 -> cp1252, ...) because that is what publishers' tools actually
emit; a Shift_JIS feed with one CP932 "～" is otherwise undecodable.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "chinese": "gb18030", "csgb2312": "gb18030", "euc-cn": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "x-x-big5": "big5hkscs", "cp950": "big5hkscs",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "windows-31j": "cp932", "csshiftjis": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254",
    "tis-620": "cp874", "iso-8859-11": "cp874",
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_META = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.I
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.I)
_SINGLE_BYTE = {"cp1252", "cp1254", "cp874", "iso8859-2", "cp1251", "cp1250", "koi8-r",
                "iso8859-15", "cp1255", "cp1256", "iso8859-5", "iso8859-7", "cp1253"}
DETECT_BYTES = 256 * 1024
# "Mostly UTF-8": a stray byte or two among real multi-byte text.  One bad byte
# must cost one character (U+FFFD), not turn the whole feed into mojibake.
MAX_BAD_SEQUENCES = 16
MULTIBYTE_PER_BAD = 8  # at least this many multi-byte characters per bad sequence


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def codec_for(label: str | None) -> str | None:
    """Python codec name for a charset label (superset applied); None if unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _SUPERSETS.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HTTP_CHARSET.search(content_type)
    return m.group(1) if m else None


def document_charset(body: bytes) -> str | None:
    """The charset the document declares about itself (XML declaration or <meta>)."""
    head = body[:2048]
    m = _XML_DECL.match(head)
    if m:
        return m.group(1).decode("ascii")
    m = _META.search(head)
    return m.group(1).decode("ascii") if m else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_utf8(body: bytes) -> bool:
    """Valid UTF-8 with multi-byte sequences: almost never an accident."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class _Mostly:
    text: str
    bad: list[int]  # byte offsets of the invalid sequences


def _mostly_utf8(body: bytes) -> _Mostly | None:
    """Decode as UTF-8 replacing bad sequences, if the body is UTF-8 with a few stray bytes.

    A legacy-encoded body (GB18030, CP1252 with accents) fails at nearly every
    non-ASCII character and has almost no valid multi-byte sequences, so it is
    rejected here and goes on to detection.
    """
    parts: list[str] = []
    bad: list[int] = []
    pos = 0
    while True:
        try:
            parts.append(body[pos:].decode("utf-8"))
            break
        except UnicodeDecodeError as e:
            bad.append(pos + e.start)
            if len(bad) > MAX_BAD_SEQUENCES:
                return None
            parts.append(body[pos:pos + e.start].decode("utf-8"))
            parts.append("\ufffd")
            pos += e.end
    text = "".join(parts)
    multibyte = sum(1 for c in text if c > "\x7f" and c != "\ufffd")
    if not bad or multibyte < MULTIBYTE_PER_BAD * len(bad):
        return None
    return _Mostly(text, bad)


def _mostly_warning(m: _Mostly, declared: str | None) -> str:
    where = ", ".join(str(b) for b in m.bad[:5]) + (" …" if len(m.bad) > 5 else "")
    said = f" (declared {declared})" if declared else ""
    return (f"{len(m.bad)} invalid UTF-8 sequence(s) at byte offset {where}{said}: "
            "replaced with U+FFFD, the rest decoded as UTF-8")


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes  # start-up time (~50 ms): rarely needed

    matches = from_bytes(body[:DETECT_BYTES])
    best = matches.best()
    if best is None:
        return None
    # Among equally clean single-byte guesses, cp1252 is by far the likeliest on the
    # web; the detector's language model otherwise picks cp1257 for Portuguese.
    for m in matches:
        if "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.01:
            return "cp1252"
    return codec_for(best.encoding)


def _label(codec: str) -> str:
    """Human name for warnings: 'gb18030' reads better as GB18030."""
    return codec.upper().replace("_", "-")


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a response body; never raises, notes every guess in `warnings`."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = _strict(body[len(bom):], codec)
            if text is not None:
                return Decoded(text, codec)
            return Decoded(body[len(bom):].decode(codec, "replace"), codec,
                           [f"invalid {_label(codec)} bytes after the byte-order mark: "
                            "replaced with U+FFFD"])

    warnings: list[str] = []
    declared: list[tuple[str, str]] = []  # (who declared it, codec)
    for who, label in (("HTTP header", http_charset(content_type)),
                       ("document", document_charset(body))):
        if label is None:
            continue
        found = codec_for(label)
        if found is None:
            warnings.append(f"unknown charset {label!r} declared by the {who}: ignored")
        elif found not in (c for _, c in declared):
            declared.append((who, found))

    for i, (who, codec) in enumerate(declared):
        if codec in _SINGLE_BYTE and _looks_utf8(body):
            # A single-byte codec decodes anything, so strictness cannot catch a lie;
            # valid multi-byte UTF-8 is the tell.
            warnings.append(f"UTF-8 body declared as {_label(codec)} by the {who}: "
                            "decoded as UTF-8")
            return Decoded(body.decode("utf-8"), "utf-8", warnings)
        if codec in _SINGLE_BYTE and not body.isascii() and (m := _mostly_utf8(body)):
            warnings.append(_mostly_warning(m, f"{_label(codec)} by the {who}"))
            return Decoded(m.text, "utf-8", warnings)
        text = _strict(body, codec)
        if text is not None:
            if i > 0:
                first_who, first = declared[0]
                warnings.append(f"{_label(codec)} body declared as {_label(first)} by the "
                                f"{first_who}: decoded with the {who}'s declaration")
            return Decoded(text, codec, warnings)

    text = _strict(body, "utf-8")
    if text is not None:
        if declared:
            warnings.append(f"UTF-8 body declared as {_label(declared[0][1])} by the "
                            f"{declared[0][0]}: decoded as UTF-8")
        return Decoded(text, "utf-8", warnings)

    mostly = _mostly_utf8(body)
    if mostly is not None:
        claim = f"{_label(declared[0][1])} by the {declared[0][0]}" if declared else None
        warnings.append(_mostly_warning(mostly, claim))
        return Decoded(mostly.text, "utf-8", warnings)

    guess = _detect(body) or "cp1252"
    if declared:
        warnings.append(f"{_label(guess)} body declared as {_label(declared[0][1])} by the "
                        f"{declared[0][0]}: decoded with fallback (detected {_label(guess)})")
    else:
        warnings.append(f"no charset declared and not UTF-8: decoded as detected "
                        f"{_label(guess)}")
    text = body.decode(guess, "replace")
    return Decoded(text, guess, warnings)
