"""A fetched page's bytes into text: the declared charset, checked against the bytes.

:func:`decode_html` decodes the way Scrapy does (HTTP charset, BOM, ``<meta>``
charset, then detection); :func:`decode_html_checked` also says when the
page's charset needed help, which the extraction pipeline counts
(``extract/charset/*``).  docs/cleaning.md ("Encodings") describes the
behaviour; tests/test_encodings.py checks it on Arabic pages.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding


def decode_html(body: bytes, content_type: str | None = None, encoding: str | None = None) -> str:
    """Decode an HTML body the way Scrapy does (HTTP charset, BOM, <meta> charset, then guesses).

    ``encoding`` is the encoding Scrapy already chose for the response, if any.
    A declared charset that does not fit the bytes is corrected
    (:func:`decode_html_checked`).
    """
    return decode_html_checked(body, content_type, encoding)[0]


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def decode_html_checked(body: bytes, content_type: str | None = None, encoding: str | None = None) -> tuple[str, str | None]:
    """``(text, fix)``: the decoded HTML and, when the page's charset needed help, ``"kind: detail"``.

    ``kind`` is ``undeclared`` (no charset in the header, no BOM, no <meta>:
    detected from the bytes), ``mislabelled`` (the declared charset does not
    fit the bytes) or ``bom`` (a UTF-8 BOM overrides another declared charset,
    as WHATWG says).  Two mislabellings are corrected, both common on the
    Arabic web:

    * declared UTF-8 but not valid UTF-8 (e.g. windows-1256 bytes): the
      charset is detected from the bytes (charset_normalizer);
    * declared a single-byte charset (windows-1256, ISO-8859-x, ...) but the
      bytes are valid UTF-8 with multi-byte sequences, which legacy text
      practically never is: UTF-8.
    """
    header = _codec(http_content_type_encoding(content_type)) if content_type else None
    if body.startswith(b"\xef\xbb\xbf"):
        text = body[3:].decode("utf-8", errors="replace")
        return text, None if header in (None, "utf-8") else f"bom: {header} in the header, UTF-8 BOM in the body -> utf-8"
    eight_bit = not body[:65536].isascii()
    labelled = bool(header or _codec(html_body_declared_encoding(body[:4096])))
    undeclared = eight_bit and not labelled  # only bytes >= 0x80 make a missing declaration matter
    if not encoding or _codec(encoding) is None:
        enc, text = html_to_unicode(content_type, body)
        return text.lstrip("\ufeff"), f"undeclared: detected {_codec(enc) or enc}" if undeclared else None
    declared = _codec(encoding) or encoding
    if declared == "utf-8":
        try:
            return body.decode("utf-8").lstrip("\ufeff"), None
        except UnicodeDecodeError:
            pass
        text = body.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > max(8, len(text) // 1000):
            best = from_bytes(body, cp_exclusion=["utf_8"]).best()
            if best is not None and best.encoding:
                used = _codec(best.encoding) or best.encoding
                return str(best), f"mislabelled: declared utf-8, {bad} invalid sequences -> {used}"
        return text.lstrip("\ufeff"), None
    if eight_bit and not declared.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return text, f"mislabelled: declared {declared}, bytes are UTF-8 -> utf-8" if labelled else "undeclared: detected utf-8"
    try:
        text = body.decode(declared, errors="replace").lstrip("\ufeff")
    except LookupError:
        _, text = html_to_unicode(content_type, body)
        return text.lstrip("\ufeff"), None
    return text, f"undeclared: detected {declared}" if undeclared else None
