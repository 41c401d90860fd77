"""Read an uploaded policy file (PDF, TXT, Markdown, HTML, DOCX) into a `Document`.

The result is one normalised text: one line per paragraph, heading or list item ("- " or
"1." / "(a)" markers kept), lines joined by "\\n", pages joined by "\\n\\n", with each
`Page` giving its span of the text. Every failure a reviewer can cause is raised as an
`ExtractError` subclass whose message is meant for them; nothing else escapes
`read_document`.

Limits (see `Limits`, `LIMITS`) protect the app from hostile or absurd files: upload size,
page count, characters of text, wall-clock time, PDF stream inflation and parsing work,
DOCX unpacked size. pypdf's own guards are tightened while we read (see `_pdf_config`).
"""
from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import io
import logging
import math
import os
import re
import time
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pypdf
from pypdf import errors as pdf_errors

from extract.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedPDF,
    ExtractError,
    FileTooLarge,
    NoPolicyText,
    ScannedPDF,
    UnsupportedFileType,
)
from extract.model import Document, Page

__all__ = ["read_document", "read_path", "SUPPORTED_SUFFIXES", "LIMITS", "Limits"]

log = logging.getLogger(__name__)
# pypdf logs every repaired xref or odd object as a warning; real vendor PDFs are full of them
# and the reader reports what matters to the user itself, so only pypdf's errors get through.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MiB = 1 << 20

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".docx")
_SUFFIX_TYPES = {".pdf": "pdf", ".txt": "txt", ".md": "md", ".markdown": "md",
                 ".html": "html", ".htm": "html", ".docx": "docx"}
_ACCEPTED = "PDF, TXT, Markdown (.md), HTML or Word (.docx)"

NOT_ENGLISH_WARNING = "The text does not look English; facts may be missed."


# --------------------------------------------------------------------------- limits


def _env_number(name: str, default: float, scale: float = 1) -> float:
    """Read a positive number from the environment; fall back to `default` if unset or bad."""
    try:
        value = float(os.environ[name])
    except (KeyError, ValueError):
        return default
    return value * scale if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """Upper bounds for reading one file. Exceeding one raises `FileTooLarge`, except the
    two per-stream PDF limits, which skip the page (with a warning) unless no page is left.

    max_bytes: size of the upload (env PRIVACY_MAX_UPLOAD_MB).
    max_pages: pages of a PDF, checked before any page is read (env PRIVACY_MAX_PAGES).
    max_chars: characters of text, before and after normalisation.
    max_pdf_seconds: wall-clock budget for a PDF, checked between pages and every few
        hundred content-stream operators (env PRIVACY_MAX_PDF_SECONDS).
    max_html_seconds: wall-clock budget for parsing HTML, checked between 256 KB chunks.
    max_pdf_stream_bytes: what one PDF stream may inflate to (pypdf's own default: 75 MB);
        a page whose stream is larger is skipped with a warning.
    max_pdf_stream_tokens: operators/operands parsed per content stream (pypdf's default
        is 2,000,000, about 40 s and 250 MB of work); a page over it is skipped.
    max_docx_uncompressed: declared unpacked size of all DOCX members together, and the
        most bytes read from word/document.xml whatever its header claims.
    max_zip_ratio: unpacked/packed ratio allowed for a DOCX member over 1 MiB.
    max_zip_members: entries in a DOCX archive.
    """

    max_bytes: int = int(_env_number("PRIVACY_MAX_UPLOAD_MB", 25 * MiB, MiB))
    max_pages: int = int(_env_number("PRIVACY_MAX_PAGES", 1000))
    max_chars: int = 3_000_000
    max_pdf_seconds: float = _env_number("PRIVACY_MAX_PDF_SECONDS", 60.0)
    max_html_seconds: float = 60.0
    max_pdf_stream_bytes: int = 16 * MiB
    max_pdf_stream_tokens: int = 250_000
    max_docx_uncompressed: int = 50 * MiB
    max_zip_ratio: int = 200
    max_zip_members: int = 5000


LIMITS = Limits()


# --------------------------------------------------------------------------- public API


def read_path(path: str | os.PathLike) -> Document:
    """Read the file at `path` (see `read_document`); OSErrors such as a missing file propagate."""
    path = Path(path)
    if path.stat().st_size > LIMITS.max_bytes:  # refuse before reading it into memory
        raise FileTooLarge(_too_large_message(path.name))
    with path.open("rb") as fh:
        data = fh.read(LIMITS.max_bytes + 1)
    return read_document(data, path.name)


def read_document(data: bytes, filename: str) -> Document:
    """Read one uploaded file into a normalised `Document`.

    The type comes from the suffix, checked against the content (a PDF or DOCX with the
    wrong suffix is read for what it is, with a warning). Raises only `ExtractError`
    subclasses: UnsupportedFileType, EmptyFile, FileTooLarge, EncryptedPDF, ScannedPDF,
    CorruptFile, NoPolicyText.
    """
    try:
        return _read(bytes(data), str(filename))
    except ExtractError:
        raise
    except MemoryError as exc:
        raise FileTooLarge(f"“{filename}” needs more memory to read than this server has.") from exc
    except RecursionError as exc:
        raise CorruptFile(f"“{filename}” is nested too deeply to read; it looks damaged.") from exc
    except Exception as exc:  # last line of defence: a reviewer must never see a traceback
        log.warning("unexpected error reading %r", filename, exc_info=True)
        raise CorruptFile(f"“{filename}” could not be read; it may be damaged "
                          f"({type(exc).__name__}).") from exc


# --------------------------------------------------------------------------- dispatch


@dataclass
class _Text:
    """What a format reader hands back: the text of each page and any warnings."""

    pages: list[str]
    warnings: list[str] = field(default_factory=list)


