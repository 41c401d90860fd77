"""Repair broken PDF text layers before the reader structures them into lines.

Real vendor PDFs extract with zero-width characters for spaces, ligatures as stray glyphs
("internaƟonal"), headings and clause numbers drawn twice ("1.1 1.1 . ."), and words glued
where a line broke ("howthis"). Every decision here is taken from the document's own
vocabulary (a word "exists" when it occurs elsewhere in the same document), never from a
list of vendors or phrases. `Repairs` counts what was repaired so the reader can tell the
reviewer in one short warning.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Repairs", "repair_characters", "dedupe_runs", "deglue"]

# What each repair counts, in the order the warning lists them.
_LABELS = {
    "one_word": "{n} words rejoined from one-word lines",
    "invisible_line": "{n} lines split at invisible characters rejoined",
    "zero_width": "{n} zero-width word breaks made spaces",
    "ligature": "{n} ligature glyphs mapped",
    "duplicate": "{n} repeated headings or numbers removed",
    "glued": "{n} glued words separated",
}


@dataclass
class Repairs:
    """Counts of text-layer repairs, by kind (the keys of `_LABELS`)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.counts[kind] += n

    def warning(self) -> str | None:
        """One reviewer-readable sentence, or None when nothing was repaired."""
        parts = [label.format(n=f"{self.counts[kind]:,}") for kind, label in _LABELS.items()
                 if self.counts[kind]]
        return f"Repaired the PDF text layer: {', '.join(parts)}." if parts else None


# --------------------------------------------------------------------------- characters

_ZW = "\u200b\u200c\u200d\u2060\ufeff"
_ZW_TO_SPACE = dict.fromkeys(map(ord, _ZW), " ")
_WORDS = re.compile(r"[^\W\d_]+")
# A line holding only invisible characters between two pieces of one visual line.
_INVISIBLE_LINE = re.compile(rf"[ \t]*\n[ \t]*[{_ZW}][{_ZW} \t]*\n[ \t]*")
_ZW_BREAK = re.compile(rf"([^\W\d_]+)[{_ZW}]+(?=([^\W\d_]+))")
# Between two visible characters, at least one not a letter: "iTechno​(see", "data,​and".
_ZW_BESIDE_MARK = re.compile(rf"(?:(?<=[^\s\w])|(?<=\d))[{_ZW}]+(?=\S)|(?<=\S)[{_ZW}]+(?=[^\s\w]|\d)")
# A stray glyph touching ASCII letters: "interna?onal", "?nancial", "sta?".
_GLYPH_IN_WORD = re.compile(r"(?<![A-Za-z])([A-Za-z]*)([^\x00-\x7f\s\w]|[^\x00-\xff])([A-Za-z]*)"
                            r"(?![A-Za-z])")
_LIGATURES = ("ti", "tt", "ft", "ff", "fi", "fl", "ffi", "ffl", "fb", "fh", "fj", "fk",
              "th", "st", "ct", "tf")
# Glyphs fonts commonly extract for ligatures without a Unicode mapping (Calibri's ti, tt),
# used when the document has no evidence of its own.
_KNOWN_GLYPHS = {"\u019f": "ti", "\u01a9": "tt", "\U0010019f": "ti"}


def repair_characters(pages: list[str], repairs: Repairs) -> list[str]:
    """Rejoin lines split at invisible characters, make zero-width word breaks spaces and
    map stray ligature glyphs to letters, deciding from the whole document's words."""
    pages = [_INVISIBLE_LINE.sub(_join_invisible(repairs), page) for page in pages]
    spaced = [page.translate(_ZW_TO_SPACE) for page in pages]
    counts = Counter(w.lower() for page in spaced for w in _WORDS.findall(page))
    whole = {w.lower() for page in pages for token in page.split()
             if not any(ch in _ZW for ch in token) for w in _WORDS.findall(token)}
    pages = _zero_width_spaces(pages, counts, whole, repairs)
    return _map_glyphs(pages, whole, repairs)


