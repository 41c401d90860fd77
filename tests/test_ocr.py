"""Scanned PDFs are read by OCR (issue 16, part 1).

A seed policy is set as a PDF, each page rendered to an image and the images wrapped as a
PDF with no text layer: OCR must give ≥ 90 % of the facts the seed's TXT gives, with page
numbers, and mark what it read (JSON, CSV, UI) with its word confidence, which also weighs
each fact's confidence. A mixed PDF marks only its scanned page. Without tesseract the old
refusal stays and says how to enable OCR; limits stop OCR with a clear message.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import warnings
from pathlib import Path

import pypdf
import pytest

from extract.errors import FileTooLarge, ScannedPDF
from extract.export import to_csv, to_json_obj
from extract.model import Document, Page
from extract.read import LIMITS, ocr, read_document
from extract.store import Store
from pages.render.cells import Cell
from pages.render.fragments import evidence_html
from pages.render.palette import STATED
from tests.pdfs import pdf_from_text
from tests.test_pdf_pathologies import fact_values

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "seeds"
AGREEMENT = 0.90
SCAN_DPI = 200  # a common office-scanner setting

if not ocr.available():
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail("tesseract is missing in CI (.ci/run installs tesseract-ocr)", pytrace=False)
    pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)",
                allow_module_level=True)


def text_pdf(seed: str) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fpdf2: glyphs DejaVu lacks in a few texts
        return pdf_from_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"))


def page_images(data: bytes, dpi: int = SCAN_DPI) -> list:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    finally:
        pdf.close()


def images_pdf(images: list, dpi: int = SCAN_DPI) -> bytes:
    """Wrap page images as a PDF: one image per page, no text layer (Pillow's PDF writer)."""
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def scanned(seed: str) -> bytes:
    return images_pdf(page_images(text_pdf(seed)))


@pytest.fixture(scope="module")
def scans() -> dict[str, bytes]:
    return {seed: scanned(seed) for seed in ("cloud-services-provider", "itechno")}


@pytest.fixture(scope="module")
def progress_calls() -> list:
    return []


@pytest.fixture(scope="module")
def ocr_docs(scans, progress_calls) -> dict[str, Document]:
    """Each scan read once, following the OCR progress."""
    docs = {}
    with ocr.ocr_progress(lambda i, n, name: progress_calls.append((i, n, name))):
        for seed, data in scans.items():
            docs[seed] = read_document(data, f"{seed}.pdf")
    return docs


def test_the_scans_really_have_no_text_layer(scans):
    for data in scans.values():
        assert not "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_scanned_seed_gives_the_facts_of_its_text_by_ocr(extractor, ocr_docs):
    same = total = 0
    wrong = []
    for seed, doc in ocr_docs.items():
        expected = fact_values(extractor, (SEEDS / f"{seed}.txt").read_bytes(), f"{seed}.txt")
        got = {fid: f.value for fid, f in extractor.from_document(doc).facts.items()}
        for fid, value in expected.items():
            total += 1
            same += got.get(fid) == value
            if got.get(fid) != value:
                wrong.append(f"{seed} {fid}: txt {value!r} ocr {got.get(fid)!r}")
    assert total and same / total >= AGREEMENT, wrong


def test_ocr_pages_keep_their_numbers_and_their_word_confidence(extractor, ocr_docs):
    doc = ocr_docs["itechno"]
    text_doc = read_document(text_pdf("itechno"), "itechno.pdf")
    assert doc.n_pages == text_doc.n_pages == 4
    assert all(p.ocr and 0.5 < p.ocr_confidence <= 1 for p in doc.pages)
    assert not any(p.ocr for p in text_doc.pages)
    assert not doc.warnings
    # The evidence stands on the same pages as in the text PDF the scan was made from.
    by_ocr, by_text = extractor.from_document(doc).facts, extractor.from_document(text_doc).facts
    quoted = [fid for fid, f in by_text.items() if f.evidence and by_ocr[fid].evidence]
    same_page = [fid for fid in quoted if [e.page for e in by_ocr[fid].evidence]
                 == [e.page for e in by_text[fid].evidence]]
    assert len(quoted) >= 5 and len(same_page) >= 0.9 * len(quoted), (quoted, same_page)
    assert len({e.page for f in by_ocr.values() for e in f.evidence}) >= 2


def test_ocr_evidence_is_marked_in_json_and_csv(extractor, ocr_docs):
    ex = extractor.from_document(ocr_docs["cloud-services-provider"])
    obj = json.loads(json.dumps(to_json_obj(ex)))
    quotes = [e for f in obj["facts"].values() for e in f["evidence"]]
    assert quotes and all(e["ocr"] is True and 0.5 < e["ocr_confidence"] <= 1 for e in quotes)
    assert all(e["page"] in (1, 2) for e in quotes)
    row = next(csv.DictReader(io.StringIO(to_csv([ex]))))
    cells = [v for k, v in row.items() if k.endswith(".evidence") and v]
    assert cells and all(v.startswith("p.") and "(OCR " in v for v in cells)


def test_a_fact_confidence_is_weighed_by_the_ocr_word_confidence(extractor, ocr_docs):
    doc = ocr_docs["cloud-services-provider"]
    unmarked = dataclasses.replace(doc, pages=tuple(Page(p.number, p.start, p.end)
                                                    for p in doc.pages))
    plain, weighed = (extractor.from_document(unmarked).facts,
                      extractor.from_document(doc).facts)
    checked = 0
    for fid, fact in weighed.items():
        if not fact.evidence:
            assert fact.confidence == plain[fid].confidence
            continue
        mean = sum(doc.ocr_confidence(e.page) for e in fact.evidence) / len(fact.evidence)
        assert fact.confidence == pytest.approx(min(1.0, plain[fid].confidence * mean))
        assert fact.confidence < plain[fid].confidence
        checked += 1
    assert checked >= 5


def test_ocr_progress_reports_each_page(ocr_docs, progress_calls):
    assert progress_calls == [(1, 2, "cloud-services-provider.pdf"),
                              (2, 2, "cloud-services-provider.pdf")] + [
        (i, 4, "itechno.pdf") for i in range(1, 5)]


def test_tesseract_runs_with_one_openmp_thread(ocr_docs):
    import pytesseract
    env = pytesseract.pytesseract.environ  # what its Popen gets
    assert env["OMP_THREAD_LIMIT"] == "1" and env["PATH"] == os.environ["PATH"]
    assert env is not os.environ  # our own process (and torch's OpenMP) keeps its threads


def mixed_pdf() -> bytes:
    """digi-smart-manager as a text PDF whose page 2 is replaced by its scan."""
    text = text_pdf("digi-smart-manager")
    scan = pypdf.PdfReader(io.BytesIO(images_pdf(page_images(text)[1:2])))
    reader, writer = pypdf.PdfReader(io.BytesIO(text)), pypdf.PdfWriter()
    for i, page in enumerate(reader.pages):
        writer.add_page(scan.pages[0] if i == 1 else page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return mixed_pdf()


def test_a_mixed_pdf_reads_both_and_marks_only_the_scanned_page(extractor, mixed):
    doc = read_document(mixed, "digi-smart-manager.pdf")
    assert [p.ocr for p in doc.pages] == [False, True, False]
    page2 = doc.text[doc.pages[1].start:doc.pages[1].end]
    assert len(page2) > 500 and not doc.warnings
    ex = extractor.from_document(doc)
    quotes = [e for f in ex.facts.values() for e in f.evidence]
    assert {e.page for e in quotes if e.ocr} == {2}
    assert all(e.ocr == (e.page == 2) for e in quotes)
    expected = fact_values(extractor, (SEEDS / "digi-smart-manager.txt").read_bytes(), "d.txt")
    same = sum(ex.facts[fid].value == value for fid, value in expected.items())
    assert same / len(expected) >= AGREEMENT


def test_ocr_marks_survive_the_store(tmp_path, extractor, ocr_docs):
    ex = extractor.from_document(ocr_docs["cloud-services-provider"])
    st = Store(tmp_path / "db.sqlite")
    added = st.add(ex)
    stored = st.document(added.document_id)
    assert [p.ocr_confidence for p in stored.pages] == [p.ocr_confidence
                                                        for p in ex.document.pages]
    (rec,) = st.records()
    quotes = [e for f in rec.facts.values() for e in f.evidence]
    assert quotes and all(e.ocr for e in quotes)
    # Re-extracting the stored document marks the same evidence again.
    again = extractor.from_document(stored)
    assert {fid: f.confidence for fid, f in again.facts.items()} == pytest.approx(
        {fid: f.confidence for fid, f in ex.facts.items()})


def test_the_ui_shows_an_ocr_badge_on_ocr_quotes_only(extractor, mixed):
    ex = extractor.from_document(read_document(mixed, "digi-smart-manager.pdf"))
    quotes = [e for f in ex.facts.values() for e in f.evidence]
    ocr_quote = next(e for e in quotes if e.ocr)
    text_quote = next(e for e in quotes if not e.ocr)
    html = evidence_html(Cell("yes", STATED, False, 0.9, (ocr_quote, text_quote)), None)
    first, second = html.split('<div class="pp-quote">')[1:]
    assert 'class="pp-ocr"' in first and "pp-ocr" not in second
    assert f"{ocr_quote.ocr_confidence:.0%}" in first and "Read by OCR" in first


# --------------------------------------------------------------------------- without OCR
@pytest.fixture
def no_tesseract(monkeypatch):
    import pytesseract
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    assert not ocr.available()


def test_without_tesseract_a_scan_is_refused_saying_how_to_enable_ocr(no_tesseract, scans):
    with pytest.raises(ScannedPDF, match="no text layer") as err:
        read_document(scans["cloud-services-provider"], "scan.pdf")
    assert "apt-get install tesseract-ocr" in str(err.value)


def test_without_tesseract_a_scanned_page_is_named_with_how_to_enable_ocr(no_tesseract, mixed):
    doc = read_document(mixed, "mixed.pdf")
    assert not any(p.ocr for p in doc.pages)
    (warning,) = [w for w in doc.warnings if "without text" in w]
    assert warning.startswith("Page 2 was") and "apt-get install tesseract-ocr" in warning


# --------------------------------------------------------------------------- limits
def test_pages_past_the_ocr_page_limit_are_named(monkeypatch, scans):
    monkeypatch.setattr("extract.read.LIMITS", dataclasses.replace(LIMITS, max_ocr_pages=1))
    doc = read_document(scans["cloud-services-provider"], "scan.pdf")
    assert [p.ocr for p in doc.pages] == [True, False]
    assert any(w.startswith("Page 2 was not read by OCR") and "1 page" in w
               for w in doc.warnings), doc.warnings


def test_a_scan_is_refused_when_the_ocr_time_limit_stops_every_page(monkeypatch, scans):
    monkeypatch.setattr("extract.read.LIMITS",
                        dataclasses.replace(LIMITS, max_ocr_page_seconds=0.05))
    with pytest.raises(FileTooLarge, match="OCR stopped before reading any of it") as err:
        read_document(scans["cloud-services-provider"], "scan.pdf")
    assert "longer than 0.05 seconds" in str(err.value)


def test_a_scan_is_refused_when_the_total_ocr_time_is_spent(monkeypatch, scans):
    monkeypatch.setattr("extract.read.LIMITS", dataclasses.replace(LIMITS, max_ocr_seconds=0.01))
    with pytest.raises(FileTooLarge, match="OCR stopped before reading any of it"):
        read_document(scans["cloud-services-provider"], "scan.pdf")


def test_words_to_text_keeps_lines_and_paragraphs_and_averages_confidence():
    data = {"text": ["", "We", "keep", "data.", "", "You", "may", "object."],
            "conf": [-1, 90, 80, 70, -1, 100, 100, 100],
            "block_num": [1, 1, 1, 1, 2, 2, 2, 2], "par_num": [1, 1, 1, 1, 1, 1, 1, 1],
            "line_num": [1, 1, 1, 2, 1, 1, 1, 1]}
    text, confidence = ocr.words_to_text(data)
    assert text == "We keep\ndata.\n\nYou may object."
    assert confidence == pytest.approx(0.9)


# --------------------------------------------------------------------------- in the app
def test_the_isolated_read_forwards_ocr_progress_and_marks(scans):
    from extract.read import read_document_isolated

    seen: list[tuple[int, int]] = []
    with ocr.ocr_progress(lambda i, n, name: seen.append((i, n))):
        doc = read_document_isolated(scans["itechno"], "itechno.pdf")
    n = len(doc.pages)
    assert seen == [(i, n) for i in range(1, n + 1)]
    assert all(p.ocr for p in doc.pages)


def test_a_batch_shows_which_ocr_page_it_reads(tmp_db, extractor, monkeypatch):
    from extract import batches

    one_page = images_pdf(page_images(text_pdf("itechno"))[:1])
    store = Store(tmp_db)
    seen: list[str] = []
    record = batches._set_progress
    monkeypatch.setattr(batches, "_set_progress", lambda s, b, p, text: (seen.append(text),
                                                                         record(s, b, p, text)))
    batch_id = batches.submit_batch(store, [("scan.pdf", one_page)], None, None)
    batches.process_pending(store, lambda: extractor)
    item = batches.get_batch(store, batch_id).items[0]
    assert seen == ["OCR page 1 of 1"] and item.progress == "OCR page 1 of 1"
    assert item.status == "added"
