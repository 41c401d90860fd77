"""Read an uploaded policy file (PDF, TXT, Markdown, HTML, DOCX) into a `Document`.

The result is one normalised text: one line per paragraph, heading or list item ("- " or
"1." / "(a)" markers kept), lines joined by "\\n", pages joined by "\\n\\n", with each
`Page` giving its span of the text. Every failure a reviewer can cause is raised as an
`ExtractError` subclass whose message is meant for them; nothing else escapes
`read_document`.

Limits (see `Limits`, `LIMITS`) protect the app from hostile or absurd files: upload size,
page count, characters of text, wall-clock time, PDF stream inflation and parsing work,
DOCX unpacked size. pypdf's own guards are tightened while we read (see `pdf._pdf_config`).
`LIMITS` here is the one in force: replace it (e.g. `monkeypatch.setattr`) to change them.
HTML and Word XML are checked before parsing (`markup`) and bounded while parsed.

`read_document_isolated` is the same read in a worker process with a memory and a time limit
(`worker`): the app reads uploads that way, so one heavy file cannot stall other sessions.

The package, one module per concern:

    dispatch    suffix checked against content → the format's reader → assemble
    assemble    `Text` (a reader's pages and warnings) → `Document`; the English check
    limits      `Limits` (from `extract.settings`), the limits in force, size refusals
    lines       shared line shaping: characters, bullets, hyphens, wrapped lines
    decode      text bytes → str (BOMs, charsets, UTF-16 without BOM)
    markup      cheap checks of HTML and Word XML before parsing (tags, attributes, ...)
    worker      `read_document_isolated`: the read in a limited worker process
    plain markdown html docx      one reader per format
    pdf         the pypdf side: open, limits, per-page text with layout gaps
    pdf_pages   PDF page texts → clean pages (repairs, running headers, page breaks)
    pdf_tables  PDF tables from where the text pieces stand → rows with " | " between cells
    ocr         PDF pages without a text layer → text by OCR (pypdfium2 + tesseract)
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from extract.errors import CorruptFile, ExtractError, FileTooLarge
from extract.model import Document

from .assemble import NOT_ENGLISH_WARNING  # noqa: F401 - part of the API (warnings)
from .dispatch import SUPPORTED_SUFFIXES, read
from .limits import LIMITS, MiB, Limits, current, too_large_message  # noqa: F401 - MiB as before
from .worker import read_document_isolated
from .ocr import ocr_progress

__all__ = ["read_document", "read_document_isolated", "read_path", "SUPPORTED_SUFFIXES", "LIMITS", "Limits",
           "ocr_progress"]

log = logging.getLogger(__name__)


def read_path(path: str | os.PathLike) -> Document:
    """Read the file at `path` (see `read_document`); OSErrors such as a missing file propagate."""
    path = Path(path)
    max_bytes = current().max_bytes
    if path.stat().st_size > max_bytes:  # refuse before reading it into memory
        raise FileTooLarge(too_large_message(path.name))
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    return read_document(data, path.name)


def read_document(data: bytes, filename: str) -> Document:
    """Read one uploaded file into a normalised `Document`.

    The type comes from the suffix, checked against the content (a PDF or DOCX with the
    wrong suffix is read for what it is, with a warning). Raises only `ExtractError`
    subclasses: UnsupportedFileType, EmptyFile, FileTooLarge, EncryptedPDF, ScannedPDF,
    CorruptFile, NoPolicyText.
    """
    try:
        return read(bytes(data), str(filename))
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
