"""Third-party text shown as typed and never as a link or an icon (issue 15, items 7 and 9),
vendor names guessed from file names, and look-alike vendor names made one.

The browser half (what Streamlit really renders) is tests/test_e2e_display_safety.py.
"""
from __future__ import annotations

import html
import re
import unicodedata

import pytest

from extract.model import Document, Extraction, Fact, Page
from extract.names import clean_vendor_name
from extract.pipeline import vendor_from_filename
from extract.store import Store
from extract.taxonomy import fact_ids
from pages.render.escape import escape

WJ = "\u2060"
THIRD_PARTY = [
    "Visit www.example.com today",
    "WWW.Example.org",
    "https://evil.example/x",
    "HTTP://evil.example",
    "see http://a.example/b?c=d#e",
    "write to a@b.example",
    "mailto:c@d.example",
    "xmpp:e@f.example",
    "first.last+tag@sub.example.co.uk",
    ":material/home: and :material/x:",
    ":smile: :red[text] :blue-background[x]",
    "[link](javascript:alert(1)) <img src=x onerror=alert(1)> **b** $x$ 12:30",
]

# What GFM (remark-gfm, Streamlit's Markdown) auto-links, applied to the text as the parser
# sees it after escapes and character references are decoded.
AUTOLINK_LITERALS = [
    re.compile(r"(?i)(?<![\w])www\.[\w-]"),
    re.compile(r"(?i)\b(?:https?|ftp)://[\w-]"),
    re.compile(r"[\w.+-]@[\w-]+\.[\w-]"),
]
# Streamlit's icon / emoji / colour shortcodes, matched on the raw Markdown source.
SHORTCODE = re.compile(r":[\w/-]+:|:[a-z-]+\[")
OPENING_COLON = re.compile(r":[\w/\[]")  # a colon that could open one (or a URL)


def decoded(markdown: str) -> str:
    """The text a Markdown parser works on: backslash escapes and references decoded."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


@pytest.mark.parametrize("text", THIRD_PARTY)
def test_markdown_escape_makes_no_link_and_no_shortcode(text):
    md = escape(text)
    assert not any(p.search(decoded(md)) for p in AUTOLINK_LITERALS), md
    assert not OPENING_COLON.search(md) and not SHORTCODE.search(md), md
    assert "<" not in md and "](" not in md


@pytest.mark.parametrize("text", THIRD_PARTY)
def test_markdown_escape_shows_the_text_as_typed(text):
    """Only an invisible word joiner is added (where a link would start)."""
    assert decoded(escape(text)).replace(WJ, "") == text


@pytest.mark.parametrize("text", THIRD_PARTY)
def test_html_escape_keeps_no_raw_colon_and_reads_back(text):
    """In HTML blocks Streamlit rewrites `:material/x:` to `:material_x:`; a reference stops it."""
    out = escape(text, "html")
    assert not OPENING_COLON.search(out) and not SHORTCODE.search(out) and "<" not in out
    assert html.unescape(out) == text


def test_plain_text_is_untouched_by_the_link_guard():
    assert escape("Acme Cloud") == "Acme Cloud"
    assert escape("Note: kept", "html") == "Note: kept" and escape("Note: kept") == "Note: kept"
    assert WJ not in escape("Acme Cloud Services (2024) – policy v2")


# ----------------------------------------------------------------------------- vendor names
@pytest.mark.parametrize("filename, vendor", [
    ("nav0-privacy.pdf", "Nav0"),
    ("nav0.pdf", "Nav0"),
    ("acme-dev2.pdf", "Acme Dev2"),
    ("web3.txt", "Web3"),
    ("acme-cloud_privacy-policy.pdf", "Acme Cloud"),
    ("acme-privacy-policy-v2.pdf", "Acme"),
    ("acme_v2.1.pdf", "Acme"),
    ("acme-2024-05.pdf", "Acme"),
    ("acme-privacy-notice-2024-05-17-final.html", "Acme"),
    ("acme (1).pdf", "Acme"),
    ("acme-copy.docx", "Acme"),
    ("IBM-privacy.pdf", "IBM"),
    ("quillfeather-analytics-privacy-policy.pdf", "Quillfeather Analytics"),
    ("privacy-policy.pdf", "Privacy Policy"),  # nothing else to name it by
    ("acme\u200b-cloud.pdf", "Acme Cloud"),
    ("\u202eacme-cloud.pdf", "Acme Cloud"),
])
def test_vendor_from_filename(filename, vendor):
    assert vendor_from_filename(filename) == vendor


@pytest.mark.parametrize("variant", [
    "Acme\u200b Cloud",         # zero-width space
    "Acme Cloud\u200d",         # zero-width joiner
    "\u202eAcme Cloud\u202c",   # bidi override and pop
    "\u2066Acme Cloud\u2069",   # bidi isolate
    "Acme\u00ad Cloud",         # soft hyphen
    "\ufeffAcme  Cloud",        # BOM, two spaces
    "Acme\u00a0Cloud",          # no-break space
    "Acme\tCloud\n",
])
def test_look_alike_names_are_cleaned_to_one(variant):
    assert clean_vendor_name(variant) == "Acme Cloud"


def test_names_are_nfc():
    decomposed = "Cafe\u0301 Cloud"
    assert clean_vendor_name(decomposed) == "Café Cloud"
    assert unicodedata.is_normalized("NFC", clean_vendor_name(decomposed))


def _extraction(i: int, vendor: str) -> Extraction:
    text = "Privacy Policy\nWe do not sell personal information."
    doc = Document(f"{i}.txt", f"{i:064x}", text, (Page(1, 0, len(text)),), "txt")
    return Extraction(vendor, doc, {fid: Fact(fid, False, 0.9) for fid in fact_ids()})


def test_store_files_look_alike_names_under_one_vendor(tmp_path):
    """Names from file names and names typed in the vendor-name field alike."""
    store = Store(tmp_path / "db.sqlite")
    first = store.add(_extraction(1, "Café Cloud"))
    for i, name in enumerate(["Cafe\u0301 Cloud", "Café\u200b Cloud", "\u202eCafé Cloud",
                              "café cloud\u2060"], start=2):
        added = store.add(_extraction(i, name))
        assert added.vendor_id == first.vendor_id, name
    typed = store.add(_extraction(9, "Other"), vendor="Cafe\u0301\u200d Cloud")
    assert typed.vendor_id == first.vendor_id
    assert store.count_vendors() == 1
    (rec,) = store.records()
    assert rec.vendor == "Café Cloud"


def test_a_name_of_only_invisible_characters_falls_back(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    added = store.add(_extraction(1, "Acme"), vendor="\u200b\u202e")
    assert added.vendor == "Acme"
    assert store.add(_extraction(2, "\u200b")).vendor == "Unnamed vendor"
