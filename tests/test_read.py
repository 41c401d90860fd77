"""The reader turns PDF, TXT, Markdown, HTML and DOCX uploads into one normalised text.

Spec in brief: one line per paragraph, heading or list item; pages joined by a blank line,
each `Page` giving its exact span; running headers/footers, hyphenation, wrapped lines and
odd characters undone, so the same policy reads the same whatever its format.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from extract.model import Document
from extract.read import LIMITS, SUPPORTED_SUFFIXES, read_document, read_path
from tests.pdfs import UNICODE_FONT, latin1, one_word_per_line_pdf, pdf_from_lines, pdf_from_text

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def lines_of(doc: Document) -> list[str]:
    """The document's lines, without the blank lines that separate pages."""
    return [line for line in doc.text.splitlines() if line]


def pdf_raw_text(data: bytes) -> str:
    """What pypdf alone extracts: proves a test's PDF really has the mess the reader undoes."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- API


def test_public_api_and_limits():
    import extract.read as read

    assert set(read.__all__) >= {"read_document", "read_path", "SUPPORTED_SUFFIXES", "LIMITS"}
    assert SUPPORTED_SUFFIXES == (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".docx")
    assert LIMITS.max_bytes == 25 * 2**20 and LIMITS.max_pages == 1000
    assert LIMITS.max_chars == 3_000_000 and LIMITS.max_docx_uncompressed == 50 * 2**20
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.max_pages = 5  # type: ignore[misc]


def test_document_fields_for_a_text_file(tmp_path):
    data = "Privacy Policy\nWe collect your email address.\n".encode()
    doc = read_document(data, "acme.txt")
    assert doc.filename == "acme.txt" and doc.media_type == "txt"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.text == "Privacy Policy\nWe collect your email address."
    assert [(p.number, p.start, p.end) for p in doc.pages] == [(1, 0, len(doc.text))]
    assert doc.warnings == ()
    path = tmp_path / "acme.txt"
    path.write_bytes(data)
    assert read_path(path) == doc
    assert read_path(str(path)).text == doc.text


def test_extract_package_does_not_import_streamlit():
    package = Path(__file__).resolve().parents[1].joinpath("extract", "read")
    source = "".join(p.read_text() for p in sorted(package.rglob("*.py")))
    assert "read_document" in source and "streamlit" not in source


# --------------------------------------------------------------------------- PDF layout

PAGE_1 = ["Privacy Policy",
          "This policy explains how Acme handles personal data when you use our services. "
          "It applies to our website, our apps and our support channels.",
          "1. Information We Collect",
          "We collect your name, email address and billing details when you create an account "
          "with us, and usage data when you use the service."]
PAGE_2 = ["2. How Long We Keep Data",
          "We keep account data for as long as your account is open and delete it within "
          "ninety days after you close your account.",
          "Data Security",
          "All traffic is encrypted in transit with TLS and personal data is encrypted at rest."]
PAGE_3 = ["3. Children's Privacy",
          "Our services are not directed to children under thirteen and we do not knowingly "
          "collect data from them."]


@pytest.fixture(scope="module")
def three_page_pdf() -> bytes:
    text = "\n".join(PAGE_1) + "\n\f\n" + "\n".join(PAGE_2) + "\n\f\n" + "\n".join(PAGE_3)
    return pdf_from_text(text, header="Acme Corp — Privacy Policy", footer=True)


def test_pdf_drops_running_header_and_page_footer(three_page_pdf):
    raw = pdf_raw_text(three_page_pdf)
    assert raw.count("Acme Corp") == 3 and "Page 2 of 3" in raw  # the mess is there
    doc = read_document(three_page_pdf, "acme.pdf")
    assert "Acme Corp" not in doc.text
    assert not re.search(r"Page \d+ of \d+", doc.text)
    assert doc.media_type == "pdf" and doc.warnings == ()


def test_pdf_page_spans_cover_the_text_and_locate_sentences(three_page_pdf):
    doc = read_document(three_page_pdf, "acme.pdf")
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert doc.text == "\n\n".join(doc.text[p.start:p.end] for p in doc.pages)
    for number, paragraphs in ((1, PAGE_1), (2, PAGE_2), (3, PAGE_3)):
        page = doc.pages[number - 1]
        for paragraph in paragraphs:
            offset = doc.text.index(paragraph)
            assert page.start <= offset < page.end
            assert doc.page_at(offset) == number


def test_pdf_wrapped_lines_become_one_line_per_paragraph(three_page_pdf):
    raw = pdf_raw_text(three_page_pdf)
    assert PAGE_2[1] not in raw  # fpdf2 wrapped it over two lines
    assert lines_of(read_document(three_page_pdf, "acme.pdf")) == PAGE_1 + PAGE_2 + PAGE_3


def test_pdf_hyphenation_is_undone_but_real_hyphens_stay():
    data = pdf_from_lines([[
        "Data Sharing",
        "We use this information to pro-",
        "cess your orders and share it with third-",
        "party payment pro-",
        "viders, our cloud-",
        "based storage and our e-",
        "mail service, for billing.",
    ]])
    assert "pro-\ncess" in pdf_raw_text(data)
    assert lines_of(read_document(data, "a.pdf")) == [
        "Data Sharing",
        "We use this information to process your orders and share it with third-party "
        "payment providers, our cloud-based storage and our e-mail service, for billing.",
    ]


def test_pdf_hyphenation_uses_the_document_own_spelling():
    # "opt-out" elsewhere in the text tells the reader the hyphen in "opt-/out" is real,
    # "optout" would have told it the opposite.
    data = pdf_from_lines([["You may opt-out of marketing at any time. To opt-",
                            "out, write to us."]])
    assert "To opt-out, write to us." in read_document(data, "a.pdf").text


def test_pdf_seed_set_with_hyphenation_reads_as_whole_words():
    text = (SEEDS / "itechno.txt").read_text() if (SEEDS / "itechno.txt").exists() else (
        "Information Security\n" + "Customer information is safeguarded using adequate "
        "organisational and technical controls, including encryption and authentication. " * 30)
    data = pdf_from_text(text, hyphenate=True)
    raw = pdf_raw_text(data)
    broken = re.findall(r"([a-z]+)-\n([a-z]+)", raw)
    assert len(broken) >= 5  # many words really are broken at line ends
    doc_text = read_document(data, "a.pdf").text
    for left, right in broken:
        if f"{left}-{right}" not in text:
            assert f"{left}{right}" in doc_text


def test_pdf_sentence_broken_by_a_page_break_stays_whole_on_its_first_page():
    data = pdf_from_lines([["Retention", "We keep your data for"],
                           ["as long as your account is open.", "Cookies",
                            "We use cookies to keep you signed in."]])
    doc = read_document(data, "a.pdf")
    assert doc.text == ("Retention\nWe keep your data for as long as your account is open."
                        "\n\nCookies\nWe use cookies to keep you signed in.")
    assert doc.page_at(doc.text.index("We keep")) == 1
    assert doc.page_at(doc.text.index("Cookies")) == 2


def test_pdf_headings_and_list_items_keep_their_own_lines():
    data = pdf_from_lines([[
        "7. Children's Privacy",
        "We do not knowingly collect data from children",
        "under 13. If we learn that we did, we delete it.",
        "Your Rights",
        "You may ask us to:",
        "• access the data we hold about you;",
        "• delete your data, unless the law requires",
        "us to keep it;",
        "(a) correct inaccurate data.",
        "-",
        "Object to processing.",
    ]])
    assert lines_of(read_document(data, "a.pdf")) == [
        "7. Children's Privacy",
        "We do not knowingly collect data from children under 13. If we learn that we did, "
        "we delete it.",
        "Your Rights",
        "You may ask us to:",
        "- access the data we hold about you;",
        "- delete your data, unless the law requires us to keep it;",
        "(a) correct inaccurate data.",
        "- Object to processing.",
    ]


WRAPPED = ["Sharing With Service Providers",
           "We share personal data with carefully selected service providers acting on our",
           "behalf, such as hosting companies, payment processors and customer support tools",
           "Analytics providers help us understand how visitors use the website and the app.",
           "They receive pseudonymous identifiers only and never see your name or address;",
           "they must delete the data when our contract with them ends or when you object."]


def test_pdf_full_width_line_runs_on_into_the_next_unless_a_paragraph_gap_follows():
    # Text alone cannot tell: a full-width line without a full stop usually wraps.
    # (A full stop ends a line; a semicolon does not when the next line starts in lower case.)
    joined = lines_of(read_document(pdf_from_lines([WRAPPED]), "a.pdf"))
    assert joined == [WRAPPED[0], " ".join(WRAPPED[1:4]), " ".join(WRAPPED[4:])]
    # The layout can: extra space before a line starts a new paragraph.
    gapped = WRAPPED[:3] + [""] + WRAPPED[3:]
    assert lines_of(read_document(pdf_from_lines([gapped]), "a.pdf")) == [
        WRAPPED[0], " ".join(WRAPPED[1:3]), WRAPPED[3], " ".join(WRAPPED[4:])]


def test_pdf_one_word_per_line_text_layer_is_rejoined_into_sentences():
    sentences = ["We never sell your personal data to advertisers.",
                 "Acme Corp Ltd Shares Usage Statistics With Google Analytics Only.",
                 "You can delete your account at any time from the settings page.",
                 "Contact privacy@acme.example with any questions about this policy."]
    data = one_word_per_line_pdf(" ".join(sentences))
    assert pdf_raw_text(data).count("\n") >= 25  # truly one word per line
    doc = read_document(data, "a.pdf")
    for sentence in sentences:
        assert sentence in lines_of(doc)


@pytest.mark.skipif(not UNICODE_FONT, reason="needs DejaVuSans for curly quotes in a PDF")
def test_pdf_keeps_curly_quotes_and_normalises_ligatures():
    data = pdf_from_lines([["“Personal data” means the user’s information.",
                            "We ﬁle requests ﬂagged by you."]])
    doc = read_document(data, "a.pdf")
    assert "“Personal data” means the user’s information." in doc.text
    assert "We file requests flagged by you." in doc.text


# --------------------------------------------------------------------------- characters


def test_odd_spaces_invisible_characters_and_ligatures_are_normalised():
    text = ("We\u00a0collect\u2009your\u202fe\u00admail\u200b address and ﬁles.\r\n"
            "Con\u200btact  us\tat\u00a0any time.\u2028Thank you.\r\n")
    doc = read_document(text.encode(), "a.txt")
    assert doc.text == ("We collect your email address and files.\n"
                        "Contact us at any time.\nThank you.")


def test_letter_spaced_headings_are_closed_up():
    doc = read_document("P r i v a c y  P o l i c y\nWe collect data.\n".encode(), "a.txt")
    assert lines_of(doc) == ["Privacy Policy", "We collect data."]


def test_decomposed_accents_are_composed():
    doc = read_document("Cafe\u0301 Müller GmbH collects data.".encode(), "a.txt")
    assert doc.text == "Café Müller GmbH collects data."


# --------------------------------------------------------------------------- TXT

QUOTED = "The “Service” is the user’s account – nothing else."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_txt_encodings_are_detected(encoding):
    doc = read_document(f"Privacy Policy\n{QUOTED}\n".encode(encoding), "a.txt")
    assert doc.text == f"Privacy Policy\n{QUOTED}"
    assert not doc.text.startswith("\ufeff")


def test_txt_cp1252_fallback_is_reported():
    doc = read_document(QUOTED.encode("cp1252"), "a.txt")
    assert doc.text == QUOTED
    assert any("Windows-1252" in w for w in doc.warnings)


def test_txt_hard_wrapped_paragraphs_are_rejoined_but_blank_lines_separate():
    text = ("Data Retention\n\n"
            "We keep your personal data only for as long as we need it for the\n"
            "purposes described in this policy, and then delete it.\n\n"
            "Cookies\n"
            "We use cookies.\n")
    assert lines_of(read_document(text.encode(), "a.txt")) == [
        "Data Retention",
        "We keep your personal data only for as long as we need it for the purposes "
        "described in this policy, and then delete it.",
        "Cookies",
        "We use cookies.",
    ]


def test_txt_bullet_marker_alone_on_a_line_joins_its_item():
    text = "This policy does not apply to:\n-\nThird-party sites.\n•\tPartner apps.\n"
    assert lines_of(read_document(text.encode(), "a.txt")) == [
        "This policy does not apply to:", "- Third-party sites.", "- Partner apps."]


# --------------------------------------------------------------------------- Markdown


def test_markdown_markup_is_stripped_to_plain_lines():
    md = """---
