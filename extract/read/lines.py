"""Shared line shaping: characters normalised, lines tidied, structure restored.

Every format reader ends here: odd spaces, ligatures and invisible characters become plain
text (`normalise_chars`, `tidy_line`, `text_lines`); list markers are written one way
(`merge_bullets`); words broken across lines are rejoined (`vocabulary`, `keeps_hyphen`,
`dehyphenate`); wrapped lines become one line per paragraph (`typical_width`, `continues`,
`reflow`, `blocks`); a one-word-per-line text layer becomes sentences
(`rejoin_single_words`).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from extract.model import CELL_SEPARATOR
from extract.repair import Repairs

__all__ = ["normalise_chars", "tidy_line", "text_lines", "MARKER_ONLY", "merge_bullets",
           "continues", "typical_width", "reflow", "vocabulary", "keeps_hyphen", "dehyphenate",
           "rejoin_single_words", "blocks"]

# --------------------------------------------------------------------------- characters
_SPACES = dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                 "\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"), " ")
_LINE_BREAKS = dict.fromkeys(map(ord, "\r\u2028\u2029\x0b\x0c\x85"), "\n")
_HYPHENS = dict.fromkeys(map(ord, "\u2010\u2011"), "-")
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
              0xFB05: "st", 0xFB06: "st"}
_CHAR_TABLE = {**_SPACES, **_LINE_BREAKS, **_HYPHENS, **_LIGATURES}


def normalise_chars(text: str) -> str:
    """Map odd spaces, line separators, ligatures and hyphen variants to plain ones.

    Soft hyphens at a line end join the line to the next (they mark a word broken by a
    typesetter); elsewhere they, zero-width and other invisible format characters and
    control characters are dropped. The result is NFC, so decomposed accents (common in
    PDFs made on macOS) compare equal to composed ones.
    """
    text = text.replace("\r\n", "\n").translate(_CHAR_TABLE)
    text = re.sub(r"\u00ad[ ]*\n[ ]*", "", text)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return unicodedata.normalize("NFC", text)


_LETTER_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?!\S)")


def tidy_line(line: str) -> str:
    """Strip a line, undo letter spacing ("P r i v a c y") and collapse runs of spaces."""
    line = _LETTER_SPACED.sub(_unspace, line)
    return re.sub(r" {2,}", " ", line).strip()


def _unspace(match: re.Match) -> str:
    # Letter-spaced headings often separate words by one space as well; split camel case.
    word = match.group(0).replace(" ", "")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", word)


def text_lines(text: str) -> list[str]:
    """Normalise `text` and return its tidied lines, blank lines kept as ""."""
    return [tidy_line(line) for line in normalise_chars(text).split("\n")]


# --------------------------------------------------------------------------- line structure

# A list marker at the start of a line: glyph bullets, "1." "1)" "1.2" "(a)" "a)" "iv.".
_GLYPH_BULLET = re.compile(r"^[•·▪◦●■□➢►‣○∙⁃※\uf0a7\uf0b7\uf0d8\uf0fc\uf076]\s*")
_MARKER = r"(?:[-–—*]|\d{1,3}(?:\.\d{1,3})*[.)]?|\(?[a-zA-Z]\)|\(?[ivxIVX]{1,5}[.)]|[a-zA-Z][.)])"
_BULLET_LINE = re.compile(rf"^{_MARKER}\s")
MARKER_ONLY = re.compile(rf"^(?:{_MARKER}|[•·▪◦●■□➢►‣○∙⁃\uf0a7\uf0b7\uf0d8\uf0fc\uf076])$")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_CONNECTORS = frozenset(
    "a an the and or nor but of to for with by in on at from as that which who whom whose "
    "our your their its his her this these those any all each other such including "
    "than into about under between within without via per if when where whether is are "
    "be been may will shall can must not also".split())


def merge_bullets(lines: list[str]) -> list[str]:
    """Write glyph bullets as "- " and attach a marker alone on its line to the next line."""
    out: list[str] = []
    for line in lines:
        if not line and out and MARKER_ONLY.match(out[-1]):
            continue  # a paragraph gap between a bullet and its text
        line = _GLYPH_BULLET.sub("- ", line) if _GLYPH_BULLET.match(line) else line
        if out and MARKER_ONLY.match(out[-1]) and line and not MARKER_ONLY.match(line):
            marker = "-" if _GLYPH_BULLET.match(out[-1] + " ") else out[-1]
            out[-1] = f"{marker} {line}"
        else:
            out.append(line)
    return out


def continues(prev: str, nxt: str, full_width: float | None) -> bool:
    """Whether line `nxt` continues the paragraph of line `prev` (a wrapped line).

    Never if `nxt` is a list item, either line is a table row (cells joined by
    `CELL_SEPARATOR`), or `prev` ends a sentence (". ! ? : ;" — a semicolon
    only before a capital). Otherwise yes if `nxt` starts in lower case ("iTechno" does
    not count), or `prev` ends with a comma, a dash or a function word ("the", "and",
    "our"), or `prev` fills the text width (`full_width`; None when lines are not visually
    wrapped) and `nxt` is itself full or ends a sentence: short unpunctuated lines after a
    full one are headings.
    """
    if not prev or not nxt or _BULLET_LINE.match(nxt):
        return False
    if CELL_SEPARATOR in prev or CELL_SEPARATOR in nxt:
        return False  # a table row is a line of its own
    if _TERMINAL.search(prev[-12:]) and not (prev.endswith(";") and _starts_lowercase(nxt)):
        return False
    if MARKER_ONLY.match(prev) or MARKER_ONLY.match(nxt):
        return False
    if _starts_lowercase(nxt):
        return True
    last_word = prev[-40:].rsplit(" ", 1)[-1]
    if prev.endswith((",", " -", " –", "—")) or last_word.lower() in _CONNECTORS:
        return True
    if full_width and len(prev) >= 0.8 * full_width:
        return len(nxt) >= 0.8 * full_width or bool(_TERMINAL.search(nxt[-12:]))
    return False


def _starts_lowercase(line: str) -> bool:
    """True for "process…", false for brand names such as "iTechno" or "eBay"."""
    first = line[:60].split(" ", 1)[0]
    return first[0].islower() and not any(ch.isupper() for ch in first[1:])


def typical_width(lines: list[str]) -> float | None:
    """The length of a full line when text is visually wrapped, else None."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 5:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    return float(p90) if p90 <= 160 else None  # longer "lines" are whole paragraphs


