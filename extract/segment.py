"""Split a document into clauses: sentences and list items, each under its section heading.

The reader hands over one logical line per paragraph, heading or list item. Here each line is
classified (heading, list item, paragraph) and paragraphs are split into sentences. Offsets
always point into `Document.text`, so `text[c.start:c.end] == c.text` for every clause.
"""
from __future__ import annotations

import re
from typing import Iterator

from .model import CELL_SEPARATOR, Clause, Document

__all__ = ["segment", "is_heading", "is_contents_line", "split_sentences"]

_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦●■□➢►o]|\(?[a-z]\)|\(?[ivx]{1,4}\)|\d{1,2}[.)](?!\d))\s+")
_BARE_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦●■□➢►]|\d{1,2}[.)])\s*$")
_NUMBERED_HEADING = re.compile(
    r"^\s*(?:(?i:section|article|part|chapter|clause)\s+)?"
    r"(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z]\.|[IVX]{1,5}\.)\s+\S")
# Contact and meta lines are not headings: phone numbers, long digit runs (postcodes, account
# numbers), e-mail addresses, URLs, street numbers, company-name lines.
_PHONE = re.compile(r"(?:\+\s?\d|\(\d{2,4}\)\s?\d|\b\d{2,5}[\s.-]\d{2,5}[\s.-]\d{2,5}\b)")
_LONG_DIGITS = re.compile(r"\d{5,}")
_STREET_NUMBER = re.compile(r"^\s*\d{3,}\s+[A-Za-z]")
_COMPANY_LINE = re.compile(r"\b(?:Pvt|Ltd|LLC|LLP|Inc|GmbH|PLC|Limited|Corp|S\.A|B\.V|AG)\.?\s*$")
# "Label: value" lines — "Phone: …", "Last updated: July 2024", "Email: …". A label that
# names a part of the document ("Section 4: Data Retention") still makes a heading.
_LABEL_VALUE = re.compile(r"^\s*(?P<label>[^:]{1,40}):\s+(?P<value>\S.*)$")
_PART_LABEL = re.compile(r"^(?:section|article|part|chapter|schedule|appendix|annex|clause|step)\b"
                         r"|^\d{1,2}(?:\.\d{1,2})*\.?$|^[IVX]{1,5}\.?$", re.IGNORECASE)
_META_LABEL = re.compile(
    r"\b(?:phone|tel|telephone|fax|mobile|cell|e-?mail|mail|address|website|web|url|contact|"
    r"name|designation|attn|attention|updated|effective|date|version|revised|modified|"
    r"last|published|dated|registered|office|cin|gstin?|vat|reg|no)\b", re.IGNORECASE)
# Table-of-contents lines: a heading with a page number (dot leaders or a trailing number), or
# a "Contents" line, or a long run of title-cased words with no sentence in it.
_TOC_LEADER = re.compile(r"(?:\.{3,}|…{2,}|(?:\s\.){3,}|_{3,}|\t|\s{3,})\s*\d{1,3}\s*$")
_TOC_PAGENO = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?[A-Z][^.!?]{2,80}?\s+\d{1,3}\s*$")
_TOC_TITLE = re.compile(r"^\W*(?:table of contents|contents|in this (?:policy|notice))\b", re.IGNORECASE)
_SMALL_WORDS = frozenset("a an and as at by for from in into of on or our the to with your you "
                         "we us how what when where why who do does is are this that".split())
_ABBREVIATIONS = (
    "e.g", "i.e", "etc", "inc", "ltd", "co", "corp", "llc", "no", "vs", "u.s", "u.k", "mr", "mrs",
    "ms", "dr", "st", "art", "sec", "para", "approx", "incl", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "pvt", "viz", "cf", "al",
)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) then whitespace and
# an uppercase letter, digit, quote or bullet.
_SENTENCE_END = re.compile(r"""[.!?][)"'”’\]]*\s+(?=[A-Z0-9"“‘'(\[•-])""")
_WORD = re.compile(r"[A-Za-z]+")
# A sentence that introduces a list: "You have the right to:", "… you may request that we:".
_LEAD_IN_END = re.compile(r"[:：]\s*$")


def _contact_or_meta(s: str) -> bool:
    """A contact or meta line ("Phone: +91 …", "Last updated: May 2024", "12 High Street")."""
    if re.search(r"@|https?://|www\.|\.(?:com|org|net|io)\b", s, re.IGNORECASE):
        return True
    if _PHONE.search(s) or _LONG_DIGITS.search(s) or _STREET_NUMBER.match(s):
        return True
    if _COMPANY_LINE.search(s):
        return True
    m = _LABEL_VALUE.match(s)
    if m:
        label, value = m.group("label").strip(), m.group("value").strip()
        if _PART_LABEL.match(label):
            return False
        if _META_LABEL.search(label) or re.search(r"\d", value) or value[0].islower():
            return True
    return False


def is_heading(line: str) -> bool:
    """Return True for a short title-like line such as "7. Children's Privacy", "SECTION 4 –
    DATA RETENTION" or "How long do we keep your data?" — not a contact line ("Phone: +91 …"),
    a "Label: value" line, a sentence, or a table-of-contents entry with a page number."""
    s = line.strip()
    if not s or len(s) > 90 or _BULLET.match(s) and not _NUMBERED_HEADING.match(s):
        return False
    words = s.split()
    if len(words) > 14 or not _WORD.search(s):
        return False
    if s[-1] in ".,;!":
        return False
    if _contact_or_meta(s):
        return False
    if _NUMBERED_HEADING.match(s) and len(words) <= 10:
        return True
    if s.isupper() and len(words) <= 8:
        return True
    if s.endswith(":") and len(words) <= 6:
        return True
    if s.endswith("?") and s[0].isupper() and len(words) <= 12:
        return True  # "How long do we keep your data?"
    # Title case: most longer words capitalised, or a short phrase starting uppercase.
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    capitalised = sum(1 for w in long_words if w[0].isupper())
    if long_words and capitalised / len(long_words) >= 0.6 and len(words) <= 9:
        return True
    # A longer title needs nearly every longer word capitalised ("How You Can Access and
    # Update Your Personal Information and Other Account Information").
    if len(long_words) >= 5 and capitalised / len(long_words) >= 0.8:
        return True
    return len(words) <= 4 and s[0].isupper() and not s.endswith(":")


