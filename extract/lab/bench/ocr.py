"""OCR seconds per page: a seed set as a PDF, its pages scanned (rendered to images at 200 dpi
and wrapped as a PDF with no text layer), read by `read_document`. A page's time runs from the
reader's progress call for it to the next one (render + tesseract); the median is reported."""
from __future__ import annotations

import io
import time
import warnings

from .common import log, med, project_module

__all__ = ["bench_ocr"]

SEED = "itechno"  # four A4 pages of ordinary policy text
SCAN_DPI = 200


def _scanned_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    from extract.seeds import seed_files

    path = next(f for f in seed_files() if f.stem == SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text_pdf = project_module("tests.pdfs").pdf_from_text(path.read_text(encoding="utf-8"))
    pdf = pdfium.PdfDocument(text_pdf)
    try:
        images = [pdf[i].render(scale=SCAN_DPI / 72, grayscale=True).to_pil()
                  for i in range(min(pages, len(pdf)))]
    finally:
        pdf.close()
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=SCAN_DPI)
    return buf.getvalue()


def bench_ocr(pages: int) -> dict:
    """OCR `pages` scanned pages once; {} when tesseract is not installed."""
    from extract.read import ocr, read_document

    log("\n== OCR (scanned PDF) ==")
    if not ocr.available():
        log("  tesseract is not installed: skipped")
        return {"skipped": "tesseract not installed"}
    import pytesseract

    data = _scanned_pdf(pages)
    marks: list[float] = []
    t0 = time.perf_counter()
    with ocr.ocr_progress(lambda i, n, name: marks.append(time.perf_counter())):
        doc = read_document(data, f"{SEED}-scanned.pdf")
    marks.append(time.perf_counter())
    per_page = [b - a for a, b in zip(marks, marks[1:])]
    res = {"pages": len(per_page), "dpi": ocr.DPI, "scan_dpi": SCAN_DPI,
           "seconds_per_page": med(per_page), "read_seconds": round(marks[-1] - t0, 3),
           "mean_word_confidence": med(p.ocr_confidence for p in doc.pages),
           "tesseract": str(pytesseract.get_tesseract_version())}
    log(f"  {res['pages']} page(s) at {ocr.DPI} dpi: {res['seconds_per_page']} s per page "
        f"(median), mean word confidence {res['mean_word_confidence']}, "
        f"tesseract {res['tesseract']}")
    return res
