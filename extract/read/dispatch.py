"""Which reader a file gets: the suffix, checked against the content (a PDF or DOCX with the
wrong suffix is read for what it is, with a warning; an image or program is refused), then the
format's reader, then assembly into a `Document`."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from extract.errors import CorruptFile, EmptyFile, FileTooLarge, UnsupportedFileType
from extract.model import Document

from .assemble import Text, document
from .docx import read_docx
from .html import read_html
from .limits import current, too_large_message
from .markdown import read_md
from .pdf import read_pdf
from .plain import read_txt

__all__ = ["SUPPORTED_SUFFIXES", "READERS", "read", "detect_type"]

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".docx")
_SUFFIX_TYPES = {".pdf": "pdf", ".txt": "txt", ".md": "md", ".markdown": "md",
                 ".html": "html", ".htm": "html", ".docx": "docx"}
_ACCEPTED = "PDF, TXT, Markdown (.md), HTML or Word (.docx)"

READERS: dict[str, Callable[[bytes, str], Text]] = {
    "pdf": read_pdf, "txt": read_txt, "md": read_md, "html": read_html, "docx": read_docx,
}


def read(data: bytes, filename: str) -> Document:
    """Detect the type, run its reader, assemble the `Document` (errors propagate)."""
    media_type, warnings = detect_type(data, filename)
    result = READERS[media_type](data, filename)
    return document(filename, data, media_type, result.pages, warnings + result.warnings,
                    result.ocr)


def detect_type(data: bytes, filename: str) -> tuple[str, list[str]]:
    """Return the media type to read `data` as, from its suffix checked against its content."""
    suffix = Path(filename).suffix.lower()
    if suffix not in _SUFFIX_TYPES:
        shown = suffix or "without a file extension"
        raise UnsupportedFileType(f"“{filename}” is {'a ' + shown + ' file' if suffix else shown}; "
                                  f"this tool reads {_ACCEPTED} files.")
    if not data:
        raise EmptyFile(f"“{filename}” is empty (0 bytes). Upload the file again.")
    if len(data) > current().max_bytes:
        raise FileTooLarge(too_large_message(filename))
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
