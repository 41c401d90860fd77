"""Text bytes → str: byte-order marks, a declared charset, UTF-8, Windows-1252, Latin-1.

Shared by the plain-text, Markdown and HTML readers. A declared charset (an HTML page's
<meta charset>) is trusted only when the bytes decode cleanly in it and are not UTF-8 text
that a single-byte charset would turn into "Ã©"-style pairs; otherwise the usual guess is
used and a warning names both charsets.
"""
from __future__ import annotations

import codecs
import re

from extract.errors import CorruptFile

__all__ = ["decode"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Unicode category Cc except the usual whitespace: counted in C, not per character.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SHOWN = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


def decode(data: bytes, filename: str, declared: str | None = None,
           label: str | None = None) -> tuple[str, list[str]]:
    """Decode text bytes: BOM, then `declared` charset (`label`: its name as the file wrote
    it), then UTF-8, Windows-1252, Latin-1.

    Raises CorruptFile if the result is mostly control characters (a binary file).
    """
    text, warnings = _decode_guess(data, filename, declared, label or declared)
    controls = len(text) - len(_CONTROLS.sub("", text))
    if controls > 0.02 * len(text):
        raise CorruptFile(f"“{filename}” looks like a binary file, not text.")
    return text, warnings


def _decode_guess(data: bytes, filename: str, declared: str | None,
                  label: str | None) -> tuple[str, list[str]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), []
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), []
    if not declared:
        text, _, warnings = _fallback(data, filename)
        return text, warnings
    text = _strict(data, declared)
    if text is not None and not _utf8_misread(data, declared):
        return text, []
    # The declaration lies: mojibake or undecodable bytes. Read it as what it really is.
    text, used, warnings = _fallback(data, filename)
    if _codec(used) in (_codec(declared), _codec(label)):  # right charset, a few bad bytes
        return text, warnings
    return text, [f"The page declares charset {label} but is not {label}; "
                  f"read as {_SHOWN.get(used, used)}."]


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_misread(data: bytes, declared: str) -> bool:
    """True if `data` is UTF-8 with non-ASCII text but declared as another charset: read in a
    single-byte charset it would become "Ã©"-style pairs (real Windows-1252 text is
    practically never valid UTF-8 once it has accented letters)."""
    if _codec(declared) == "utf-8" or data.isascii():
        return False
    return _strict(data, "utf-8") is not None


def _fallback(data: bytes, filename: str) -> tuple[str, str, list[str]]:
    """UTF-8, mostly-UTF-8 with replacements, Windows-1252, Latin-1: (text, used, warnings)."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8", []
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    non_ascii = len(lenient) - len(lenient.encode("ascii", errors="ignore"))
    if non_ascii - bad >= 3 * bad:  # mostly valid UTF-8
        return lenient, "utf-8", [f"“{filename}” contains a few invalid characters; "
                                  "they were replaced."]
    text = _strict(data, "cp1252")
    if text is not None:
        return text, "cp1252", [f"“{filename}” is not UTF-8; it was read as Windows-1252."]
    return data.decode("latin-1"), "latin-1", [
        f"“{filename}” has an unknown text encoding; it was read as Latin-1 and some "
        "characters may be wrong."]


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
