"""Text bytes → str: byte-order marks, a declared charset, UTF-8, Windows-1252, Latin-1.

Shared by the plain-text, Markdown and HTML readers.
"""
from __future__ import annotations

import codecs
import contextlib
import unicodedata

from extract.errors import CorruptFile

__all__ = ["decode"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode(data: bytes, filename: str, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode text bytes: BOM, then `declared` charset, then UTF-8, Windows-1252, Latin-1.

    Raises CorruptFile if the result is mostly control characters (a binary file).
    """
    text, warnings = _decode_guess(data, filename, declared)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > 0.02 * len(text):
        raise CorruptFile(f"“{filename}” looks like a binary file, not text.")
    return text, warnings


def _decode_guess(data: bytes, filename: str, declared: str | None) -> tuple[str, list[str]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), []
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), []
    if declared:
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return data.decode(declared), []
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if sum(1 for ch in lenient if ord(ch) > 127) - bad >= 3 * bad:  # mostly valid UTF-8
        return lenient, [f"“{filename}” contains a few invalid characters; they were replaced."]
    try:
        return data.decode("cp1252"), [f"“{filename}” is not UTF-8; it was read as Windows-1252."]
    except UnicodeDecodeError:
        return data.decode("latin-1"), [f"“{filename}” has an unknown text encoding; "
                                        "it was read as Latin-1 and some characters may be wrong."]


def _utf16_without_bom(data: bytes) -> str | None:
    """Spot BOM-less UTF-16 by its NUL bytes: every other byte of ASCII text is zero."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None