def reflow(lines: list[str], full_width: float | None, *, soft_gaps: bool = False) -> list[str]:
    """Join wrapped lines into one line per paragraph and drop blank lines.

    A blank line is a hard paragraph break, unless `soft_gaps` (PDF layout gaps): then the
    line after it still joins on textual evidence (lower-case start, dangling "the"), but
    not because the line before it is full-width. Each line is judged against the
    physical line before it, not the paragraph built so far.
    """
    paragraphs: list[list[str]] = []
    gap = False
    for line in lines:
        if not line:
            gap = True
            continue
        width = None if gap else full_width
        if paragraphs and (soft_gaps or not gap) and continues(paragraphs[-1][-1], line, width):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
        gap = False
    return [" ".join(parts) for parts in paragraphs]


# Hyphenation: "pro-" + "cess" → "process", but "third-" + "party" → "third-party".
_COMPOUND_HEADS = frozenset("third first second non self opt cross e x long short high low "
                            "well ill".split())
_COMPOUND_TAILS = frozenset("party parties based related specific term time level wide free "
                            "friendly owned driven generated identifiable mail border site "
                            "making operated readable facing enabled compliant sensitive "
                            "only backed hosted".split())
_URL_LIKE = re.compile(r"://|@|^www\.|\w\.[a-z]{2,}/", re.I)
_BROKEN_WORD = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def vocabulary(lines: Iterable[str]) -> frozenset[str]:
    """The document's words, lower-cased, for `keeps_hyphen` to consult.

    Hyphenated words also give their leading parts ("do-not-mail" → "do-not"). The two
    halves of a word broken at a line end are left out: they are fragments, not words.
    """
    words: set[str] = set()
    skip_first = False
    for line in lines:
        found = _WORD.findall(line)
        if skip_first and found and line[:1].isalpha():
            found = found[1:]
        skip_first = bool(found) and line.endswith("-") and line[-2:-1].isalpha()
        if skip_first:
            found = found[:-1]
        for word in found:
            parts = word.lower().split("-")
            words.update("-".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(words)


def keeps_hyphen(left: str, right: str, vocab: frozenset[str], before: str = "") -> bool:
    """Decide whether the hyphen of a word broken across lines is a real one.

    `left` is the word before the line-end hyphen, `right` the word after it, `before`
    the rest of the token holding `left` ("https://eur" for "https://eur-" / "lex").
    Rule, in order: the token is part of a URL, path or e-mail address → keep; the
    joined word occurs elsewhere in the document → drop ("SERV-" / "ICES" when
    "services" occurs); the hyphenated word occurs elsewhere → keep; the halves differ in
    case ("Anti-" / "Money") → keep; the left part already holds a hyphen, is one letter
    ("e-mail") or a common compound head ("third", "non", "opt", "self", ...), or the
    right part a common compound tail ("party", "based", "specific", ...) → keep; both
    halves are words used elsewhere in the document ("automatically" / "collected") →
    keep; otherwise drop ("pro-" / "cess").
    """
    if _URL_LIKE.search(before + left):
        return True
    head = left.rsplit("-", 1)[-1]
    if (head + right).lower() in vocab:
        return False
    if f"{left}-{right}".lower() in vocab:
        return True
    if not (head[-1:].islower() and right[:1].islower()) and not (head + right).isupper():
        return True
    if "-" in left or len(head) == 1 or head.lower() in _COMPOUND_HEADS:
        return True
    if right.lower() in _COMPOUND_TAILS:
        return True
    return len(head) >= 3 and len(right) >= 3 and {head.lower(), right.lower()} <= vocab


def dehyphenate(lines: list[str], vocab: frozenset[str]) -> list[str]:
    """Join words broken across lines with a hyphen (see `keeps_hyphen` for the rule)."""
    out: list[list[str]] = []  # pieces of each output line, joined without spaces
    for line in lines:
        prev = out[-1][-1] if out else ""
        tail = prev[-100:]
        broken = _BROKEN_WORD.search(tail) if prev.endswith("-") else None
        start = re.match(r"[^\W\d_]+", line)
        if broken and start:
            before = tail[:broken.start()].rsplit(" ", 1)[-1]
            if not keeps_hyphen(broken.group(1), start.group(0), vocab, before):
                out[-1][-1] = prev[:-1]
            out[-1].append(line)
        else:
            out.append([line])
    return ["".join(pieces) for pieces in out]


def rejoin_single_words(lines: list[str], repairs: Repairs | None = None) -> list[str]:
    """Rejoin a text layer that holds one word per line into one line per sentence.

    Applies only when most lines (≥ 60 %, at least 12 lines) are single tokens; runs of
    three or more such lines are joined, breaking after a token that ends a sentence.
    The words so rejoined are counted in `repairs`.
    """
    singles = [bool(line) and " " not in line for line in lines]
    if len(lines) < 12 or sum(singles) < 0.6 * len(lines):
        return lines
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            out.extend(_sentences_from_words(run))
            if repairs is not None:
                repairs.add("one_word", len(run))
        else:
            out.extend(run)
        run.clear()

    for line, single in zip(lines, singles):
        if single:
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return out


def _sentences_from_words(words: list[str]) -> list[str]:
    sentences, current = [], []
    for word in words:
        current.append(word)
        if _TERMINAL.search(word) and not MARKER_ONLY.match(word):
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences


def blocks(lines: list[str]) -> Iterator[list[str]]:
    """Split lines into blocks at blank lines (a hard paragraph break in plain text)."""
    block: list[str] = []
    for line in lines:
        if line:
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block
