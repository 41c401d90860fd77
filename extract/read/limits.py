"""How much one file may cost to read: `Limits`, the limits in force, and the refusals.

The limits a deployment sets come from the settings (`extract.settings`), read once
when this module is imported, exactly as before the settings object existed:
PRIVACY_MAX_UPLOAD_MB → `max_bytes`, PRIVACY_MAX_PAGES → `max_pages`,
PRIVACY_MAX_PDF_SECONDS → `max_pdf_seconds`; and for OCR (`extract.read.ocr`)
PRIVACY_MAX_OCR_PAGES → `max_ocr_pages`, PRIVACY_OCR_PAGE_SECONDS → `max_ocr_page_seconds`,
PRIVACY_MAX_OCR_SECONDS → `max_ocr_seconds`.

The limits in force are `extract.read.LIMITS`; a caller (a test, a tool) may replace that
attribute, so the readers ask `current()` each time instead of keeping their own copy.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from extract.errors import FileTooLarge
from extract.settings import settings

__all__ = ["MiB", "Limits", "LIMITS", "current", "too_large_message", "too_many_chars",
           "refuse_long_text"]

MiB = 1 << 20

_ENV = settings()  # the PRIVACY_* environment at import time (defaults of `Limits`)


@dataclass(frozen=True)
class Limits:
    """Upper bounds for reading one file. Exceeding one raises `FileTooLarge`, except the
    two per-stream PDF limits, which skip the page (with a warning) unless no page is left.

    max_bytes: size of the upload (env PRIVACY_MAX_UPLOAD_MB).
    max_pages: pages of a PDF, checked before any page is read (env PRIVACY_MAX_PAGES).
    max_chars: characters of text, before and after normalisation.
    max_pdf_seconds: wall-clock budget for a PDF, checked between pages and every few
        hundred content-stream operators (env PRIVACY_MAX_PDF_SECONDS).
    max_ocr_pages: scanned pages (no usable text layer) read by OCR; later ones are
        skipped with a warning (env PRIVACY_MAX_OCR_PAGES).
    max_ocr_page_seconds: tesseract's time for one page, then it is stopped and the page
        skipped with a warning (env PRIVACY_OCR_PAGE_SECONDS).
    max_ocr_seconds: OCR time for one file; pages after it are skipped with a warning, or
        the file refused if no page was read (env PRIVACY_MAX_OCR_SECONDS).
    max_html_seconds: wall-clock budget for parsing HTML, checked between 256 KB chunks.
    max_html_tags: "<" in an HTML page (tags, counted before parsing; about 100,000
        elements); a page over it is refused before it is parsed.
    max_html_attributes: attributes in an HTML page, "name=" counted before parsing and
        every attribute counted while parsing.
    max_html_tag_chars: the longest tag, comment or declaration (from "<" to ">"), before
        parsing and while parsing (an unfinished one growing past it is refused at once).
    max_html_entities: character references ("&…;") in an HTML page, before parsing.
    max_docx_tags: XML tags in word/document.xml, counted before parsing.
    max_pdf_stream_bytes: what one PDF stream may inflate to (pypdf's own default: 75 MB);
        a page whose stream is larger is skipped with a warning.
    max_pdf_stream_tokens: operators/operands parsed per content stream (pypdf's default
        is 2,000,000, about 40 s and 250 MB of work); a page over it is skipped.
    max_docx_uncompressed: declared unpacked size of all DOCX members together, and the
        most bytes read from word/document.xml whatever its header claims.
    max_zip_ratio: unpacked/packed ratio allowed for a DOCX member over 1 MiB.
    max_zip_members: entries in a DOCX archive.
    """

    max_bytes: int = _ENV.max_upload_bytes
    max_pages: int = _ENV.max_pages
    max_chars: int = 3_000_000
    max_pdf_seconds: float = _ENV.max_pdf_seconds
    max_ocr_pages: int = _ENV.max_ocr_pages
    max_ocr_page_seconds: float = _ENV.ocr_page_seconds
    max_ocr_seconds: float = _ENV.max_ocr_seconds
    max_html_seconds: float = 60.0
    max_html_tags: int = 200_000
    max_html_attributes: int = 400_000
    max_html_tag_chars: int = 1 * MiB
    max_html_entities: int = 300_000
    max_docx_tags: int = 500_000
    max_pdf_stream_bytes: int = 16 * MiB
    max_pdf_stream_tokens: int = 250_000
    max_docx_uncompressed: int = 50 * MiB
    max_zip_ratio: int = 200
    max_zip_members: int = 5000


LIMITS = Limits()


def current() -> Limits:
    """The limits in force: `extract.read.LIMITS` (this module's `LIMITS` until replaced)."""
    package = sys.modules.get(__package__)
    return getattr(package, "LIMITS", LIMITS)


def too_large_message(filename: str) -> str:
    return (f"“{filename}” is larger than the {current().max_bytes / MiB:g} MB upload limit. "
            "Upload a smaller file, e.g. the policy pages only.")


def too_many_chars(filename: str) -> str:
    return (f"“{filename}” holds more than {current().max_chars:,} characters of text, "
            "the limit for one policy.")


def refuse_long_text(text: str, filename: str) -> None:
    """Refuse decoded text far beyond the character limit before structuring it."""
    # Markup and spacing shrink a little when read; far beyond the limit, skip the work.
    if len(text) > 2 * current().max_chars:
        raise FileTooLarge(too_many_chars(filename))