title: Policy
---
# Privacy Policy

We **never** sell your _personal_ data. See our [cookie notice](https://acme.example/c)
and `settings` page.

## 7. Children's Privacy
* Children under *13* may not register.
+ Parents can ask us to delete data.
- [ ] Unchecked items are still items.
1. First, numbered items keep their number.

| Data | Retention |
|------|-----------|
| Logs | 30 days   |

> Quoted text stays.

![Logo](logo.png) Footer text.
"""
    doc = read_document(md.encode(), "policy.md")
    assert doc.media_type == "md"
    assert lines_of(doc) == [
        "Privacy Policy",
        "We never sell your personal data. See our cookie notice and settings page.",
        "7. Children's Privacy",
        "- Children under 13 may not register.",
        "- Parents can ask us to delete data.",
        "- Unchecked items are still items.",
        "1. First, numbered items keep their number.",
        "Data | Retention",
        "Logs | 30 days",
        "Quoted text stays.",
        "Logo Footer text.",
    ]


def test_markdown_keeps_snake_case_and_lone_asterisks():
    doc = read_document(b"Set opt_out_flag to 1 * 2 and 3 * 4.", "a.markdown")
    assert doc.text == "Set opt_out_flag to 1 * 2 and 3 * 4."


# --------------------------------------------------------------------------- HTML

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Acme | Privacy</title>
<style>body { color: red }</style>
<script>var tracking = "SECRET_SCRIPT";</script></head>
<body>
<header><a href="/">Home</a> <a href="/shop">Shop</a></header>
<nav><ul><li>Products</li><li>Pricing</li></ul></nav>
<main>
<h1>Privacy&nbsp;Policy</h1>
<p>We collect your   name
and email &amp; use them to provide &ldquo;the Service&rdquo;.</p>
<h2>Your Rights</h2>
<ul><li>Access your data.</li><li><p>Delete your data.</p></li></ul>
<div>Retention<br>We keep logs for 30 days.</div>
<table><tr><th>Data</th><th>Period</th></tr><tr><td>Logs</td><td>30 days</td></tr></table>
<p hidden>Hidden text.</p>
<noscript>Enable JavaScript.</noscript>
</main>
<aside>Related articles</aside>
<form><label>Subscribe</label><input name="email"></form>
<footer>© 2024 Acme · Terms</footer>
</body></html>"""


def test_html_reads_the_policy_and_drops_page_furniture():
    doc = read_document(HTML_PAGE.encode(), "policy.html")
    assert doc.media_type == "html"
    assert lines_of(doc) == [
        "Privacy Policy",
        "We collect your name and email & use them to provide “the Service”.",
        "Your Rights",
        "- Access your data.",
        "- Delete your data.",
        "Retention",
        "We keep logs for 30 days.",
        "Data | Period",
        "Logs | 30 days",
    ]


def test_html_charset_comes_from_the_meta_tag():
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">' \
           "</head><body><p>Données personnelles – “quoted”.</p></body></html>"
    doc = read_document(page.encode("cp1252"), "a.htm")
    assert doc.text == "Données personnelles – “quoted”."


def test_html_page_wrapped_in_a_form_is_still_read():
    page = "<html><body><form id='aspnetForm'><h1>Privacy</h1><p>We collect data.</p>" \
           "</form></body></html>"
    doc = read_document(page.encode(), "a.html")
    assert lines_of(doc) == ["Privacy", "We collect data."]
    assert doc.warnings


def test_txt_file_holding_a_web_page_is_read_as_html():
    doc = read_document(b"<!DOCTYPE html><html><body><p>We collect data.</p></body></html>", "a.txt")
    assert doc.text == "We collect data." and doc.media_type == "html"


# --------------------------------------------------------------------------- DOCX

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(body: str, extra: dict[str, str] | None = None) -> bytes:
    """A minimal Word package around `body` (the inside of w:body)."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W}" '
                f'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                f"<w:body>{body}</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", document)
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


def para(text: str, *, listed: bool = False) -> str:
    props = '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>' if listed else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def test_docx_paragraphs_lists_and_tables():
    body = (para("Privacy Policy")
            + '<w:p><w:r><w:t>We collect your </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
              '<w:t>email</w:t></w:r><w:r><w:tab/><w:t>address.</w:t><w:br/>'
              '<w:t>New line.</w:t></w:r></w:p>'
            + '<w:p><w:r><w:delText>Deleted words.</w:delText></w:r></w:p>'
            + para("Your rights:") + para("Access your data.", listed=True)
            + para("Delete your data.", listed=True)
            + "<w:tbl><w:tr><w:tc>" + para("Data") + "</w:tc><w:tc>" + para("Period")
            + "</w:tc></w:tr><w:tr><w:tc>" + para("Logs") + "</w:tc><w:tc>" + para("30")
            + para("days") + "</w:tc></w:tr></w:tbl>"
            + "<w:p><w:r><mc:AlternateContent><mc:Choice><w:t>Box text.</w:t></mc:Choice>"
              "<mc:Fallback><w:t>Box text.</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>"
            + para("Contact us at privacy@acme.example."))
    doc = read_document(docx_bytes(body), "policy.docx")
    assert doc.media_type == "docx"
    assert lines_of(doc) == [
        "Privacy Policy",
        "We collect your email address.",
        "New line.",
        "Your rights:",
        "- Access your data.",
        "- Delete your data.",
        "Data | Period",
        "Logs | 30 days",
        "Box text.",
        "Contact us at privacy@acme.example.",
    ]


def test_docx_nested_table_rows_stay_inside_their_cell():
    inner = "<w:tbl><w:tr><w:tc>" + para("30 days") + "</w:tc><w:tc>" + para("then deleted") \
        + "</w:tc></w:tr></w:tbl>"
    body = "<w:tbl><w:tr><w:tc>" + para("Logs") + "</w:tc><w:tc>" + inner + "</w:tc></w:tr></w:tbl>"
    assert read_document(docx_bytes(body), "t.docx").text == "Logs | 30 days | then deleted"


def test_docx_named_txt_is_read_as_word_with_a_warning():
    doc = read_document(docx_bytes(para("We collect data.")), "policy.txt")
    assert doc.text == "We collect data." and doc.media_type == "docx"
    assert doc.warnings


def test_pdf_named_docx_is_read_as_pdf_with_a_warning():
    doc = read_document(pdf_from_lines([["We collect your email address."]]), "policy.docx")
    assert doc.text == "We collect your email address." and doc.media_type == "pdf"
    assert any("PDF" in w for w in doc.warnings)


# --------------------------------------------------------------------------- same policy, any format


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


def comparable(text: str) -> str:
    """Whitespace-, bullet- and (without DejaVu) quote-insensitive form of a text."""
    text = latin1(text) if not UNICODE_FONT else text
    return squash(text.replace("\n- ", "\n").replace("\n-\n", "\n"))


def long_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;:])\s+|\n", text)
    return [p.strip().lstrip("- ").strip() for p in parts if len(p.split()) >= 8]


@pytest.mark.parametrize("seed", seed_files() or [pytest.param(None, marks=pytest.mark.skip(
    reason="../shared/seeds not found"))], ids=lambda p: p.stem if p else "none")
def test_seed_policy_reads_the_same_as_txt_and_as_pdf(seed):
    raw = seed.read_text(encoding="utf-8")
    as_txt = read_document(seed.read_bytes(), seed.name)
    as_pdf = read_document(pdf_from_text(raw, hyphenate=True), seed.with_suffix(".pdf").name)
    assert len(as_pdf.pages) >= 2
    pdf_text = comparable(as_pdf.text)
    sentences = long_sentences(as_txt.text)
    assert sentences
    missing = [s for s in sentences if comparable(s) not in pdf_text]
    assert len(missing) <= 0.05 * len(sentences), missing[:5]
    assert as_txt.warnings == () and as_pdf.warnings == ()


def test_itechno_seed_txt_is_one_line_per_paragraph():
    seed = SEEDS / "itechno.txt"
    if not seed.exists():
        pytest.skip("../shared/seeds not found")
    lines = lines_of(read_document(seed.read_bytes(), seed.name))
    assert "- The practices of companies and third parties that iTechno does not own or control." in lines
    assert "Data Security" in lines and "Scope of this Policy" in lines
    assert "-" not in lines


def test_pdf_clause_numbers_at_the_top_of_pages_are_not_taken_for_page_numbers():
    # "2." and "3." stand at the top of their pages, like running page numbers would.
    kinds = ("billing records", "support tickets", "server logs")
    pages = [[f"{n}.", f"We keep {kind} for {n} years after the account is closed.",
              f"Section {n} of the schedule lists what the {kind} hold."]
             for n, kind in enumerate(kinds, start=1)]
    doc = read_document(pdf_from_lines(pages), "a.pdf")
    for n in (1, 2, 3):
        assert f"{n}. We keep {kinds[n - 1]} for {n} years" in doc.text


def test_pdf_invisible_line_between_pieces_of_one_line_is_rejoined():
    if not UNICODE_FONT:
        pytest.skip("needs DejaVuSans to draw a zero-width space")
    data = pdf_from_lines([["Last updated:", "\u200b", "1 May 2024",
                            "Please read this policy carefully", "\u200b", "."]])
    assert lines_of(read_document(data, "a.pdf"))[:2] == [
        "Last updated: 1 May 2024", "Please read this policy carefully."]