def _join_invisible(repairs: Repairs):
    def join(match: re.Match) -> str:
        repairs.add("invisible_line")
        text, end = match.string, match.end()
        before = text[match.start() - 1] if match.start() else ""
        after = text[end] if end < len(text) else ""
        return "" if before in "([“‘" or after in ".,;:!?)]”’" else " "
    return join


def _zero_width_spaces(pages: list[str], counts: Counter[str], whole: set[str],
                       repairs: Repairs) -> list[str]:
    """Make a zero-width character between two words a space.

    One is a word break when both sides are words used elsewhere and the two together are
    not ("We​collect"); inside a word ("Con​tact") it is dropped later. When most of a
    document's zero-width characters are clear word breaks, they are its word separator:
    all become spaces unless the joined word occurs elsewhere, beside punctuation too.
    """
    found = [(m.group(1).lower(), m.group(2).lower()) for page in pages
             for m in _ZW_BREAK.finditer(page)]
    if not found:
        return pages
    clear = sum(_is_break(a, b, counts, whole) for a, b in found)
    separator = len(found) >= 5 and clear >= 0.5 * len(found)

    def fix(match: re.Match) -> str:
        a, b = match.group(1).lower(), match.group(2).lower()
        if (a + b) not in whole and (separator or _is_break(a, b, counts, whole)):
            repairs.add("zero_width")
            return match.group(1) + " "
        return match.group(0)
    pages = [_ZW_BREAK.sub(fix, page) for page in pages]
    return [_ZW_BESIDE_MARK.sub(_space(repairs), page) for page in pages] if separator else pages


def _space(repairs: Repairs):
    def space(match: re.Match) -> str:
        repairs.add("zero_width")
        return " "
    return space


def _is_break(left: str, right: str, counts: Counter[str], whole: set[str]) -> bool:
    return (left + right) not in whole and counts[left] >= 2 and counts[right] >= 2


def _map_glyphs(pages: list[str], whole: set[str], repairs: Repairs) -> list[str]:
    """Replace each stray glyph by the ligature that turns most of its words into words
    found elsewhere in the document ("internaƟonal" → "international"); known Calibri
    glyphs fall back to their letters when the document gives no evidence."""
    seen: dict[str, set[tuple[str, str]]] = {}
    for page in pages:
        for m in _GLYPH_IN_WORD.finditer(page):
            if m.group(1) or m.group(3):
                seen.setdefault(m.group(2), set()).add((m.group(1).lower(), m.group(3).lower()))
    table = {glyph: letters for glyph, contexts in seen.items()
             if (letters := _best_ligature(glyph, contexts, whole))}
    if not table:
        return pages

    def fix(match: re.Match) -> str:
        letters = table.get(match.group(2))
        if letters is None or not (match.group(1) or match.group(3)):
            return match.group(0)
        repairs.add("ligature")
        if match.group(1)[-1:].isupper() and match.group(3)[:1].isupper():
            letters = letters.upper()
        elif not match.group(1) and match.group(3)[:1].isupper():
            letters = letters[0].upper() + letters[1:]
        return match.group(1) + letters + match.group(3)
    return [_GLYPH_IN_WORD.sub(fix, page) for page in pages]


def _best_ligature(glyph: str, contexts: set[tuple[str, str]], whole: set[str]) -> str | None:
    scores = {lig: sum(f"{a}{lig}{b}" in whole for a, b in contexts) for lig in _LIGATURES}
    best = max(scores, key=scores.__getitem__)
    if scores[best] and scores[best] >= 0.5 * len(contexts):
        return best
    if glyph in _KNOWN_GLYPHS and any(a[-1:].islower() or b[:1].islower() for a, b in contexts):
        return _KNOWN_GLYPHS[glyph]
    return None


# --------------------------------------------------------------------------- repeated runs

_NUMBER = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*\.?|[ivxIVX]{1,5}\.?|[a-zA-Z][.)]|\(?\w{1,4}\))$")
_PUNCT = re.compile(r"^[^\w\s]{1,3}$")
_LOOSE_MARK = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*|[ivxIVX]{1,5}|[A-Za-z]) ([.)])(?= |$)")


