"""PDF (.pdf), the pypdf side: open (owner-only encryption unlocked), refuse too many pages,
extract each page's text with its layout gaps, within pypdf limits tightened for the read and
a wall-clock budget. Pages without a usable text layer are read by OCR (`ocr.read_scans`)
when tesseract is installed. The page texts are then cleaned by `pdf_pages.structure_pdf`.

pypdf is imported with this module, hence with `extract.read` (as it always was); pages that
must paint without it import `extract.read` only when a file is read.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import time
from collections.abc import Callable, Iterator

import pypdf
from pypdf import errors as pdf_errors

from extract.errors import CorruptFile, EncryptedPDF, ExtractError, FileTooLarge

from .assemble import Text
from .limits import MiB, current, too_many_chars
from .ocr import HOW_TO_ENABLE, OcrRead, read_scans
from .pdf_pages import pages_phrase, structure_pdf
from .pdf_tables import PdfLine, mark_tables

__all__ = ["read_pdf"]

log = logging.getLogger(__name__)
# pypdf logs every repaired xref or odd object as a warning; real vendor PDFs are full of them
# and the reader reports what matters to the user itself, so only pypdf's errors get through.
logging.getLogger("pypdf").setLevel(logging.ERROR)


# What we tell pypdf while reading (field names of pypdf.Configuration, pypdf >= 6.6).
def _pdf_config() -> dict[str, int]:
    limits = current()
    stream = limits.max_pdf_stream_bytes
    return {
        "zlib_maximum_output_length": stream,
        "lzw_maximum_output_length": stream,
        "run_length_maximum_output_length": stream,
        "brotli_maximum_output_length": stream,
        "array_based_stream_maximum_output_length": stream,
        "maximum_declared_stream_length": max(stream, limits.max_bytes),
        "stream_decoding_work_maximum_length": 4 * stream,
        "stream_parsing_work_maximum_count": limits.max_pdf_stream_tokens,
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


def read_pdf(data: bytes, filename: str) -> Text:
    with _pdf_limits():
        reader = _open_pdf(data, filename)
        raw_pages, warnings = _extract_pages(reader, filename)
    scans = read_scans(data, raw_pages, filename, warnings)
    for number, text in scans.texts.items():
        raw_pages[number - 1] = text
    pages = structure_pdf(raw_pages, filename, warnings, *_scan_notes(scans))
    return Text(pages, warnings, ocr=dict(scans.confidence))


def _scan_notes(scans: OcrRead) -> tuple[str, str]:
    """What the refusal of a PDF without text, and the warning about its pages without
    text, add: how to enable OCR when it is off, or that OCR found nothing either."""
    if not scans.enabled:
        return f"Ask the vendor for a text PDF. {HOW_TO_ENABLE}", HOW_TO_ENABLE
    if scans.wanted:
        return ("OCR found no readable text in it either; ask the vendor for a text PDF.", "")
    return "", ""


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
    max_pages = current().max_pages
    if n_pages > max_pages:
        raise FileTooLarge(f"“{filename}” has {n_pages:,} pages; the limit is "
                           f"{max_pages:,}. Upload the privacy policy pages only.")
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
    limits = current()
    deadline = time.monotonic() + limits.max_pdf_seconds
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
        if total > 2 * limits.max_chars:  # raw text; the exact check is on the final text
            raise FileTooLarge(too_many_chars(filename))
        texts.append(text)
    return texts, _skip_warnings(texts, skipped, filename)


def _page_text(page: pypdf.PageObject, clock: Callable[..., None]) -> str:
    """Extract a page's text, with a blank line wherever the layout shows a paragraph gap and
    each table row's cells joined by `model.CELL_SEPARATOR` (`pdf_tables.mark_tables`).

    pypdf's visitor sees every piece of text with its position; the pieces concatenate to
    the extracted text, so each output line gets the height it stands at and the x where each
    of its pieces starts.
    """
    pieces: list[tuple[str, float | None, float | None]] = []

    def visit_text(text: str, cm, tm, _font, _size) -> None:
        # Origin on the page: the text matrix origin mapped through the CTM.
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            pieces.append((text, x, y))
        else:
            pieces.append((text, None, None))

    text = page.extract_text(visitor_operand_before=clock, visitor_text=visit_text)
    if "".join(piece for piece, _, _ in pieces) != text:
        return text  # pypdf rearranged the text (e.g. rotated pages): no reliable geometry
    return _mark_paragraph_gaps(mark_tables(_lines(pieces)))


def _lines(pieces: list[tuple[str, float | None, float | None]]) -> list[PdfLine]:
    """Split the pieces into lines at their newlines. A piece's position belongs to its
    first non-blank part."""
    lines = [PdfLine()]
    for piece, x, y in pieces:
        for i, part in enumerate(piece.split("\n")):
            if i:
                lines.append(PdfLine())
            if not part.strip():
                lines[-1].parts.append((None, None, part))
                continue
            lines[-1].parts.append((x, y, part))
            x = y = None
    return lines


def _mark_paragraph_gaps(lines: list[tuple[str, float | None]]) -> str:
    """Join the lines, adding a blank line before a line that starts a paragraph.

    A paragraph starts where the distance to the previous line exceeds 1.3 times the usual
    line spacing (the 20th percentile of the page's line distances, so pages made mostly of
    one-line paragraphs still find their line spacing), or where the text jumps up the
    page (a new column). Pages with fewer than five measurable gaps are left alone.
    """
    known = [(i, h) for i, (_, h) in enumerate(lines) if h is not None]
    steps = [(i, above - h) for (_, above), (i, h) in zip(known, known[1:])]
    downward = sorted(gap for _, gap in steps if gap > 0.5)
    if len(downward) < 5:
        return "\n".join(line for line, _ in lines)
    spacing = downward[len(downward) // 5]
    starts = {i for i, gap in steps if gap > 1.3 * spacing or gap < -0.5 * spacing}
    return "\n".join(("\n" if i in starts else "") + line for i, (line, _) in enumerate(lines))


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
    return (f"Reading “{filename}” took longer than {current().max_pdf_seconds:g} seconds "
            f"(stopped at page {number} of {n}); it is too large or too complex. "
            "Upload the privacy policy pages only.")


def _skip_warnings(texts: list[str | None], skipped: dict[str, list[int]],
                   filename: str) -> list[str]:
    if all(text is None for text in texts):
        limits = current()
        if skipped["limit"]:
            raise FileTooLarge(f"“{filename}” has page content that unpacks beyond "
                               f"{limits.max_pdf_stream_bytes / MiB:g} MB or "
                               f"{limits.max_pdf_stream_tokens:,} drawing operations; it looks "
                               "damaged or deliberately oversized and was not read.")
        raise CorruptFile(f"“{filename}” is damaged: none of its pages could be read.")
    warnings = []
    if skipped["limit"]:
        warnings.append(f"{pages_phrase(skipped['limit'])} too large or complex to read "
                        "and skipped; facts there will be missed.")
    if skipped["damaged"]:
        warnings.append(f"{pages_phrase(skipped['damaged'])} damaged and skipped; "
                        "facts there will be missed.")
    return warnings