def _read(data: bytes, filename: str) -> Document:
    media_type, warnings = _detect_type(data, filename)
    result = _READERS[media_type](data, filename)
    return _document(filename, data, media_type, result.pages, warnings + result.warnings)


def _too_large_message(filename: str) -> str:
    return (f"“{filename}” is larger than the {LIMITS.max_bytes / MiB:g} MB upload limit. "
            "Upload a smaller file, e.g. the policy pages only.")


def _detect_type(data: bytes, filename: str) -> tuple[str, list[str]]:
    """Return the media type to read `data` as, from its suffix checked against its content."""
    suffix = Path(filename).suffix.lower()
    if suffix not in _SUFFIX_TYPES:
        shown = suffix or "without a file extension"
        raise UnsupportedFileType(f"“{filename}” is {'a ' + shown + ' file' if suffix else shown}; "
                                  f"this tool reads {_ACCEPTED} files.")
    if not data:
        raise EmptyFile(f"“{filename}” is empty (0 bytes). Upload the file again.")
    if len(data) > LIMITS.max_bytes:
        raise FileTooLarge(_too_large_message(filename))
    declared = _SUFFIX_TYPES[suffix]
    actual = _sniff(data, declared)
    return _reconcile(filename, declared, actual, data)


# Formats people upload by mistake, recognised by their first bytes.
_FOREIGN_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"), (b"MZ", "a Windows program"), (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-format (.doc) or password-protected Office file"),
)


def _sniff(data: bytes, declared: str) -> str:
    """Name what the bytes look like: "pdf", "zip", a foreign-format phrase, or "text"."""
    # The PDF spec tolerates junk before the header; only trust that for a ".pdf" name.
    if data.startswith(b"%PDF-") or (declared == "pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    for magic, phrase in _FOREIGN_MAGIC:
        if data.startswith(magic):
            return phrase
    return "text"


def _reconcile(filename: str, declared: str, actual: str, data: bytes) -> tuple[str, list[str]]:
    """Pick the reader when suffix and content disagree, or explain why we cannot."""
    if actual == "pdf":
        warn = [] if declared == "pdf" else [f"“{filename}” is really a PDF; it was read as one."]
        return "pdf", warn
    if declared == "pdf":
        raise CorruptFile(f"“{filename}” is named .pdf but is not a PDF file"
                          f"{_foreign_clause(actual)}. It may be damaged or renamed.")
    if actual == "zip":
        if declared == "docx" or _zip_has(data, "word/document.xml"):
            warn = [] if declared == "docx" else [f"“{filename}” is really a Word file; it was read as one."]
            return "docx", warn
        raise CorruptFile(f"“{filename}” is a ZIP archive, not a {_ACCEPTED} document.")
    if actual != "text":
        raise UnsupportedFileType(f"“{filename}” is {actual}, not a readable document; "
                                  f"this tool reads {_ACCEPTED} files.")
    if declared == "docx":
        raise CorruptFile(f"“{filename}” is not a Word document (.docx): it is not a ZIP package.")
    if declared == "txt" and re.match(rb"\s*<(!doctype\s+html|html[\s>])", data[:512], re.I):
        return "html", [f"“{filename}” holds a web page; it was read as HTML."]
    return declared, []


def _foreign_clause(actual: str) -> str:
    return "" if actual in ("text", "zip") else f" (it is {actual})"


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return member in zf.NameToInfo
    except Exception:  # any damage means "no": the caller reports the file as corrupt
        return False


# --------------------------------------------------------------------------- assembling


def _document(filename: str, data: bytes, media_type: str, page_texts: list[str],
              warnings: list[str]) -> Document:
    """Join page texts into a `Document`, checking it holds text and is within limits."""
    text = "\n\n".join(page_texts)
    if not any(ch.isalpha() for ch in text):
        raise NoPolicyText(f"“{filename}” contains no readable text.")
    if len(text) > LIMITS.max_chars:
        raise FileTooLarge(_too_many_chars(filename))
    pages, start = [], 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append(Page(number, start, start + len(page_text)))
        start += len(page_text) + 2
    if not _looks_english(text):
        warnings.append(NOT_ENGLISH_WARNING)
    return Document(filename=filename, sha256=hashlib.sha256(data).hexdigest(), text=text,
                    pages=tuple(pages), media_type=media_type,
                    warnings=tuple(dict.fromkeys(warnings)))


def _too_many_chars(filename: str) -> str:
    return (f"“{filename}” holds more than {LIMITS.max_chars:,} characters of text, "
            "the limit for one policy.")


_ENGLISH_STOPWORDS = frozenset(
    "the and of to a in is that for it as with be by on not or are this we you your our "
    "from at an may will have has which can if any such us its other these their all do "
    "when where who how what also been were was would should about into than".split())


def _looks_english(text: str) -> bool:
    """Cheap language check: English prose is ~35–50 % stopwords; other languages < 10 %."""
    words = re.findall(r"[^\W\d_]+", text[:200_000].lower())
    if len(words) < 40:
        return True  # too little to judge; a false alarm is worse than silence
    return sum(w in _ENGLISH_STOPWORDS for w in words) / len(words) >= 0.15


# --------------------------------------------------------------------------- characters

_SPACES = dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                 "\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"), " ")
_LINE_BREAKS = dict.fromkeys(map(ord, "\r\u2028\u2029\x0b\x0c\x85"), "\n")
_HYPHENS = dict.fromkeys(map(ord, "\u2010\u2011"), "-")
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
              0xFB05: "st", 0xFB06: "st"}
_CHAR_TABLE = {**_SPACES, **_LINE_BREAKS, **_HYPHENS, **_LIGATURES}


def _normalise_chars(text: str) -> str:
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


