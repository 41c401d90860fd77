"""Real-browser journeys: the reviewer's path through the running app, in headless Chromium.

One `streamlit run app.py` server (its own temporary database, preloaded with the five seeds)
and one browser serve the whole module; each test gets a fresh browser context (a new
Streamlit session). Nothing sleeps: every step waits on Playwright's `expect(...)`.

Skipped with a reason when Playwright or Chromium is missing, except under CI=true, where a
missing browser is a failure. Screenshots of every page at 1280 and 800 px are written to
artifacts/screenshots/<page>-<width>.png on each run.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests import e2e_support as e2e
from tests.pdfs import pdf_from_text

pytestmark = pytest.mark.e2e

SEED = "precision-e-technologies.txt"
# The extractor cites this sentence for children.min_age of that seed (data/seeds/facts.json).
SEED_FACT = "children.min_age"
SEED_SENTENCE = "Our services are not intended for children under 18 years of age."
UPLOAD_NAME = "quillfeather-analytics-privacy-policy.pdf"
UPLOAD_VENDOR = "Quillfeather Analytics"  # vendor_from_filename(UPLOAD_NAME)
WIDTHS = (1280, 800)
HEIGHT = 900


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def server(browser, tmp_path_factory):
    # Depends on `browser` so a machine without one skips before starting Streamlit.
    srv = e2e.start_server(tmp_path_factory.mktemp("e2e-server"))
    yield srv
    e2e.stop_server(srv)


@pytest.fixture(scope="session")
def app_pages():
    return e2e.app_pages()


@pytest.fixture
def page(browser, server, console):
    """A new Streamlit session: fresh context (cookies, session state) per test."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT},
                                  accept_downloads=True)
    context.set_default_timeout(e2e.APP_TIMEOUT_MS)
    pg = context.new_page()
    console.attach(pg)
    yield pg
    context.close()


def _records(server):
    from extract.store import Store

    store = Store(server.db)
    try:
        return store.records()
    finally:
        getattr(store, "close", lambda: None)()


def _upload_pdf() -> bytes:
    text = (e2e.ROOT / "data" / "seeds" / SEED).read_text(encoding="utf-8")
    return pdf_from_text(text, header=None)


def _pdf_page_of(sentence: str) -> int:
    """The 1-based page of the uploaded PDF that holds `sentence` (lines wrap in the PDF)."""
    from pypdf import PdfReader

    want = " ".join(sentence.split())
    for number, pdf_page in enumerate(PdfReader(io.BytesIO(_upload_pdf())).pages, start=1):
        if want in " ".join(pdf_page.extract_text().split()):
            return number
    raise AssertionError(f"{sentence!r} is not in the test PDF")


@pytest.fixture(scope="session")
def uploaded_vendor(browser, server) -> str:
    """Journey 2, first half: upload a PDF on the Upload page and process it.

    Session-scoped so the vendor and evidence journeys can run alone (`-k`) or in any order.
    """
    from playwright.sync_api import expect

    pdf = _upload_pdf()
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
    log = e2e.ConsoleLog()
    try:
        page = context.new_page()
        log.attach(page)
        e2e.open_page(page, server, "upload")
        uploader = page.locator('[data-testid="stFileUploader"]')
        uploader.locator('input[type="file"]').set_input_files(
            {"name": UPLOAD_NAME, "mimeType": "application/pdf", "buffer": pdf})
        # The chip shows a shortened name; its title holds the full one.
        expect(uploader.locator(f'[data-testid="stFileChipName"][title="{UPLOAD_NAME}"]')) \
            .to_be_visible()
        process = page.locator(".st-key-process button")
        expect(process).to_be_enabled()
        process.click()
        # Done: the status collapses to "Processed 1 file(s)" and the result names the vendor.
        done = page.locator('[data-testid="stAlert"]', has_text=UPLOAD_NAME)
        expect(done).to_be_visible(timeout=e2e.UPLOAD_TIMEOUT_MS)
        expect(done).to_contain_text(UPLOAD_VENDOR)
        expect(done).to_contain_text("Added")
        expect(page.get_by_text("Processed 1 file(s)")).to_be_visible()
        e2e.wait_for_app(page)
        e2e.assert_clean(page, log, "the Upload page after processing")
    finally:
        context.close()
    return UPLOAD_VENDOR