def is_contents_line(line: str) -> bool:
    """Return True for table-of-contents material, never evidence: "Contents", a heading with
    a page number ("5. Data Retention ........ 7"), or a long run of title-cased words with no
    sentence in it ("Table of Contents Information We Collect Cookies Data Retention …", as a
    flattened web page gives it)."""
    s = line.strip()
    if not s:
        return False
    if _TOC_TITLE.match(s) and not re.search(r"[.!?]\s+[A-Z]|[.!?]$", s):
        return True
    if _TOC_LEADER.search(s) and len(s.split()) <= 14:
        return True
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", s)
    if len(words) >= 14 and not re.search(r"[.!?;]\s|[.!?;]$", s):
        content = [w for w in words if w.lower() not in _SMALL_WORDS]
        caps = sum(1 for w in content if w[0].isupper())
        if content and caps / len(content) >= 0.85:
            return True
    return False


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


def _page_numbered(line: str) -> bool:
    s = line.strip()
    return bool(_TOC_PAGENO.match(s)) and len(s.split()) <= 12 and not _contact_or_meta(
        s.rsplit(None, 1)[0])


def _contents_lines(text: str) -> set[int]:
    """Start offsets of the lines of a table of contents: single lines that look like one
    (`is_contents_line`), runs of three or more headings ending in page numbers, and the run of
    headings after a "Contents" title (the last heading before the first sentence is kept: it
    opens the body)."""
    lines = [(a, b) for a, b in _lines(text) if text[a:b].strip()]
    out: set[int] = set()
    run: list[int] = []
    for a, b in lines + [(-1, -1)]:
        if a >= 0 and _page_numbered(text[a:b]):
            run.append(a)
            continue
        if len(run) >= 3:
            out.update(run)
        run = []
    for k, (a, b) in enumerate(lines):
        if not is_contents_line(text[a:b]):
            continue
        out.add(a)
        if not _TOC_TITLE.match(text[a:b].strip()):
            continue
        j = k + 1
        heads = []
        while j < len(lines) and (is_heading(text[lines[j][0]:lines[j][1]])
                                  or _page_numbered(text[lines[j][0]:lines[j][1]])):
            heads.append(lines[j])
            j += 1
        if heads and j < len(lines) and not _page_numbered(text[heads[-1][0]:heads[-1][1]]):
            heads.pop()  # the body's first heading
        out.update(h[0] for h in heads)
    return out


def segment(doc: Document) -> list[Clause]:
    """Split `doc` into clauses in reading order, headings included (flagged `is_heading`).
    Table-of-contents lines are flagged as headings too (never evidence) but do not become the
    section of what follows. A list item after a sentence or heading that ends in ":" ("You have
    the right to:", "You may ask us to:") carries that sentence as its `lead_in`, up to the
    next paragraph or heading. A table row carries its table's header row as its `lead_in`
    ("Data | How long we keep it" for "Logs | 90 days"), and is never a heading itself."""
    text = doc.text
    clauses: list[Clause] = []
    section = ""
    lead = ""
    table_head = ""  # the first row of the table being read
    pending_bullet = False
    contents = _contents_lines(text)
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
        row = text[s:e]
        cells = row.count(CELL_SEPARATOR)
        in_table = bool(table_head) and cells == table_head.count(CELL_SEPARATOR)
        table_head = table_head if in_table else (row if cells else "")
        if in_table:
            # A row is read with its header, whose words ("How long we keep it") give its cells
            # ("30 days") their meaning.
            clauses.append(Clause(len(clauses), row, s, e, doc.page_at(s), section, False,
                                  table_head))
            continue
        if start in contents:
            # Navigation, not content: kept as a (non-evidence) heading clause, but it does not
            # become the section of what follows.
            clauses.append(Clause(len(clauses), text[s:e], s, e, doc.page_at(s), section, True))
            lead = ""
            continue
        if (not is_item and is_heading(line)) or (_NUMBERED_HEADING.match(line)
                                                  and is_heading(line)):
            section = text[s:e]
            clauses.append(Clause(len(clauses), section, s, e, doc.page_at(s), section, True))
            lead = section if _LEAD_IN_END.search(section) else ""
            continue
        if is_item:
            # A list item is kept whole when it is short; a long one is split like a paragraph,
            # but its first sentence carries the item label ("Access: ...").
            spans = split_sentences(text[s:e]) if e - s > 400 else [(0, e - s)]
        else:
            spans = split_sentences(text[s:e])
        for k, (a, b) in enumerate(spans):
            cs, ce = s + a, s + b
            # A table of contents flattened into a paragraph ("Table of Contents Information
            # We Collect Cookies …") is navigation, not evidence.
            toc = not is_item and is_contents_line(text[cs:ce])
            clauses.append(Clause(len(clauses), text[cs:ce], cs, ce, doc.page_at(cs), section, toc,
                                  lead if is_item and k == 0 else ""))
        if not is_item:
            # The last sentence of a paragraph introduces the list that follows, if it ends in ":".
            last = text[s + spans[-1][0]: s + spans[-1][1]] if spans else ""
            lead = last if _LEAD_IN_END.search(last) else ""
    return clauses