def _tidy_line(line: str) -> str:
    """Strip a line, undo letter spacing ("P r i v a c y") and collapse runs of spaces."""
    line = _LETTER_SPACED.sub(_unspace, line)
    return re.sub(r" {2,}", " ", line).strip()


def _unspace(match: re.Match) -> str:
    # Letter-spaced headings often separate words by one space as well; split camel case.
    word = match.group(0).replace(" ", "")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", word)


def _lines(text: str) -> list[str]:
    """Normalise `text` and return its tidied lines, blank lines kept as ""."""
    return [_tidy_line(line) for line in _normalise_chars(text).split("\n")]


# --------------------------------------------------------------------------- line structure

# A list marker at the start of a line: glyph bullets, "1." "1)" "1.2" "(a)" "a)" "iv.".
_GLYPH_BULLET = re.compile(r"^[•·▪◦●■□➢►‣○∙⁃※\uf0a7\uf0b7\uf0d8\uf0fc\uf076]\s*")
_MARKER = r"(?:[-–—*]|\d{1,3}(?:\.\d{1,3})*[.)]?|\(?[a-zA-Z]\)|\(?[ivxIVX]{1,5}[.)]|[a-zA-Z][.)])"
_BULLET_LINE = re.compile(rf"^{_MARKER}\s")
_MARKER_ONLY = re.compile(rf"^(?:{_MARKER}|[•·▪◦●■□➢►‣○∙⁃\uf0a7\uf0b7\uf0d8\uf0fc\uf076])$")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_CONNECTORS = frozenset(
    "a an the and or nor but of to for with by in on at from as that which who whom whose "
    "our your their its his her this these those any all each other such including "
    "than into about under between within without via per if when where whether is are "
    "be been may will shall can must not also".split())


def _merge_bullets(lines: list[str]) -> list[str]:
    """Write glyph bullets as "- " and attach a marker alone on its line to the next line."""
    out: list[str] = []
    for line in lines:
        if not line and out and _MARKER_ONLY.match(out[-1]):
            continue  # a paragraph gap between a bullet and its text
        line = _GLYPH_BULLET.sub("- ", line) if _GLYPH_BULLET.match(line) else line
        if out and _MARKER_ONLY.match(out[-1]) and line and not _MARKER_ONLY.match(line):
            marker = "-" if _GLYPH_BULLET.match(out[-1] + " ") else out[-1]
            out[-1] = f"{marker} {line}"
        else:
            out.append(line)
    return out


def _continues(prev: str, nxt: str, full_width: float | None) -> bool:
    """Whether line `nxt` continues the paragraph of line `prev` (a wrapped line).

    Never if `nxt` is a list item or `prev` ends a sentence (". ! ? : ;" — a semicolon
    only before a capital). Otherwise yes if `nxt` starts in lower case ("iTechno" does
    not count), or `prev` ends with a comma, a dash or a function word ("the", "and",
    "our"), or `prev` fills the text width (`full_width`; None when lines are not visually
    wrapped) and `nxt` is itself full or ends a sentence: short unpunctuated lines after a
    full one are headings.
    """
    if not prev or not nxt or _BULLET_LINE.match(nxt):
        return False
    if _TERMINAL.search(prev[-12:]) and not (prev.endswith(";") and _starts_lowercase(nxt)):
        return False
    if _MARKER_ONLY.match(prev) or _MARKER_ONLY.match(nxt):
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


def _typical_width(lines: list[str]) -> float | None:
    """The length of a full line when text is visually wrapped, else None."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 5:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    return float(p90) if p90 <= 160 else None  # longer "lines" are whole paragraphs


def _reflow(lines: list[str], full_width: float | None, *, soft_gaps: bool = False) -> list[str]:
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
        if paragraphs and (soft_gaps or not gap) and _continues(paragraphs[-1][-1], line, width):
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


def _vocabulary(lines: Iterable[str]) -> frozenset[str]:
    """The document's words, lower-cased, for `_keeps_hyphen` to consult.

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


def _keeps_hyphen(left: str, right: str, vocab: frozenset[str], before: str = "") -> bool:
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


def _dehyphenate(lines: list[str], vocab: frozenset[str]) -> list[str]:
    """Join words broken across lines with a hyphen (see `_keeps_hyphen` for the rule)."""
    out: list[list[str]] = []  # pieces of each output line, joined without spaces
    for line in lines:
        prev = out[-1][-1] if out else ""
        tail = prev[-100:]
        broken = _BROKEN_WORD.search(tail) if prev.endswith("-") else None
        start = re.match(r"[^\W\d_]+", line)
        if broken and start:
            before = tail[:broken.start()].rsplit(" ", 1)[-1]
            if not _keeps_hyphen(broken.group(1), start.group(0), vocab, before):
                out[-1][-1] = prev[:-1]
            out[-1].append(line)
        else:
            out.append([line])
    return ["".join(pieces) for pieces in out]


def _rejoin_single_words(lines: list[str]) -> list[str]:
    """Rejoin a text layer that holds one word per line into one line per sentence.

    Applies only when most lines (≥ 60 %, at least 12 lines) are single tokens; runs of
    three or more such lines are joined, breaking after a token that ends a sentence.
    """
    singles = [bool(line) and " " not in line for line in lines]
    if len(lines) < 12 or sum(singles) < 0.6 * len(lines):
        return lines
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            out.extend(_sentences_from_words(run))
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
        if _TERMINAL.search(word) and not _MARKER_ONLY.match(word):
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences


def _blocks(lines: list[str]) -> Iterator[list[str]]:
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


# --------------------------------------------------------------------------- plain text


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(data: bytes, filename: str, declared: str | None = None) -> tuple[str, list[str]]:
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


