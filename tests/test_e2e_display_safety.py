"""Real browser: third-party text is shown as typed, never as a link or an icon (issue 15,
items 7 and 9).

Streamlit's Markdown auto-links bare `www.…`, `https://…` and e-mail addresses, and turns
`:material/x:` into an icon (or, inside HTML, into `:material_x:`). A vendor whose name, file
name, evidence, review comment, reviewer name and override note hold all of those is stored
before the server starts; an upload with such a file name and typed vendor name goes through
the Upload page. Every page that shows them must have no link to them and show them literally.
"""
from __future__ import annotations

import re

import pytest

from tests import e2e_support as e2e

pytestmark = pytest.mark.e2e

WJ = "\u2060"  # escape() puts this invisible word joiner where a link would start
LINKY = "www.example.com https://evil.example/x a@b.example :material/home:"
VENDOR = f"Evil {LINKY}"
FILENAME = "www.example.com a@b.example :material/home:.txt"
QUOTE = "Write to a@b.example or visit www.example.com :material/home: for opt-outs."
COMMENT = f"Checked {LINKY}"
NOTE = "Stated at https://evil.example/x :material/home:"
REVIEWER = "a@b.example"
UPLOAD_NAME = "see www.example.net c@d.example :material/star:.txt"
TYPED_VENDOR = "Typed www.example.org https://evil.example/y e@f.example :material/star:"
LINK_SELECTOR = 'a[href*="example"], a[href^="mailto:"]'


def _extraction():
    from extract.model import Document, Evidence, Extraction, Fact, Page
    from extract.taxonomy import fact_ids

    text = f"Privacy Policy\n{QUOTE}"
    doc = Document(FILENAME, "e" * 64, text, (Page(1, 0, len(text)),), "txt")
    facts = {fid: Fact(fid, False, 0.9) for fid in fact_ids()}
    facts["rights.access"] = Fact("rights.access", True, 0.95, [
        Evidence(QUOTE, 1, 15, len(text), section=f"Contact {LINKY}")])
    return Extraction(VENDOR, doc, facts)


@pytest.fixture(scope="module")
def hostile_server(browser, tmp_path_factory):
    """A server whose database already holds the hostile vendor (plus the seeds it loads)."""
    from extract.model import User
    from extract.store import Store

    tmp = tmp_path_factory.mktemp("display-safety")
    store = Store(tmp / "privacy.db")  # the path start_server gives the app
    vid = store.add(_extraction()).vendor_id
    store.set_review_status(vid, "in review", COMMENT, User(REVIEWER))
    store.set_override(vid, "children.min_age", 13, NOTE, User(REVIEWER))
    srv = e2e.start_server(tmp)
    yield srv, vid
    e2e.stop_server(srv)


@pytest.fixture
def page(session_page):
    return session_page


def _shown(locator) -> str:
    """Text as a reader sees it (the word joiner is invisible)."""
    return locator.inner_text().replace(WJ, "")


def _assert_inert(page, console, where: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(LINK_SELECTOR), f"a third-party link on {where}").to_have_count(0)
    main = page.locator('[data-testid="stMain"]')
    # The app's own icons stay; none may come from the text (`home`, `star` are its shortcodes).
    expect(main.locator('[data-testid="stIconMaterial"]', has_text=re.compile(r"^(home|star)$")),
           f"a shortcode became an icon on {where}").to_have_count(0)
    assert ":material_" not in _shown(main), f"a mangled shortcode on {where}"
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert not console.errors, "\n".join(console.errors)


def test_vendor_page_heading_caption_status_and_quotes(page, console, hostile_server):
    from playwright.sync_api import expect

    server, vid = hostile_server
    e2e.open_page(page, server, "vendor", query=f"vendor={vid}")
    assert _shown(page.locator("h1").first) == VENDOR
    main = page.locator('[data-testid="stMain"]')
    # The heading can paint before the rest of the page's first run: wait for the review line
    # (a CI run once read the page between the two).
    expect(main.get_by_text(re.compile(r"—\s*Checked")).first).to_be_visible(
        timeout=e2e.APP_TIMEOUT_MS)
    text = _shown(main)
    assert f"Source file: {FILENAME}" in text
    assert f"— {COMMENT}" in text
    # The evidence quote sits in an HTML fragment: shown with its colons, nothing rewritten.
    quote = main.locator(".pp-quote").first
    expect(quote).to_be_attached()
    assert QUOTE in " ".join(_shown(quote).split())
    assert f"Contact {LINKY}" in _shown(quote)  # the section name
    _assert_inert(page, console, "the Vendor page")


def test_review_page_status_comment_reviewer_and_note(page, console, hostile_server):
    server, vid = hostile_server
    e2e.open_page(page, server, "review", query=f"vendor={vid}")
    text = _shown(page.locator('[data-testid="stMain"]'))
    assert f"set by {REVIEWER}" in text
    assert COMMENT in text
    assert NOTE in text and f"Override by {REVIEWER}" in text
    _assert_inert(page, console, "the Review page")


def test_overview_and_audit_show_the_vendor_as_text(page, console, hostile_server):
    server, _ = hostile_server
    e2e.open_page(page, server, "")
    assert VENDOR[:20] in _shown(page.locator('[data-testid="stMain"]'))
    _assert_inert(page, console, "the Overview")


def test_upload_results_show_file_and_typed_vendor_as_text(page, console, hostile_server):
    from playwright.sync_api import expect

    server, _ = hostile_server
    e2e.open_page(page, server, "upload")
    # A seed's text with one more line: the same bytes would be "already stored".
    text = (e2e.ROOT / "data" / "seeds" / "itechno.txt").read_bytes() + b"\nLast updated.\n"
    uploader = page.locator('[data-testid="stFileUploader"]')
    uploader.locator('input[type="file"]').set_input_files(
        {"name": UPLOAD_NAME, "mimeType": "text/plain", "buffer": text})
    page.locator(".st-key-vendor_override input").fill(TYPED_VENDOR)
    page.locator(".st-key-vendor_override input").press("Enter")
    e2e.wait_for_app(page)
    process = page.locator(".st-key-process button")
    expect(process).to_be_enabled()
    process.click()
    done = page.locator('[data-testid="stAlert"]', has_text="Added")
    expect(done).to_be_visible(timeout=e2e.UPLOAD_TIMEOUT_MS)
    e2e.wait_for_app(page, timeout=e2e.UPLOAD_TIMEOUT_MS)
    result = _shown(done.first)
    assert UPLOAD_NAME in result and TYPED_VENDOR in result
    _assert_inert(page, console, "the Upload page")
