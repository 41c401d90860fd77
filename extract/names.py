"""Vendor names as one canonical string, so two names that look identical are one vendor."""
from __future__ import annotations

import unicodedata

__all__ = ["clean_vendor_name"]

# Unicode categories that draw nothing: Cf (zero-width space/joiners, bidi controls, soft hyphen,
# BOM, word joiner, tags...), Cc (controls), Cs (lone surrogates).
_INVISIBLE = frozenset({"Cf", "Cc", "Cs"})
# Default-ignorable code points of other categories (fillers, variation selectors, the combining
# grapheme joiner): also drawn as nothing.
_IGNORABLE = frozenset(chr(c) for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C,
                                        0x180D, 0x180F, 0x3164, 0xFFA0,
                                        *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)))


def clean_vendor_name(name: object) -> str:
    """A vendor name in NFC with invisible characters removed and whitespace collapsed.

    "Acme\u200b Cloud", "Acme Cloud\u202e" and a decomposed "Café" become the same name as the
    one typed plainly; line breaks and tabs count as spaces. May return "" (the caller decides
    the fallback).
    """
    text = unicodedata.normalize("NFC", "" if name is None else str(name))
    text = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or (unicodedata.category(ch) not in _INVISIBLE
                                       and ch not in _IGNORABLE))
    # Removing a combining-mark carrier can leave a new composable pair: normalise again.
    return " ".join(unicodedata.normalize("NFC", text).split())