def _refuse_long_text(text: str, filename: str) -> None:
    # Markup and spacing shrink a little when read; far beyond the limit, skip the work.
    if len(text) > 2 * LIMITS.max_chars:
        raise FileTooLarge(_too_many_chars(filename))


def _read_txt(data: bytes, filename: str) -> _Text:
    text, warnings = _decode(data, filename)
    _refuse_long_text(text, filename)
    return _Text([_structure_plain(text)], warnings)


def _structure_plain(text: str) -> str:
    """Plain text: blank lines break paragraphs; hard-wrapped lines are rejoined."""
    lines = _lines(text)
    width = _typical_width(lines)
    vocab = _vocabulary(lines)
    out: list[str] = []
    for block in _blocks(lines):
        out.extend(_reflow(_merge_bullets(_dehyphenate(block, vocab)), width))
    return "\n".join(out)


# --------------------------------------------------------------------------- Markdown

_MD_INLINE = (
    # Every span is bounded ({,300}): unbounded lazy spans make these patterns quadratic
    # on long lines full of unmatched markers.
    (re.compile(r"!\[([^\]]{0,300})\]\([^)\s]{0,500}\)"), r"\1"),     # images → alt text
    (re.compile(r"\[([^\]]{1,300})\]\([^)]{0,500}\)"), r"\1"),       # [text](url) → text
    (re.compile(r"\[([^\]]{1,300})\]\[[^\]]{0,100}\]"), r"\1"),      # [text][ref] → text
    (re.compile(r"\[\^[^\]]{1,100}\]"), ""),                        # footnote references
    (re.compile(r"<((?:https?|mailto):[^>\s]{1,500})>"), r"\1"),      # autolinks
    (re.compile(r"</?[a-zA-Z][^<>]{0,300}>"), ""),                     # inline HTML tags
    (re.compile(r"`([^`]{1,300})`"), r"\1"),                           # code spans
    (re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1"), r"\2"),      # strong
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.{1,300}?)(?<=[^\s*])\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.{1,300}?)(?<=[^\s_])_(?![\w_])"), r"\1"),    # _em_
    (re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~"), r"\1"),             # strikethrough
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])"), r"\1"),      # backslash escapes
)
_MD_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?")
_MD_ORDERED = re.compile(r"^\s*(\d{1,9})[.)]\s+")
_MD_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")


def _read_md(data: bytes, filename: str) -> _Text:
    text, warnings = _decode(data, filename)
    _refuse_long_text(text, filename)
    text = _strip_comments(_strip_front_matter(text))
    lines = _markdown_lines(_normalise_chars(text).split("\n"))
    lines = _merge_bullets([_tidy_line(line) for line in lines])
    return _Text(["\n".join(line for line in lines if line)], warnings)


def _strip_front_matter(text: str) -> str:
    match = re.match(r"\A---\n.*?\n---\n", text.replace("\r\n", "\n"), re.S)
    return text.replace("\r\n", "\n")[match.end():] if match else text


def _strip_comments(text: str) -> str:
    """Remove <!-- ... --> comments (a scan, not a regex: linear even if one never ends)."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)


def _markdown_lines(raw: list[str]) -> list[str]:
    """Turn Markdown lines into plain lines, one per paragraph, heading, item or table row."""
    out: list[list[str]] = []  # the source lines making up each output line
    in_fence, joinable = False, False
    for line in raw:
        if re.match(r"^\s*(```|~~~)", line):
            in_fence, joinable = not in_fence, False
            continue
        if in_fence:
            out.append([line])
            continue
        kind, plain = _markdown_line(line)
        if kind == "blank":
            joinable = False
        elif kind == "text" and joinable:
            out[-1].append(plain)
        else:
            out.append([plain])
        # A paragraph or item continues on the next plain line unless a hard break ends it.
        joinable = kind in ("text", "item") and not line.endswith(("  ", "\\"))
    return [" ".join(parts) for parts in out]


def _markdown_line(line: str) -> tuple[str, str]:
    """Classify one Markdown line and return (kind, plain text)."""
    short = len(line) <= 1000  # rules and separator rows are short; spare long lines the regex
    if not line.strip() or short and (_MD_RULE.match(line) or _MD_TABLE_SEPARATOR.match(line)):
        return "blank", ""
    if _MD_REF_DEFINITION.match(line):
        return "blank", ""
    line = re.sub(r"^(\s*>\s?)+", "", line)
    heading = _MD_HEADING.match(line.strip())
    if heading:
        title = line.strip()[heading.end():].strip()
        return "heading", _md_inline(re.sub(r"(?:^|\s)#+$", "", title).strip())
    if line.strip().startswith("|") and line.strip().endswith("|"):
        cells = [_md_inline(c.strip()) for c in line.strip().strip("|").split("|")]
        return "row", " | ".join(c for c in cells if c)
    bullet = _MD_BULLET.match(line)
    if bullet:
        return "item", "- " + _md_inline(line[bullet.end():].rstrip("\\"))
    ordered = _MD_ORDERED.match(line)
    if ordered:
        return "item", f"{ordered.group(1)}. " + _md_inline(line[ordered.end():].rstrip("\\"))
    return "text", _md_inline(line.strip().rstrip("\\"))


def _md_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


# --------------------------------------------------------------------------- HTML

# Never content, whatever the page layout.
_HTML_ALWAYS_SKIP = frozenset("script style noscript template svg iframe head title object "
                              "canvas select button math".split())
# Page furniture around the policy; skipped unless that would leave almost nothing.
_HTML_FURNITURE = frozenset("nav header footer aside form dialog".split())
_HTML_BLOCK = frozenset("p div li h1 h2 h3 h4 h5 h6 br tr section article main ul ol dl dt dd "
                        "table thead tbody tfoot blockquote pre hr address figure figcaption "
                        "caption details summary fieldset legend body center".split())
_HTML_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _HTMLText(HTMLParser):
    """Collect visible text twice: without page furniture ("main") and with it ("all")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.main: list[str] = []
        self.all: list[str] = []
        self.skipping: list[tuple[str, bool]] = []  # (tag, furniture-only?) open skip tags
        self.cells: list[int] = [0]  # cells seen in the current table row, per nesting level
        self.pre = 0

    def _emit(self, text: str, *, structural: bool = False) -> None:
        hard = any(not furniture for _, furniture in self.skipping)
        if hard and not structural:
            return
        self.all.append(text)
        if not self.skipping or structural:
            self.main.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.skipping = [s for s in self.skipping if s[0] not in ("head", "title")]
        if tag not in _HTML_VOID and (tag in _HTML_ALWAYS_SKIP or tag in _HTML_FURNITURE
                                      or _hidden(attrs)):
            furniture_only = tag in _HTML_FURNITURE and not _hidden(attrs)
            self.skipping.append((tag, furniture_only))
            return
        self._block_break(tag)
        if tag == "li":
            self._emit("- ")
        elif tag in ("td", "th"):
            if self.cells[-1]:
                self._emit(" | ")
            self.cells[-1] += 1
        elif tag == "table":
            self.cells.append(0)
        elif tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_VOID or tag not in _HTML_ALWAYS_SKIP | _HTML_FURNITURE:
            self._block_break(tag)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.skipping) - 1, -1, -1):
            if self.skipping[i][0] == tag:
                del self.skipping[i:]
                return
        self._block_break(tag)
        if tag == "table" and len(self.cells) > 1:
            self.cells.pop()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def _block_break(self, tag: str) -> None:
        if tag in _HTML_BLOCK:
            self._emit("\n", structural=True)
        if tag == "tr":
            self.cells[-1] = 0

    def handle_data(self, data: str) -> None:
        self._emit(data if self.pre else re.sub(r"\s+", " ", data))


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    values = dict(attrs)
    style = (values.get("style") or "").replace(" ", "").lower()
    return ("hidden" in values or values.get("aria-hidden") == "true"
            or "display:none" in style)