# --------------------------------------------------------------------------- journeys
def test_every_page_opens_without_errors(page, server, console, app_pages):
    """Journey 1: every page registered in app.py renders, with no exception or console error."""
    from playwright.sync_api import expect

    names = [p.name for p in app_pages]
    assert {"overview", "vendor", "compare", "upload", "scorecard"} <= set(names), names
    for app_page in app_pages:
        e2e.open_page(page, server, app_page)
        e2e.wait_for_charts(page)
        expect(page.get_by_role("heading", level=1).first).not_to_be_empty()
        # Our favicon, served by this server, on every page (never a page icon from Google).
        expect(page.locator('link[rel="shortcut icon"]')).to_have_attribute(
            "href", re.compile(rf"^{re.escape(server.url)}/media/\w+\.png$"))
        e2e.assert_clean(page, console, f"page {app_page.name!r}")
    # The sidebar lists exactly these pages (a page added to app.py is covered above).
    links = page.locator('[data-testid="stSidebarNav"] a')
    expect(links).to_have_count(len(app_pages))
    hrefs = sorted(re.sub(r"^https?://[^/]+/", "", h) for h in
                   links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == sorted(p.path for p in app_pages)


def test_uploaded_pdf_appears_on_overview(page, server, console, uploaded_vendor):
    """Journey 2: after the upload, the new vendor is in the overview's score table and matrix."""
    from playwright.sync_api import expect

    e2e.open_page(page, server, "")
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table.locator('table[role="grid"] td', has_text=uploaded_vendor)).to_have_count(1)
    # The comparison matrix (an HTML grid, painted first): the vendor heads a column ...
    expect(page.locator(f'.pp-matrix th[title="{uploaded_vendor}"]')).to_have_count(1)
    # ... and hovering its minimum-age cell quotes the evidence, with its page.
    hover = page.locator(f'.pp-matrix td[title^="{uploaded_vendor} · "]'
                         "[title*='not intended for children under 18']")
    expect(hover.first).to_have_attribute("title", re.compile(r"\(page \d+\)"))
    expect(table.locator('table[role="grid"] tbody tr')).to_have_count(len(_records(server)))
    e2e.assert_clean(page, console, "the overview after an upload")


def test_vendor_page_shows_known_evidence(page, server, console, uploaded_vendor):
    """Journey 3: the uploaded vendor's page quotes the sentence that proves its minimum age."""
    from playwright.sync_api import expect

    seeds = json.loads((e2e.ROOT / "data" / "seeds" / "facts.json").read_text())
    cited = [e["text"] for s in seeds if s["source"] == SEED
             for e in s["facts"][SEED_FACT]["evidence"]]
    assert SEED_SENTENCE in cited, f"the seed no longer cites {SEED_SENTENCE!r}: {cited}"

    e2e.open_page(page, server, "vendor", f"vendor={uploaded_vendor.replace(' ', '+')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(uploaded_vendor)
    expect(page.locator(".st-key-vendor_select [role='combobox']")).to_have_value(uploaded_vendor)
    page.get_by_role("tab", name="Children").click()
    quote = page.locator(".pp-quote", has_text=SEED_SENTENCE)
    expect(quote.first).to_be_visible()
    expect(quote.first.locator("mark").first).to_be_visible()  # matched words highlighted
    expect(quote.first.locator(".pp-where")).to_contain_text(f"page {_pdf_page_of(SEED_SENTENCE)}")
    expect(page.locator(".pp-fact", has=quote).first.locator(".pp-badge")).to_have_text("18")
    e2e.assert_clean(page, console, "the vendor page")


def _select(page, key: str, option: str) -> None:
    from playwright.sync_api import expect

    # st.selectbox is a combobox whose <input> holds the chosen option's label.
    box = page.locator(f".st-key-{key} [role='combobox']")
    expect(box).to_be_visible()
    if box.input_value() == option:
        return
    box.click()
    # Typing filters the list: long lists are virtualised, so a far option is not in the DOM.
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)
    e2e.wait_for_app(page)