def dedupe_runs(lines: list[str], repairs: Repairs) -> list[str]:
    """Remove headings and clause numbers extracted twice.

    A line equal to the previous text line goes. Within a line, a repeated clause number
    or punctuation ("1.1 1.1 . .") collapses to one, and so does a repeated run at the
    line's start ("Data Retention Data Retention", "Scope Scope"); elsewhere only runs of
    four words or more without a comma do: "that that" and "version, app version, app"
    can be real English.
    """
    out: list[str] = []
    last = ""
    for line in lines:
        if line and line == last and len(line) > 1:
            repairs.add("duplicate")
            continue
        if line:
            line = _collapse_line(line, repairs)
            last = line
        out.append(line)
    return out


def _collapse_line(line: str, repairs: Repairs) -> str:
    tokens = line.split(" ")
    if len(tokens) < 2:
        return line
    out: list[str] = []
    i, removed = 0, 0
    while i < len(tokens):
        # A run of words doubles only at the line's start (after its clause number): in
        # running text, "version, app version, app build" is real English.
        at_start = all(_NUMBER.match(t) or _PUNCT.match(t) for t in out)
        k = _repeat_at(tokens, i, at_start)
        if k:
            out.extend(tokens[i:i + k])
            i += 2 * k
            removed += 1
        else:
            out.append(tokens[i])
            i += 1
    if not removed:
        return line
    repairs.add("duplicate", removed)
    return _LOOSE_MARK.sub(r"\1\2", " ".join(out))


def _repeat_at(tokens: list[str], i: int, at_start: bool) -> int:
    """The length of a run starting at `i` that is repeated right after it, or 0."""
    for k in range(min(12, (len(tokens) - i) // 2), 0, -1):
        if tokens[i:i + k] != tokens[i + k:i + 2 * k]:
            continue
        if k >= 2 and (at_start or (k >= 4 and not any(t[-1] in ",;:" for t in tokens[i:i + k]))):
            return k
        if k == 1 and (_NUMBER.match(tokens[i]) or _PUNCT.match(tokens[i])):
            return k
        word = tokens[i]
        if k == 1 and at_start and word[:1].isupper() and len(word) > 1 and word.isalpha():
            return k
    return 0


# --------------------------------------------------------------------------- glued words

_GLUE_CANDIDATE = re.compile(r"(?<![\w@./-])([^\W\d_]{4,40})(?![\w@/-]|\.\w)")


def deglue(pages: list[list[str]], repairs: Repairs) -> list[list[str]]:
    """Split words glued at a line break ("howthis" → "how this").

    A token is glued when it occurs once and splits into two words of two letters or more
    that each occur elsewhere in the document (the most frequent such pair; none on a
    tie). Real one-off compounds ("another") pass that test too, so splitting is
    done only when the document shows the pattern systematically: at least five such
    tokens and six in every thousand words (clean policies show under four).
    """
    counts = Counter(w.lower() for lines in pages for line in lines for w in _WORDS.findall(line))
    splits = {w: s for w, c in counts.items() if c == 1 and (s := _split(w, counts))}
    if len(splits) < max(5, 0.006 * sum(counts.values())):
        return pages

    def fix(match: re.Match) -> str:
        word = match.group(1)
        cut = splits.get(word.lower())
        if cut is None:
            return word
        repairs.add("glued")
        return f"{word[:cut]} {word[cut:]}"
    return [[_GLUE_CANDIDATE.sub(fix, line) for line in lines] for lines in pages]


def _split(word: str, counts: Counter[str]) -> int | None:
    """The cut making `word` two words found elsewhere, the more frequent pair winning;
    None when there is none or two pairs tie."""
    if len(word) < 4:
        return None
    scored = sorted(((min(counts[word[:i]], counts[word[i:]]), i)
                     for i in range(2, len(word) - 1)), reverse=True)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]