def _html_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag, if Python knows it (Latin-1 → cp1252)."""
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", data[:4096], re.I)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # browsers ignore these without a BOM; so do we
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _read_html(data: bytes, filename: str) -> _Text:
    text, warnings = _decode(data, filename, _html_charset(data))
    parser = _HTMLText()
    deadline = time.monotonic() + LIMITS.max_html_seconds
    chunk = 256 * 1024  # html.parser re-scans buffered markup; small chunks bound each step
    for start in range(0, len(text), chunk):
        parser.feed(text[start:start + chunk])
        if time.monotonic() > deadline:
            raise FileTooLarge(f"Reading “{filename}” took longer than "
                               f"{LIMITS.max_html_seconds:g} seconds; the page is too large "
                               "or too complex. Save the policy text alone and upload that.")
    parser.close()
    main, everything = "".join(parser.main), "".join(parser.all)
    if _letters(main) < 0.15 * _letters(everything):
        # Whole pages wrapped in <form> (ASP.NET) or an unclosed <header> would vanish.
        warnings.append("The page layout is unusual; menus and footers may be included in the text.")
        main = everything
    _refuse_long_text(main, filename)
    lines = [line for line in (_tidy_line(x) for x in _normalise_chars(main).split("\n")) if line]
    return _Text(["\n".join(_merge_bullets(lines))], warnings)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


# --------------------------------------------------------------------------- DOCX

_W_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                 "http://purl.oclc.org/ooxml/wordprocessingml/main")  # transitional, strict
_MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _read_docx(data: bytes, filename: str) -> _Text:
    xml = _docx_document_xml(data, filename)
    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", xml, re.I) or b"\x00" in xml[:200]:
        # Word never writes these; DTDs enable entity-expansion attacks, UTF-16 would hide them.
        raise CorruptFile(f"“{filename}” contains XML constructs Word never writes; it was not read.")
    try:
        lines = _docx_lines(xml)
    except ET.ParseError as exc:
        raise CorruptFile(f"“{filename}” is a damaged Word document ({exc}).") from exc
    _refuse_long_text("\n".join(lines), filename)
    lines = [line for line in (_tidy_line(x) for x in _normalise_chars("\n".join(lines)).split("\n"))
             if line]
    return _Text(["\n".join(_merge_bullets(lines))])


def _docx_document_xml(data: bytes, filename: str) -> bytes:
    """Return word/document.xml after checking the archive against zip-bomb limits."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise CorruptFile(f"“{filename}” is not a Word document we can open: "
                          "the ZIP package is damaged.") from exc
    with zf:
        _check_zip_limits(zf, filename)
        if "word/document.xml" not in zf.NameToInfo:
            raise CorruptFile(f"“{filename}” is not a Word document: {_zip_kind(zf)}.")
        try:
            with zf.open("word/document.xml") as member:
                xml = member.read(LIMITS.max_docx_uncompressed + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
                OSError, ValueError) as exc:
            raise CorruptFile(f"“{filename}” is a damaged or password-protected Word "
                              "document.") from exc
    if len(xml) > LIMITS.max_docx_uncompressed:  # the header lied about the size
        raise FileTooLarge(_docx_too_large(filename))
    return xml


def _check_zip_limits(zf: zipfile.ZipFile, filename: str) -> None:
    infos = zf.infolist()
    if len(infos) > LIMITS.max_zip_members:
        raise FileTooLarge(f"“{filename}” holds more than {LIMITS.max_zip_members:,} parts; "
                           "it is not a normal Word document.")
    if sum(info.file_size for info in infos) > LIMITS.max_docx_uncompressed:
        raise FileTooLarge(_docx_too_large(filename))
    for info in infos:
        if info.file_size > MiB and info.file_size > LIMITS.max_zip_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise FileTooLarge(f"“{filename}” contains a part that unpacks {ratio:,}-fold; "
                               "it looks like a zip bomb and was not read.")


