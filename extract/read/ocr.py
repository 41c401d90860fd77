"""OCR for PDF pages without a usable text layer: pypdfium2 renders, Debian's tesseract reads.

`read_scans` finds the pages whose text layer is (nearly) empty but that draw an image or
many shapes, renders each at `DPI` and reads it with tesseract (`pytesseract.image_to_data`,
for the words and their confidences). The text is rebuilt line by line with a blank line
between tesseract's paragraphs, the shape `pdf._page_text` gives, so it flows through the same
page cleaning. Each page read gets its mean word confidence (0–1), kept on the `Page`.

Bounded by `Limits` (pages, seconds per page, seconds in all); pages past a limit are named
in a warning. Without tesseract (or its English data), nothing is read and the callers say
how to enable OCR (`HOW_TO_ENABLE`). `ocr_progress` lets a caller follow the pages.

PDFium is not thread-safe (not even across documents), so every pypdfium2 call holds one
process-wide lock; tesseract runs outside it, in its own process.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from extract.errors import FileTooLarge

from .limits import current
from .pdf_pages import pages_phrase

__all__ = ["DPI", "HOW_TO_ENABLE", "OcrRead", "available", "read_scans", "ocr_progress",
           "current_progress", "OnPage", "words_to_text"]

log = logging.getLogger(__name__)

# Tesseract's recommended resolution: 200 dpi is a third faster, but its documentation has
# accuracy falling off below 10-point print at 300 dpi, and policies use small print.
DPI = 300
MAX_PIXELS = 12_000_000  # A4 at 300 dpi is 8.7 MP; larger pages are rendered at lower dpi
LANGUAGE = "eng"
HOW_TO_ENABLE = ("To read scanned PDFs, an administrator can enable OCR on this server: "
                 "apt-get install tesseract-ocr tesseract-ocr-eng.")
_THIN_TEXT = 20  # letters: a page with fewer has no usable text layer
_PDFIUM = threading.Lock()

# (i, n, filename): page i of the n pages this file sends to OCR is about to be read.
OnPage = Callable[[int, int, str], None]
_ON_PAGE: contextvars.ContextVar[OnPage | None] = contextvars.ContextVar("ocr_on_page",
                                                                        default=None)


@contextlib.contextmanager
def ocr_progress(on_page: OnPage) -> Iterator[None]:
    """Call `on_page(i, n, filename)` before each page OCR reads in this context (thread)."""
    token = _ON_PAGE.set(on_page)
    try:
        yield
    finally:
        _ON_PAGE.reset(token)


def current_progress() -> OnPage | None:
    """The callback `ocr_progress` set in this context, if any (the isolated read forwards
    its worker's progress to it)."""
    return _ON_PAGE.get()


@dataclass
class OcrRead:
    """What OCR did to one PDF: text and mean word confidence per page read (1-based)."""

    texts: dict[int, str] = field(default_factory=dict)
    confidence: dict[int, float] = field(default_factory=dict)
    wanted: list[int] = field(default_factory=list)  # pages without a usable text layer
    enabled: bool = True  # False: tesseract is missing, nothing was tried


class _TesseractEnv(Mapping):
    """The environment tesseract runs in: ours, with OpenMP held to one thread.

    Tesseract's OpenMP threads spin while they wait; beside other busy processes (the
    encoder, other sessions) a page then took 10.5 s instead of 2.3 s on two cores.
    A view, not a copy, so later changes to the environment still reach tesseract."""

    def __getitem__(self, key: str) -> str:
        return "1" if key == "OMP_THREAD_LIMIT" else os.environ[key]

    def __iter__(self):
        return iter({**os.environ, "OMP_THREAD_LIMIT": "1"})

    def __len__(self) -> int:
        return len({**os.environ, "OMP_THREAD_LIMIT": "1"})


_checked: dict[str, bool] = {}


def available() -> bool:
    """Whether tesseract and its English data are installed (checked once per command),
    with the two Python packages that drive it."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError:
        return False
    cmd = str(pytesseract.pytesseract.tesseract_cmd)
    if cmd not in _checked:
        try:
            _checked[cmd] = LANGUAGE in pytesseract.get_languages()
        except Exception:  # TesseractNotFoundError, a broken install: OCR is off
            log.info("tesseract is not usable (%s)", cmd, exc_info=True)
            _checked[cmd] = False
    return _checked[cmd]


def read_scans(data: bytes, raw_pages: list[str | None], filename: str,
               warnings: list[str]) -> OcrRead:
    """OCR the pages of `data` whose text layer is unusable; warn about pages not read.

    Raises `FileTooLarge` when a limit stopped OCR before any page of the file was read.
    """
    thin = [n for n, text in enumerate(raw_pages, start=1)
            if text is not None and len(re.findall(r"[^\W\d_]", text)) < _THIN_TEXT]
    if not thin:
        return OcrRead()
    if not available():
        return OcrRead(wanted=thin, enabled=False)
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except Exception:  # pypdf read it; a PDF pdfium refuses is left as it was
            log.info("pdfium cannot open %r", filename, exc_info=True)
            return OcrRead()
    try:
        with _PDFIUM:
            wanted = [n for n in thin if _draws_something(pdf, n)]
        result = OcrRead(wanted=wanted)
        _read_pages(pdf, result, filename, warnings, has_text=len(thin) < len(raw_pages))
        return result
    finally:
        with _PDFIUM:
            pdf.close()


def _draws_something(pdf, number: int) -> bool:
    """An image over 5 % of the page, or 50 shapes or more (a scan drawn as vectors)."""
    try:
        page = pdf[number - 1]
        try:
            return _covered(page)
        finally:
            page.close()  # now, under the lock, not later by a finaliser in another thread
    except Exception:  # a page pdfium cannot parse is left as pypdf read it
        log.info("pdfium cannot inspect page %d", number, exc_info=True)
        return False


def _covered(page) -> bool:
    import pypdfium2.raw as c

    width, height = page.get_size()
    area, paths = max(width * height, 1.0), 0
    for obj in page.get_objects(filter=(c.FPDF_PAGEOBJ_IMAGE, c.FPDF_PAGEOBJ_PATH), max_depth=4):
        if obj.type == c.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= 50:
                return True
            continue
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) >= 0.05 * area:
            return True
    return False


def _read_pages(pdf, result: OcrRead, filename: str, warnings: list[str],
                has_text: bool) -> None:
    """OCR `result.wanted` within the limits, filling `result`; warn about what was left."""
    limits = current()
    deadline = time.monotonic() + limits.max_ocr_seconds
    on_page = _ON_PAGE.get()
    todo, over = result.wanted[:limits.max_ocr_pages], result.wanted[limits.max_ocr_pages:]
    slow: list[int] = []
    for i, number in enumerate(todo, start=1):
        left = deadline - time.monotonic()
        if left <= 0:
            over = todo[i - 1:] + over
            break
        if on_page is not None:
            on_page(i, len(todo), filename)
        try:
            text, confidence = _ocr_page(pdf, number, min(limits.max_ocr_page_seconds, left))
        except _TooSlow:
            if left < limits.max_ocr_page_seconds:  # the file's budget ran out, not the page's
                over = todo[i - 1:] + over
                break
            slow.append(number)
            continue
        except (MemoryError, RecursionError):
            raise
        except Exception:  # a page pdfium cannot render: reported as a page without text
            log.info("OCR of page %d of %r failed", number, filename, exc_info=True)
            continue
        if text.strip():
            result.texts[number], result.confidence[number] = text, confidence
    _limit_warnings(filename, over, slow, warnings, nothing_read=not (has_text or result.texts))


def _limit_warnings(filename: str, over: list[int], slow: list[int], warnings: list[str],
                    nothing_read: bool) -> None:
    limits = current()
    notes = []
    if over:
        notes.append(f"{pages_phrase(over)} not read by OCR: OCR reads at most "
                     f"{limits.max_ocr_pages:,} page(s) in {limits.max_ocr_seconds:g} seconds "
                     "per file")
    if slow:
        notes.append(f"{pages_phrase(slow)} not read by OCR: each took longer than "
                     f"{limits.max_ocr_page_seconds:g} seconds")
    if notes and nothing_read:
        raise FileTooLarge(f"“{filename}” has no text layer (it looks scanned) and OCR "
                           f"stopped before reading any of it. {'; '.join(notes)}. Upload the "
                           "privacy policy pages only, or a text PDF.")
    warnings.extend(f"{note}; facts there will be missed." for note in notes)


class _TooSlow(Exception):
    """Tesseract did not finish a page within its time budget."""


def _ocr_page(pdf, number: int, seconds: float) -> tuple[str, float]:
    """Render page `number` and OCR it: (text, mean word confidence 0–1)."""
    import pytesseract

    with _PDFIUM:
        page = pdf[number - 1]
        try:
            width, height = page.get_size()
            scale = min(DPI / 72, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            bitmap = page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil().copy()  # to_pil shares the bitmap's memory
            bitmap.close()
        finally:
            page.close()
    pytesseract.pytesseract.environ = _TesseractEnv()  # pytesseract's env for its Popen
    try:
        data = pytesseract.image_to_data(image, lang=LANGUAGE, config="--psm 3",
                                         timeout=seconds, output_type=pytesseract.Output.DICT)
    except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
        raise _TooSlow from exc
    return words_to_text(data)


def words_to_text(data: Mapping[str, list]) -> tuple[str, float]:
    """Tesseract's word table → (text, mean word confidence 0–1).

    Words are joined into lines; a blank line separates tesseract's paragraphs (blocks and
    paragraphs), as the text layer's reader marks paragraph gaps.
    """
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(word)
        confidences.append(conf / 100)
    out: list[str] = []
    paragraph = None
    for (block, par, _), words in lines.items():
        if paragraph is not None and (block, par) != paragraph:
            out.append("")
        paragraph = (block, par)
        out.append(" ".join(words))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return "\n".join(out), min(1.0, mean)
