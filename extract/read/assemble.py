"""What a format reader returns (`Text`), and its assembly into a `Document`.

Page texts are joined by a blank line, each `Page` keeps its span of the text; a document
without letters or over the character limit is refused; a non-English text gets a warning.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from extract.errors import FileTooLarge, NoPolicyText
from extract.model import Document, Page

from .limits import current, too_many_chars

__all__ = ["Text", "document", "NOT_ENGLISH_WARNING", "looks_english"]

NOT_ENGLISH_WARNING = "The text does not look English; facts may be missed."


@dataclass
class Text:
    """What a format reader hands back: the text of each page and any warnings."""

    pages: list[str]
    warnings: list[str] = field(default_factory=list)
    ocr: dict[int, float] = field(default_factory=dict)  # page number → OCR word confidence


def document(filename: str, data: bytes, media_type: str, page_texts: list[str],
             warnings: list[str], ocr: dict[int, float] | None = None) -> Document:
    """Join page texts into a `Document`, checking it holds text and is within limits;
    `ocr` gives the OCR word confidence of each page read by OCR."""
    text = "\n\n".join(page_texts)
    if not any(ch.isalpha() for ch in text):
        raise NoPolicyText(f"“{filename}” contains no readable text.")
    if len(text) > current().max_chars:
        raise FileTooLarge(too_many_chars(filename))
    pages, start = [], 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append(Page(number, start, start + len(page_text), (ocr or {}).get(number)))
        start += len(page_text) + 2
    if not looks_english(text):
        warnings.append(NOT_ENGLISH_WARNING)
    return Document(filename=filename, sha256=hashlib.sha256(data).hexdigest(), text=text,
                    pages=tuple(pages), media_type=media_type,
                    warnings=tuple(dict.fromkeys(warnings)))


_ENGLISH_STOPWORDS = frozenset(
    "the and of to a in is that for it as with be by on not or are this we you your our "
    "from at an may will have has which can if any such us its other these their all do "
    "when where who how what also been were was would should about into than".split())


def looks_english(text: str) -> bool:
    """Cheap language check: English prose is ~35–50 % stopwords; other languages < 10 %."""
    words = re.findall(r"[^\W\d_]+", text[:200_000].lower())
    if len(words) < 40:
        return True  # too little to judge; a false alarm is worse than silence
    return sum(w in _ENGLISH_STOPWORDS for w in words) / len(words) >= 0.15