def _docx_too_large(filename: str) -> str:
    return (f"“{filename}” unpacks to more than {LIMITS.max_docx_uncompressed / MiB:g} MB, "
            "the limit for a Word document.")


def _zip_kind(zf: zipfile.ZipFile) -> str:
    names = zf.NameToInfo
    if "xl/workbook.xml" in names:
        return "it is an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "it is a PowerPoint presentation"
    if "mimetype" in names and "content.xml" in names:
        return "it is an OpenDocument file — save it as .docx or PDF"
    return "it is a ZIP archive without word/document.xml"


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


class _DocxWalker:
    """Stream word/document.xml: paragraphs to lines, table rows to "cell | cell" lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.rows: list[list[list[str]]] = []  # per open table: cells of the current row
        self.fallback = 0  # inside mc:Fallback, which repeats mc:Choice content

    def start(self, elem: ET.Element) -> None:
        namespace, name = _local(elem.tag)
        if namespace == _MC_NAMESPACE and name == "Fallback":
            self.fallback += 1
        elif namespace in _W_NAMESPACES:
            if name == "tbl":
                self.rows.append([])
            elif name == "tr" and self.rows:
                self.rows[-1] = []
            elif name == "tc" and self.rows:
                self.rows[-1].append([])

    def end(self, elem: ET.Element) -> None:
        namespace, name = _local(elem.tag)
        if namespace == _MC_NAMESPACE and name == "Fallback":
            self.fallback -= 1
            elem.clear()
        elif namespace in _W_NAMESPACES:
            if name == "p":
                if not self.fallback:
                    self._add(_paragraph_text(elem, namespace))
                elem.clear()  # keeps memory flat: the text is taken
            elif name == "tr" and self.rows:
                cells = [" ".join(part for part in cell if part) for cell in self.rows[-1]]
                self.rows[-1] = []
                self._add(" | ".join(cell for cell in cells if cell), outer=True)
            elif name == "tbl" and self.rows:
                self.rows.pop()

    def _add(self, text: str, *, outer: bool = False) -> None:
        """Put text in the open table cell (the enclosing table's, for a finished row)."""
        cells = self.rows[-2 if outer else -1] if len(self.rows) > outer else None
        if cells:
            cells[-1].append(text)
        elif text:
            self.lines.append(text)


def _paragraph_text(p: ET.Element, namespace: str) -> str:
    """Text of one w:p: w:t runs, w:tab as a space, w:br/w:cr as a line break."""
    w = "{%s}" % namespace
    parts: list[str] = []
    for elem in p.iter():
        tag = elem.tag
        if tag == w + "t":
            parts.append(elem.text or "")
        elif tag in (w + "tab", w + "ptab"):
            parts.append(" ")
        elif tag in (w + "br", w + "cr"):
            parts.append("\n")
        elif tag == w + "noBreakHyphen":
            parts.append("-")
    text = "".join(parts)
    props = p.find(w + "pPr")
    if props is not None and text.strip() and _is_list_paragraph(props, w):
        text = "- " + text.lstrip()
    return text


def _is_list_paragraph(props: ET.Element, w: str) -> bool:
    if props.find(w + "numPr") is not None:
        return True
    style = props.find(w + "pStyle")
    return style is not None and (style.get(w + "val") or "").lower().startswith("list")


def _docx_lines(xml: bytes) -> list[str]:
    parser = ET.XMLPullParser(events=("start", "end"))
    walker = _DocxWalker()
    for offset in range(0, len(xml), MiB):
        parser.feed(xml[offset:offset + MiB])
        _drain(parser, walker)
    parser.close()
    _drain(parser, walker)
    return walker.lines


def _drain(parser: ET.XMLPullParser, walker: _DocxWalker) -> None:
    for event, elem in parser.read_events():
        (walker.start if event == "start" else walker.end)(elem)


# --------------------------------------------------------------------------- PDF

# What we tell pypdf while reading (field names of pypdf.Configuration, pypdf >= 6.6).
def _pdf_config() -> dict[str, int]:
    stream = LIMITS.max_pdf_stream_bytes
    return {
        "zlib_maximum_output_length": stream,
        "lzw_maximum_output_length": stream,
        "run_length_maximum_output_length": stream,
        "brotli_maximum_output_length": stream,
        "array_based_stream_maximum_output_length": stream,
        "maximum_declared_stream_length": max(stream, LIMITS.max_bytes),
        "stream_decoding_work_maximum_length": 4 * stream,
        "stream_parsing_work_maximum_count": LIMITS.max_pdf_stream_tokens,
        "xform_maximum_invocations_per_extraction": 500,
    }


@contextlib.contextmanager
def _pdf_limits() -> Iterator[None]:
    """Apply our tighter pypdf limits for the duration of one read (a context variable)."""
    if not hasattr(pypdf, "apply_configuration"):  # older pypdf: its module defaults apply
        yield
        return
    known = {f.name for f in dataclasses.fields(pypdf.Configuration)}
    with pypdf.apply_configuration(**{k: v for k, v in _pdf_config().items() if k in known}):
        yield


class _OutOfTime(Exception):
    """Raised from inside pypdf's text extraction when the time budget is spent."""


def _read_pdf(data: bytes, filename: str) -> _Text:
    with _pdf_limits():
        reader = _open_pdf(data, filename)
        raw_pages, warnings = _extract_pages(reader, filename)
    return _Text(_structure_pdf(raw_pages, filename, warnings), warnings)


def _open_pdf(data: bytes, filename: str) -> pypdf.PdfReader:
    """Open with pypdf, unlock owner-only encryption, refuse too many pages."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise EncryptedPDF(f"This PDF is encrypted with a password, so “{filename}” cannot be "
                               "read. Ask the vendor for an unprotected copy, or open it, "
                               "print it to a new PDF and upload that.")
        n_pages = len(reader.pages)
    except ExtractError:
        raise
    except pdf_errors.DependencyError as exc:
        raise EncryptedPDF(_crypto_missing(filename)) from exc
    except pdf_errors.LimitReachedError as exc:
        raise FileTooLarge(f"“{filename}” is too large or complex to read ({exc}).") from exc
    except Exception as exc:  # pypdf raises many types for damaged files
        raise CorruptFile(_damaged_pdf(data, filename)) from exc
    if n_pages == 0:
        raise CorruptFile(f"“{filename}” is a PDF without pages.")
    if n_pages > LIMITS.max_pages:
        raise FileTooLarge(f"“{filename}” has {n_pages:,} pages; the limit is "
                           f"{LIMITS.max_pages:,}. Upload the privacy policy pages only.")
    return reader


def _damaged_pdf(data: bytes, filename: str) -> str:
    # pypdf cannot rebuild a PDF whose end (trailer, cross-reference table) is missing.
    if b"%%EOF" not in data[-4096:]:
        return (f"“{filename}” is an incomplete PDF: its end is missing, so it cannot be read. "
                "Was the download or upload cut short? Download it again.")
    return f"“{filename}” is a damaged PDF and cannot be read."


def _crypto_missing(filename: str) -> str:
    return (f"This PDF is encrypted with AES, so “{filename}” cannot be read here: the server "
            "lacks the 'cryptography' package that decrypting it needs. Ask an administrator "
            "to install it, or upload an unprotected copy (print it to a new PDF).")


def _extract_pages(reader: pypdf.PdfReader, filename: str) -> tuple[list[str | None], list[str]]:
    """Extract each page's raw text; None for a page skipped for a limit or damage."""
    deadline = time.monotonic() + LIMITS.max_pdf_seconds
    n = len(reader.pages)
    texts: list[str | None] = []
    skipped: dict[str, list[int]] = {"limit": [], "damaged": []}
    total = 0
    for number in range(1, n + 1):
        if time.monotonic() > deadline:
            raise FileTooLarge(_pdf_too_slow(filename, number, n))
        try:
            text = _page_text(reader.pages[number - 1], _clock(deadline))
        except _OutOfTime as exc:
            raise FileTooLarge(_pdf_too_slow(filename, number, n)) from exc
        except pdf_errors.DependencyError as exc:
            raise EncryptedPDF(_crypto_missing(filename)) from exc
        except pdf_errors.LimitReachedError:
            skipped["limit"].append(number)
            text = None
        except (MemoryError, RecursionError):
            raise
        except Exception:  # one damaged page should not cost the whole policy
            log.info("page %d of %r could not be read", number, filename, exc_info=True)
            skipped["damaged"].append(number)
            text = None
        total += len(text or "")
        if total > 2 * LIMITS.max_chars:  # raw text; the exact check is on the final text
            raise FileTooLarge(_too_many_chars(filename))
        texts.append(text)
    return texts, _skip_warnings(texts, skipped, filename)


def _page_text(page: pypdf.PageObject, clock: Callable[..., None]) -> str:
    """Extract a page's text, with a blank line wherever the layout shows a paragraph gap.

    pypdf's visitor sees every piece of text with its position; the pieces concatenate to
    the extracted text, so each output line gets the height it stands at.
    """
    pieces: list[tuple[str, float | None]] = []

    def visit_text(text: str, cm, tm, _font, _size) -> None:
        # Baseline height on the page: the text matrix origin mapped through the CTM.
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5] if text.strip() else None
        pieces.append((text, y))

    text = page.extract_text(visitor_operand_before=clock, visitor_text=visit_text)
    if "".join(piece for piece, _ in pieces) != text:
        return text  # pypdf rearranged the text (e.g. rotated pages): no reliable geometry
    return _mark_paragraph_gaps(pieces)


