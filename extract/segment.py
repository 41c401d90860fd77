"""Split a document into clauses: sentences and list items, each under its section heading.

The reader hands over one logical line per paragraph, heading or list item. Here each line is
classified (heading, list item, paragraph) and paragraphs are split into sentences. Offsets
always point into `Document.text`, so `text[c.start:c.end] == c.text` for every clause.
"""
from __future__ import annotations

import re
from typing import Iterator

from .model import Clause, Document

__all__ = ["segment", "is_heading", "split_sentences"]

_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦●■□➢►o]|\(?[a-z]\)|\(?[ivx]{1,4}\)|\d{1,2}[.)](?!\d))\s+")
_BARE_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦●■□➢►]|\d{1,2}[.)])\s*$")
_NUMBERED_HEADING = re.compile(r"^\s*(?:section\s+)?(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z]\.|[IVX]{1,5}\.)\s+\S")
_ABBREVIATIONS = (
    "e.g", "i.e", "etc", "inc", "ltd", "co", "corp", "llc", "no", "vs", "u.s", "u.k", "mr", "mrs",
    "ms", "dr", "st", "art", "sec", "para", "approx", "incl", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "pvt", "viz", "cf", "al",
)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) then whitespace and
# an uppercase letter, digit, quote or bullet.
_SENTENCE_END = re.compile(r"""[.!?][)"'”’\]]*\s+(?=[A-Z0-9"“‘'(\[•-])""")
_WORD = re.compile(r"[A-Za-z]+")


def is_heading(line: str) -> bool:
    """Return True for a short title-like line such as "7. Children's Privacy" or "Data Security"."""
    s = line.strip()
    if not s or len(s) > 90 or _BULLET.match(s) and not _NUMBERED_HEADING.match(s):
        return False
    words = s.split()
    if len(words) > 12 or not _WORD.search(s):
        return False
    if s[-1] in ".,;!":
        return False
    if re.search(r"@|https?://|www\.", s):
        return False
    if _NUMBERED_HEADING.match(s) and len(words) <= 10:
        return True
    if s.isupper() and len(words) <= 8:
        return True
    if s.endswith(":") and len(words) <= 6:
        return True
    # Title case: most longer words capitalised, or a short phrase starting uppercase.
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    capitalised = sum(1 for w in long_words if w[0].isupper())
    if long_words and capitalised / len(long_words) >= 0.6 and len(words) <= 9:
        return True
    return len(words) <= 4 and s[0].isupper() and not s.endswith(":")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of one paragraph, trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        cut = m.start() + 1
        head = text[start:cut]
        last = re.search(r"([A-Za-z][A-Za-z.]*)\.\W*$", head)
        if last and last.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if last and len(last.group(1)) == 1 and last.group(1).isupper():
            continue  # an initial: "John F. Kennedy"
        end = m.end()
        spans.append((start, cut + (len(m.group(0).rstrip()) - 1)))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def segment(doc: Document) -> list[Clause]:
    """Split `doc` into clauses in reading order, headings included (flagged `is_heading`)."""
    text = doc.text
    clauses: list[Clause] = []
    section = ""
    pending_bullet = False
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            continue
        if _BARE_BULLET.match(line):
            pending_bullet = True  # "-" alone on a line: the item follows on the next one
            continue
        lstrip = len(line) - len(line.lstrip())
        s = start + lstrip
        e = start + len(line.rstrip())
        is_item = pending_bullet or bool(_BULLET.match(line))
        pending_bullet = False
        if not is_item and is_heading(line):
            section = text[s:e]
            clauses.append(Clause(len(clauses), section, s, e, doc.page_at(s), section, True))
            continue
        if _NUMBERED_HEADING.match(line) and is_heading(line):
            section = text[s:e]
            clauses.append(Clause(len(clauses), section, s, e, doc.page_at(s), section, True))
            continue
        if is_item:
            # A list item is kept whole when it is short; a long one is split like a paragraph,
            # but its first sentence carries the item label ("Access: ...").
            spans = split_sentences(text[s:e]) if e - s > 400 else [(0, e - s)]
        else:
            spans = split_sentences(text[s:e])
        for a, b in spans:
            cs, ce = s + a, s + b
            clauses.append(Clause(len(clauses), text[cs:ce], cs, ce, doc.page_at(cs), section, False))
    return clauses