def test_jurisdiction_changes_children_score(page, server, console):
    """Journey 4: COPPA (13) → India DPDP (18) lowers a 16+ vendor's children score."""
    from playwright.sync_api import expect

    from extract.score import JURISDICTIONS, Rubric, score

    coppa = next(j for j, age in JURISDICTIONS.items() if j.startswith("COPPA"))
    india = next(j for j, age in JURISDICTIONS.items() if j.startswith("India"))
    young, old = JURISDICTIONS[coppa], JURISDICTIONS[india]
    e2e.open_page(page, server, "scorecard")  # first page run seeds the database
    # A vendor whose stated minimum age lies between the two required ages.
    rec = next(r for r in _records(server) if isinstance(
        getattr(r.facts.get("children.min_age"), "value", None), int)
        and young <= r.facts["children.min_age"].value < old)
    before = score(rec.facts, Rubric(required_age=young)).children
    after = score(rec.facts, Rubric(required_age=old)).children
    assert before != after

    # The grid draws on a canvas; its accessible <table> (inside the canvas) holds the text.
    table = page.locator('[data-testid="stDataFrame"] table[role="grid"]').first
    head = table.locator("thead th", has_text=re.compile(r"^Children$"))
    expect(head).to_have_count(1)
    col = head.get_attribute("aria-colindex")
    name_cell = page.locator('td[aria-colindex="1"]',
                             has_text=re.compile(f"^{re.escape(rec.vendor)}$"))
    children = table.locator("tbody tr", has=name_cell).locator(f'td[aria-colindex="{col}"]')

    _select(page, "jurisdiction", f"{coppa} — age {young}")
    expect(children).to_have_text(f"{before:.0f}")
    _select(page, "jurisdiction", f"{india} — age {old}")
    expect(children).to_have_text(f"{after:.0f}")
    expect(page.get_by_text(f"(age {old})").first).to_be_visible()
    # The rubric is kept across pages of the same session (an in-app link, not a reload,
    # which would start a new session): the sidebar of another page shows it.
    page.locator('[data-testid="stSidebarNav"] a[href$="/compare"]').click()
    expect(page).to_have_url(re.compile(r"/compare$"))
    e2e.wait_for_app(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(india)
    e2e.assert_clean(page, console, "the scorecard")


def test_markup_in_a_vendor_name_is_shown_as_text(page, server, console):
    """The matrix is drawn by Markdown as one raw-HTML block: a vendor name full of HTML and
    Markdown syntax reaches the reader exactly as typed, and no element, link or formula is made
    of it. The vendor is written straight into the server's database, then removed."""
    from playwright.sync_api import expect

    from extract.model import Document, Evidence, Extraction, Fact, Page
    from extract.store import Store

    name = "**Bold** _it_ $x$ <b>Co</b> [l](#x)"
    quote = "<img src=x onerror=alert(1)> We do not sell **personal** data."
    doc = Document(filename="markup.txt", sha256="e" * 64, text=quote,
                   pages=(Page(1, 0, len(quote)),), media_type="txt")
    fact = Fact("sharing.no_sale", True, 0.95, [Evidence(quote, 1, 0, len(quote))])
    store = Store(server.db)
    added = store.add(Extraction(name, doc, {fact.fact_id: fact}, [], "test"))
    try:
        e2e.open_page(page, server, "")
        head = page.locator(".pp-matrix th.pp-mv", has_text="Bold")
        expect(head).to_have_text(name)
        expect(head).to_have_attribute("title", name)
        expect(page.locator(f'.pp-matrix td[title^="{name} · "]', has_text="yes")) \
            .to_have_attribute("title", re.compile(re.escape(quote)))
        made = page.locator(".pp-matrix :is(th.pp-mv, td) :is(img, a, b, strong, em, .katex)")
        expect(made).to_have_count(0)
        e2e.assert_clean(page, console, "the overview with markup in a vendor name")
    finally:
        store.delete_vendor(added.vendor_id)


def _fact_ids() -> list[str]:
    """The public fact IDs from ../shared/facts.md (the contract), else from the taxonomy."""
    md = e2e.ROOT.parent / "shared" / "facts.md"
    if md.is_file():
        ids = re.findall(r"^\|\s*([a-z_]+\.[a-z_]+)\s*\|", md.read_text(), re.MULTILINE)
        if ids:
            return ids
    from extract.taxonomy import taxonomy

    return [s.id for s in taxonomy()]


def test_download_csv_scorecard(page, server, console):
    """Journey 5: the CSV download has one row per vendor and every fact-ID column."""
    from playwright.sync_api import expect

    e2e.open_page(page, server, "scorecard")
    # With `help`, Streamlit also renders a hidden copy of the button (to size the tooltip).
    button = page.locator(".st-key-download_csv button").filter(visible=True)
    expect(button).to_be_enabled()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "privacy-scorecard.csv"
    data = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    vendors = [r["vendor"] for r in rows]
    expected = sorted(r.vendor for r in _records(server))
    assert sorted(vendors) == expected, "one row per stored vendor"
    assert len(set(vendors)) == len(vendors)
    columns = set(rows[0])
    ids = _fact_ids()
    assert "rights.access" in ids
    missing = [c for i in ids for c in (i, f"{i}.evidence") if c not in columns]
    assert not missing, f"CSV lacks fact columns: {missing}"
    for col in ("rights", "retention", "security", "children", "overall", "grade"):
        assert col in columns
    e2e.assert_clean(page, console, "the scorecard download")


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_and_nothing_cut_off(page, server, console, app_pages, width):
    """Journey 6: full-page screenshots of every page; nothing cut off horizontally at 800 px."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    problems, notes = [], []
    for app_page in app_pages:
        e2e.open_page(page, server, app_page)
        e2e.wait_for_charts(page)
        e2e.full_page_screenshot(page, e2e.ARTIFACTS / f"{app_page.name}-{width}.png")
        if width <= 800:
            rep = e2e.layout_report(page)
            if rep["docScroll"] > rep["viewport"] + 2:
                problems.append(f"{app_page.name}: page scrolls sideways "
                                f"({rep['docScroll']} > {rep['viewport']} px)")
            problems += [f"{app_page.name}: cut off: {o}" for o in rep["overflowing"][:5]]
            problems += [f"{app_page.name}: scrolls sideways: {s}" for s in rep["scrollers"][:5]]
            notes += [f"{app_page.name}: {r}" for r in rep["regions"]]
        e2e.assert_clean(page, console, f"page {app_page.name!r} at {width} px")
    if width <= 800:  # the check itself must catch an overflow (guards against a no-op)
        page.evaluate("""() => { const d = document.createElement('div'); d.id = 'e2e-wide';
            d.style.width = '2000px'; d.textContent = 'wide';
            document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(d); }""")
        rep = e2e.layout_report(page)
        assert any("right=" in o for o in rep["overflowing"]), rep
        page.evaluate("() => document.getElementById('e2e-wide').remove()")
    # For the reviewer of the screenshots: the intended sideways-scrolling regions.
    (e2e.ARTIFACTS / f"layout-{width}.txt").write_text(
        "Intended horizontal scroll regions (data grids, matrix):\n" + "\n".join(notes) + "\n")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- reviewer workflow
def _vendor_id(server, name: str) -> int:
    return next(r.vendor_id for r in _records(server) if r.vendor == name)


def e2e_versions(server, vendor: str) -> list:
    from extract.store import Store

    return Store(server.db).versions(_vendor_id(server, vendor))


def _fill(page, key: str, text: str) -> None:
    """Type into an st.text_input and commit it (Enter), as a reviewer does."""
    box = page.locator(f".st-key-{key} input")
    box.fill(text)
    box.press("Enter")
    e2e.wait_for_app(page)


def test_override_a_fact_and_see_it_in_the_matrix(page, server, console):
    """Journey 7: a reviewer overrides a fact with a note; the matrix shows the reviewed value
    and the audit trail records who changed what."""
    from playwright.sync_api import expect

    from extract.taxonomy import taxonomy

    vendor, fid = "Digi Smart Manager", "security.mfa"
    spec = next(s for s in taxonomy() if s.id == fid)
    e2e.open_page(page, server, "")  # the first page run of a server seeds its database
    rec = next(r for r in _records(server) if r.vendor == vendor)
    assert rec.facts[fid].value is not True, "pick a fact the extractor did not find"
    e2e.open_page(page, server, "review", f"vendor={rec.vendor_id}")
    _select(page, "override_fact", f"Security · {spec.label}")
    _select(page, "override_value_bool", "yes")
    _fill(page, "override_note", "MFA confirmed in the vendor's security questionnaire")
    page.locator(".st-key-override_save button").click()
    expect(page.locator('[data-testid="stAlert"]', has_text="set to yes")).to_be_visible()
    e2e.wait_for_app(page)

    page.locator('[data-testid="stSidebarNav"] a').first.click()  # the overview, same session
    e2e.wait_for_app(page)
    cell = page.locator(f'.pp-matrix td[title^="{vendor} · {spec.label}:"]')
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text("✔")
    stored = next(r for r in _records(server) if r.vendor == vendor)
    assert stored.facts[fid].value is True and fid in stored.overrides
    assert stored.extracted[fid].value == rec.facts[fid].value  # the extraction is kept
    page.locator('[data-testid="stSidebarNav"] a[href$="/audit"]').click()
    e2e.wait_for_app(page)
    expect(page.locator('[data-testid="stDataFrame"] table[role="grid"] td',
                        has_text=fid).first).to_be_attached()
    e2e.assert_clean(page, console, "the override journey")


def test_upload_a_new_version_and_see_the_diff(page, server, console):
    """Journey 8: a newer policy of a stored vendor becomes version 2; the diff lists the fact
    gained and the fact lost, each with its quote."""
    from playwright.sync_api import expect

    removed = ("All of our users’ information, not just sensitive information, is restricted in "
               "our offices.")
    added = "You have the right to request access to the personal data we hold about you."
    text = (e2e.ROOT / "data" / "seeds" / "itechno.txt").read_text(encoding="utf-8")
    assert removed in text
    e2e.open_page(page, server, "upload")
    assert len(e2e_versions(server, "Itechno")) == 1
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": "itechno-2026.txt", "mimeType": "text/plain",
         "buffer": text.replace(removed, added).encode("utf-8")})
    _fill(page, "vendor_override", "Itechno")
    page.locator(".st-key-process button").click()
    done = page.locator('[data-testid="stAlert"]', has_text="itechno-2026.txt")
    expect(done).to_contain_text("Added", timeout=e2e.UPLOAD_TIMEOUT_MS)
    e2e.wait_for_app(page)

    e2e.open_page(page, server, "review", f"vendor={_vendor_id(server, 'Itechno')}")
    expect(page.get_by_text(re.compile(r"v1 → v2: \d+ gained, \d+ lost"))).to_be_visible()
    diff = page.locator(".pp-table")
    gained = diff.locator("tr", has_text="＋ gained").filter(has_text=added)
    lost = diff.locator("tr", has_text="− lost").filter(has_text=removed[:40])
    expect(gained).to_have_count(1)
    expect(lost).to_have_count(1)
    assert [v.filename for v in e2e_versions(server, "Itechno")][-1] == "itechno-2026.txt"
    e2e.assert_clean(page, console, "the version diff")