def _mark_paragraph_gaps(pieces: list[tuple[str, float | None]]) -> str:
    """Join text pieces into lines, adding a blank line before a line that starts a paragraph.

    A paragraph starts where the distance to the previous line exceeds 1.3 times the usual
    line spacing (the 20th percentile of the page's line distances, so pages made mostly of
    one-line paragraphs still find their line spacing), or where the text jumps up the
    page (a new column). Pages with fewer than five measurable gaps are left alone.
    """
    lines: list[str] = [""]
    heights: list[float | None] = [None]
    for piece, y in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                lines.append("")
                heights.append(None)
            lines[-1] += part
            if heights[-1] is None and part.strip() and y is not None:
                heights[-1] = y
                y = None  # the position belongs to the first part of the piece
    known = [(i, h) for i, h in enumerate(heights) if h is not None]
    steps = [(i, above - h) for (_, above), (i, h) in zip(known, known[1:])]
    downward = sorted(gap for _, gap in steps if gap > 0.5)
    if len(downward) < 5:
        return "\n".join(lines)
    spacing = downward[len(downward) // 5]
    starts = {i for i, gap in steps if gap > 1.3 * spacing or gap < -0.5 * spacing}
    return "\n".join(("\n" if i in starts else "") + line for i, line in enumerate(lines))


def _clock(deadline: float) -> Callable[..., None]:
    """A pypdf operator visitor that aborts extraction once `deadline` has passed."""
    count = 0

    def visit(*_args) -> None:
        nonlocal count
        count += 1
        if count % 256 == 0 and time.monotonic() > deadline:
            raise _OutOfTime
    return visit


def _pdf_too_slow(filename: str, number: int, n: int) -> str:
    return (f"Reading “{filename}” took longer than {LIMITS.max_pdf_seconds:g} seconds "
            f"(stopped at page {number} of {n}); it is too large or too complex. "
            "Upload the privacy policy pages only.")


def _skip_warnings(texts: list[str | None], skipped: dict[str, list[int]],
                   filename: str) -> list[str]:
    if all(text is None for text in texts):
        if skipped["limit"]:
            raise FileTooLarge(f"“{filename}” has page content that unpacks beyond "
                               f"{LIMITS.max_pdf_stream_bytes / MiB:g} MB or "
                               f"{LIMITS.max_pdf_stream_tokens:,} drawing operations; it looks "
                               "damaged or deliberately oversized and was not read.")
        raise CorruptFile(f"“{filename}” is damaged: none of its pages could be read.")
    warnings = []
    if skipped["limit"]:
        warnings.append(f"{_pages_phrase(skipped['limit'])} too large or complex to read "
                        "and skipped; facts there will be missed.")
    if skipped["damaged"]:
        warnings.append(f"{_pages_phrase(skipped['damaged'])} damaged and skipped; "
                        "facts there will be missed.")
    return warnings


def _pages_phrase(numbers: list[int]) -> str:
    """ "Page 3 was" / "Pages 2, 5–7 were", compressing runs."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    shown = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs[:10])
    if len(runs) > 10:
        shown += ", …"
    return f"Page {shown} was" if len(numbers) == 1 else f"Pages {shown} were"


def _structure_pdf(raw_pages: list[str | None], filename: str, warnings: list[str]) -> list[str]:
    """Turn raw page texts into clean page texts (see `_clean_pdf_pages`), or refuse scans."""
    pages = _clean_pdf_pages([_lines(text or "") for text in raw_pages])
    chars = [sum(len(line.replace(" ", "")) for line in lines) for lines in pages]
    if sum(chars) < 20 * len(pages):
        raise ScannedPDF(f"This PDF has no text layer — it looks scanned, so “{filename}” "
                         "cannot be read. Ask the vendor for a text PDF or run OCR on it first.")
    blank = [number for number, count in enumerate(chars, start=1)
             if count < 5 and raw_pages[number - 1] is not None]
    if blank:
        warnings.append(f"{_pages_phrase(blank)} without text (scanned images or blank); "
                        "facts there will be missed.")
    return ["\n".join(lines) for lines in pages]


def _clean_pdf_pages(pages: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers, rejoin broken words and wrapped lines, per page."""
    pages = _strip_running_lines(pages)  # "" lines stay: they mark paragraph gaps
    vocab = _vocabulary(line for lines in pages for line in lines)
    width = _typical_width([line for lines in pages for line in lines])
    cleaned = []
    for lines in pages:
        lines = _rejoin_single_words(lines)
        lines = _merge_bullets(_dehyphenate(lines, vocab))
        cleaned.append(_reflow(lines, width, soft_gaps=True))
    return _join_across_pages(cleaned, width, vocab)


def _join_across_pages(pages: list[list[str]], width: float | None,
                       vocab: frozenset[str]) -> list[list[str]]:
    """Move a paragraph's continuation at the top of a page to the page it started on.

    So a sentence (or word: "marke-" / "ting") broken by a page break stays whole, cited at
    the page where it starts.
    """
    previous: list[str] | None = None
    for lines in pages:
        if previous and lines:
            joined = _dehyphenate([previous[-1], lines[0]], vocab)
            if len(joined) == 1:
                previous[-1] = joined[0]
                lines.pop(0)
            elif _continues(previous[-1], lines[0], width):
                previous[-1] = f"{previous[-1]} {lines.pop(0)}"
        if lines:
            previous = lines
    return pages


_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|seite|página|pagina|pag\.)\s*)?[-–—(\[]?\s*"
    r"(?:\d{1,4}|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))\s*[-–—)\]]?"  # 1–9999 or i–xxxix
    r"(?:\s*(?:of|/|von|de|sur|di)\s*\d{1,4})?$", re.I)
_EDGE = 3  # lines at the top and the bottom of a page that may be header or footer


def _edge_key(line: str) -> str:
    """Compare header/footer lines ignoring case and digits ("Page 3 of 9" ~ "Page 4 of 9")."""
    return re.sub(r"\d+", "#", line.lower())


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers and footers and page numbers from the edges of each page.

    A line is running if, digits ignored, it stands within three lines of the top or
    bottom of at least 40 % of the pages (two at least; 80 % for a single word, since
    one-word-per-line pages put common words at every edge). Bare page numbers and
    "Page N of M" within two lines of an edge go on any page.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        text_lines = [line for line in lines if line]
        counts.update({_edge_key(line) for line in text_lines[:_EDGE] + text_lines[-_EDGE:]})
    n = len(pages)
    running = {key for key, count in counts.items()
               if n >= 2 and count >= max(2, math.ceil((0.8 if " " not in key else 0.4) * n))
               and not _MARKER_ONLY.match(key)}
    out = []
    for lines in pages:
        filled = [i for i, line in enumerate(lines) if line]
        edge, near = set(filled[:_EDGE] + filled[-_EDGE:]), set(filled[:2] + filled[-2:])
        out.append([line for i, line in enumerate(lines)
                    if not (i in edge and _edge_key(line) in running)
                    and not (i in near and _PAGE_NUMBER.match(line))])
    return out


_READERS: dict[str, Callable[[bytes, str], _Text]] = {
    "pdf": _read_pdf, "txt": _read_txt, "md": _read_md, "html": _read_html, "docx": _read_docx,
}
