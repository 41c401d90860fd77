"""The Streamlit app through AppTest: every page, an upload, the rubric, the CSV and escaping.

Each test gets a fresh database (`tmp_db`: `$PRIVACY_DB` → tmp file), which the app seeds with
the five seed vendors on first open. Uploads drive the real `st.file_uploader` (AppTest in this
Streamlit version can set its files) and the real model; `get_extractor` is an
`st.cache_resource`, so the model loads once for the whole test session.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.media_file_storage import MediaFileKind

from extract.errors import StoreError
from extract.model import Document, Evidence, Extraction, Fact, Page
from extract.score import JURISDICTIONS, Rubric, score
from extract.store import Store
from extract.taxonomy import fact_ids
from tests.core_fixtures import run_python

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SEED_VENDORS = {"Cloud Services Provider", "Digi Smart Manager", "Itechno",
                "Precision E Technologies", "Precision Optical Technologies"}
GDPR = "GDPR (EU default, Art. 8)"
INDIA = "India (DPDP Act 2023)"
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = "[link](javascript:alert(1))"

POLICY_TXT = textwrap.dedent("""\
    Acme Cloud Privacy Policy

    1. Your rights
    You have the right to request access to the personal data we hold about you.
    You may ask us to delete your personal data at any time.

    2. Security
    All traffic between your browser and our servers is encrypted using TLS 1.3.

    3. Sharing
    We do not sell personal information to anyone.

    4. Retention
    We delete account data within 30 days after you close your account.

    5. Children
    Our service is not directed to children under the age of 13.
    """).encode()


# ----------------------------------------------------------------------------- helpers
def app(timeout: float = 60) -> AppTest:
    return AppTest.from_file(APP, default_timeout=timeout)


def open_page(page: str | None = None, **query) -> AppTest:
    """Run the app, then switch to `pages/<page>.py` (query params apply to that run)."""
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.query_params.update(query)
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def vendor_ids(db: Path) -> dict[str, int]:
    return {r.vendor: r.vendor_id for r in Store(db).records()}


def plotly_specs(at: AppTest) -> list[str]:
    return [el.proto.spec for el in at.get("plotly_chart")]


def chart_types(at: AppTest) -> set[str]:
    """The first trace type of every Plotly chart on the page."""
    return {(json.loads(spec)["data"] or [{}])[0].get("type") for spec in plotly_specs(at)}


def chart(at: AppTest, trace_type: str) -> str:
    """The figure JSON whose first trace has this type ("heatmap", "bar", "scatterpolar")."""
    for spec in plotly_specs(at):
        data = json.loads(spec)["data"]
        if data and data[0].get("type") == trace_type:
            return json.dumps(data, ensure_ascii=False)  # readable: no \u003c escapes
    raise AssertionError(f"no {trace_type} chart on the page")


def html_fragments(at: AppTest) -> list[str]:
    """Our HTML fragments (`ui.show_html`): Markdown elements that are one raw-HTML block."""
    return [str(el.value) for el in at.markdown if str(el.value).startswith("<style>")]


def matrix_fragment(at: AppTest) -> str:
    """The HTML fragment that holds the comparison matrix."""
    return next(h for h in html_fragments(at) if 'class="pp-matrix"' in h)


def texts(at: AppTest) -> list[str]:
    """Every rendered text of the page that Streamlit interprets (Markdown or HTML)."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error",
                 "success", "info", "warning", "text", "code", "exception"):
        out += [str(el.value) for el in getattr(at, kind)]
    return out


def visible(fragment: str) -> str:
    """What a reader sees in one of our HTML fragments: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def plain(markdown: str) -> str:
    """What a reader sees of escaped Markdown: backslash escapes and entities undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def score_table(at: AppTest):
    return next(df.value for df in at.dataframe if "Vendor" in getattr(df.value, "columns", []))


@pytest.fixture(autouse=True)
def server_page_mode(monkeypatch):
    """Run every AppTest rerun through app.py, as the server does.

    AppTest resets Streamlit's legacy "pages/ directory" flag before each run, so every rerun
    would execute pages/<page>.py directly, without app.py (no sidebar, and button clicks are
    lost). The server switches that flag off for good once app.py has called st.navigation;
    this subclass does the same for AppTest.
    """
    from streamlit.runtime.pages_manager import PagesManager

    class ServerLikePagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test_module, "PagesManager", ServerLikePagesManager)


@pytest.fixture
def downloads(monkeypatch):
    """Bytes handed to st.download_button (in order): AppTest keeps them in a media storage it drops after
    each run, so a recording subclass is swapped in."""
    saved: list[tuple[str | None, bytes]] = []

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            if kind == MediaFileKind.DOWNLOADABLE:  # not images such as the favicon
                saved.append((filename, path_or_data))
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return saved


def hostile_extraction() -> Extraction:
    text = f"{HOSTILE} {HOSTILE_LINK} We do not sell personal information."
    doc = Document(filename=f"{HOSTILE}.txt", sha256="f" * 64, text=text,
                   pages=(Page(1, 0, len(text)),), media_type="txt")
    ev = Evidence(text, 1, 0, len(text), section="<script>alert(2)</script>")
    facts = {"sharing.no_sale": Fact("sharing.no_sale", True, 0.95, [ev]),
             "rights.access": Fact("rights.access", True, 0.6, [ev])}
    return Extraction(f"Evil {HOSTILE} {HOSTILE_LINK}", doc, facts, [], "test")


# ----------------------------------------------------------------------------- overview
def test_overview_shows_the_five_seed_vendors(tmp_db):
    at = open_page()
    table = score_table(at)
    assert set(table["Vendor"]) == SEED_VENDORS
    assert list(table["Overall"]) == sorted(table["Overall"], reverse=True)  # ranked
    assert set(table.columns) >= {"Rights", "Retention", "Security", "Children", "Grade"}
    specs = plotly_specs(at)
    assert len(specs) == 1  # the ranking; the heat-map is drawn on request
    at.toggle(key="matrix_chart_on").set_value(True).run()
    matrix = chart(at, "heatmap")
    assert "Minimum age" in matrix and "Encryption in transit" in matrix
    assert "We do not sell personal information." in matrix  # first evidence in hover
    assert "not stated in the policy" in matrix
    ranking = chart(at, "bar")
    assert "Rights:" in ranking and "Children:" in ranking  # area breakdown on hover
    # The HTML matrix (what paints first): every vendor a column, hover text from the evidence.
    grid = matrix_fragment(at)
    assert all(html.escape(v) in grid for v in SEED_VENDORS)
    assert 'title="' in grid and "We do not sell personal information." in html.unescape(grid)
    assert any("Stated: the policy says it" in t for t in texts(at))  # legend
    # Sidebar: the rubric in force and the review note
    sidebar = " ".join(m.value for m in [*at.sidebar.markdown, *at.sidebar.caption])
    assert GDPR in sidebar and "16" in sidebar and "need review" in sidebar


def test_overview_area_filter(tmp_db):
    at = open_page()
    at.toggle(key="matrix_chart_on").set_value(True)
    at.segmented_control(key="area_filter").set_value(["children"]).run()
    matrix = chart(at, "heatmap")
    assert "Minimum age" in matrix and "Parental consent" in matrix
    assert "Encryption" not in matrix and "Portability" not in matrix
    at.segmented_control(key="area_filter").set_value([]).run()
    assert any("at least one area" in i.value for i in at.info)
    assert not chart_types(at) - {"bar"}  # no heat-map without areas; the ranking stays
    # The filters are drawn after the matrix (into containers above it) yet still apply, and
    # keep their values: back to one area, the heat-map (still switched on) follows it.
    at.segmented_control(key="area_filter").set_value(["retention"]).run()
    matrix = chart(at, "heatmap")
    assert "Retention periods" in matrix and "Minimum age" not in matrix
    assert "Retention periods" in matrix_fragment(at) and "Minimum age" not in matrix_fragment(at)


def test_overview_sees_writes_made_by_another_process(tmp_db):
    """Another server or script writing to the same database file: the next run shows it,
    even when the number of vendors does not change."""
    at = open_page()
    before = score_table(at).set_index("Vendor")["Overall"]
    vid = vendor_ids(tmp_db)["Itechno"]
    Store(tmp_db).set_override(vid, "security.mfa", True, "MFA confirmed by the vendor's CISO")
    at.run()
    after = score_table(at).set_index("Vendor")["Overall"]
    assert after["Itechno"] > before["Itechno"]


def test_overview_pages_a_large_store(tmp_db):
    """Beyond 20 vendors the matrix shows one page of vendors at a time, best first; the
    score table keeps them all."""
    from extract.seeds import load_seed_extractions

    store = Store(tmp_db)
    base = load_seed_extractions()
    for i in range(45):  # distinct documents: a vendor is recognised by its file's SHA-256
        ex = base[i % len(base)]
        doc = Document(filename=f"v{i}.txt", sha256=f"{i:064x}", text=ex.document.text,
                       pages=ex.document.pages, media_type="txt")
        store.add(Extraction(f"Vendor {i:02d}", doc, ex.facts, [], "test"))
    at = open_page()
    assert len(score_table(at)) >= 45
    page = at.selectbox(key="matrix_page")
    assert len(page.options) == 3 and page.options[0].startswith("1–20 of ")
    first = matrix_fragment(at)
    assert first.count('class="pp-mv"') == 20
    page.set_value(page.options[2]).run()
    last = matrix_fragment(at)
    assert last.count('class="pp-mv"') == len(score_table(at)) - 40
    assert first != last


def test_overview_empty_state(tmp_db):
    store = Store(tmp_db)
    from extract.seeds import ensure_seeded
    ensure_seeded(store)
    for vid in vendor_ids(tmp_db).values():
        store.delete_vendor(vid)
    at = open_page()
    assert any("No vendors yet" in i.value for i in at.info)
    assert not at.dataframe and not at.get("plotly_chart")
    # The page stopped early; the sidebar (drawn after the page) is still there.
    assert any("Rubric in force" in m.value for m in at.sidebar.markdown)
    assert at.text_input(key="reviewer_name").value == "local reviewer"


def test_pages_that_end_early_keep_the_sidebar():
    """app.py draws the sidebar after the page; Streamlit drops every element after st.stop(),
    so pages end early through ui.stop(), which draws it first (the empty overview above shows
    the result). The one st.stop() left in ui.py is the sign-in guard, where no sidebar shows."""
    import ast

    root = Path(__file__).resolve().parents[1] / "pages"
    for path in sorted(root.glob("*.py")):
        calls = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.Call) and ast.unparse(n.func) == "st.stop"]
        allowed = 2 if path.name == "ui.py" else 0  # ui.stop() itself and the sign-in guard
        assert len(calls) == allowed, f"{path.name}: use ui.stop(), not st.stop()"


# ----------------------------------------------------------------------------- vendor
def test_vendor_page_shows_evidence_with_page_and_section(tmp_db):
    at = open_page("vendor")
    ids = vendor_ids(tmp_db)
    at.selectbox(key="vendor_select").set_value(ids["Precision E Technologies"]).run()
    assert not at.exception
    shown = " ".join(visible(h) for h in html_fragments(at))
    assert "We do not sell personal information." in shown
    assert "Access: Request a copy of the data we hold about you." in shown
    assert "page 1" in shown and "section" in shown
    assert "<mark>" in " ".join(html_fragments(at))  # keywords highlighted
    labels = {m.label: m.value for m in at.metric}
    assert set(labels) >= {"Overall", "Grade", "Rights", "Retention", "Security", "Children"}
    rec = Store(tmp_db).record(ids["Precision E Technologies"])
    assert labels["Rights"] == f"{score(rec.facts, Rubric()).rights:.0f}"
    assert any(rec.sha256 in c.value for c in at.caption)  # source, SHA-256, upload time
    assert "Rights: " in chart(at, "scatterpolar")  # hover: the rubric line
    assert at.query_params["vendor"] == str(ids["Precision E Technologies"])


def test_vendor_page_honours_query_param(tmp_db):
    at = app().run()
    ids = vendor_ids(tmp_db)
    at.query_params["vendor"] = str(ids["Itechno"])
    at.switch_page("pages/vendor.py").run()
    assert at.selectbox(key="vendor_select").value == ids["Itechno"]
    assert any("Itechno" in h.value for h in at.title)


def test_delete_vendor_needs_confirmation(tmp_db):
    at = open_page("vendor")
    ids = vendor_ids(tmp_db)
    at.selectbox(key="vendor_select").set_value(ids["Itechno"]).run()
    at.button(key="delete_vendor").click().run()
    assert Store(tmp_db).count_vendors() == 5  # not yet: a confirmation is asked
    assert any("for good" in w.value for w in at.warning)
    at.button(key="delete_vendor_confirm").click().run()
    assert not at.exception
    assert Store(tmp_db).count_vendors() == 4
    assert "Itechno" not in vendor_ids(tmp_db)
    at.switch_page("pages/overview.py").run()
    assert set(score_table(at)["Vendor"]) == SEED_VENDORS - {"Itechno"}  # cache refreshed


# ----------------------------------------------------------------------------- compare
def test_compare_side_by_side_with_differences(tmp_db):
    at = open_page("compare")
    assert len(at.multiselect(key="compare_select").value) == 2  # a useful default
    ids = vendor_ids(tmp_db)
    chosen = [ids["Cloud Services Provider"], ids["Precision Optical Technologies"],
              ids["Itechno"]]
    at.multiselect(key="compare_select").set_value(chosen).run()
    assert not at.exception
    tables = " ".join(h for h in html_fragments(at) if "pp-table" in h)
    for name in ("Cloud Services Provider", "Precision Optical Technologies", "Itechno"):
        assert f"<th>{name}</th>" in tables
    assert "pp-diff" in tables and "≠" in tables
    assert "Precision’s online website is not directed to anyone under the age of 16." \
        in visible(tables)
    n_rows = tables.count("<tr")
    at.toggle(key="compare_diff_only").set_value(True).run()
    only = " ".join(h for h in html_fragments(at) if "pp-table" in h)
    assert 0 < only.count("<tr") < n_rows
    at.multiselect(key="compare_select").set_value(chosen[:1]).run()
    assert any("at least two" in i.value for i in at.info)


# ----------------------------------------------------------------------------- scorecard
def test_jurisdiction_changes_children_score_on_every_page(tmp_db):
    at = open_page("scorecard")
    ids = vendor_ids(tmp_db)
    facts = Store(tmp_db).record(ids["Precision Optical Technologies"]).facts
    assert facts["children.min_age"].value == 16  # the seed this test is about

    def children_in_table() -> float:
        t = score_table(at)
        return float(t.loc[t["Vendor"] == "Precision Optical Technologies", "Children"].iloc[0])

    gdpr = score(facts, Rubric(required_age=JURISDICTIONS[GDPR])).children
    india = score(facts, Rubric(required_age=JURISDICTIONS[INDIA])).children
    assert gdpr != india
    assert at.selectbox(key="jurisdiction").value == GDPR  # the default
    assert children_in_table() == gdpr
    at.selectbox(key="jurisdiction").set_value(INDIA).run()
    assert children_in_table() == india
    # The choice holds on the other pages, which never render the widget.
    at.query_params["vendor"] = str(ids["Precision Optical Technologies"])
    at.switch_page("pages/vendor.py").run()
    assert {m.label: m.value for m in at.metric}["Children"] == f"{india:.0f}"
    assert any(INDIA in m.value for m in at.sidebar.markdown)
    at.switch_page("pages/overview.py").run()
    t = score_table(at)
    assert float(t.loc[t["Vendor"] == "Precision Optical Technologies", "Children"].iloc[0]) \
        == india
    # Back on the Scorecard, the widget still shows the reviewer's choice; reset restores.
    at.switch_page("pages/scorecard.py").run()
    assert at.selectbox(key="jurisdiction").value == INDIA
    at.button(key="reset_rubric").click().run()
    assert at.selectbox(key="jurisdiction").value == GDPR
    assert children_in_table() == gdpr


def test_custom_age_and_weights(tmp_db):
    at = open_page("scorecard")
    at.selectbox(key="jurisdiction").set_value("Custom age").run()
    at.number_input(key="custom_age").set_value(21).run()
    for key in ("w_rights", "w_retention", "w_security"):
        at.slider(key=key).set_value(0).run()
    at.slider(key="w_children").set_value(100).run()
    t = score_table(at)
    # Only children count now, so overall equals the children score of every vendor.
    assert list(t["Overall"]) == list(t["Children"])
    assert any("Custom (age 21)" in m.value for m in at.sidebar.markdown)


def test_csv_download_has_one_row_per_vendor(tmp_db, downloads):
    at = open_page("scorecard")
    button = at.download_button(key="download_csv")
    assert "Download" in button.label
    files = [data for name, data in downloads if name == "privacy-scorecard.csv"]
    assert files, "no CSV was handed to the download button"
    rows = list(csv.DictReader(io.StringIO(files[-1].decode("utf-8"))))
    assert {r["vendor"] for r in rows} == SEED_VENDORS and len(rows) == 5
    assert set(fact_ids()) <= set(rows[0])
    optical = next(r for r in rows if r["vendor"] == "Precision Optical Technologies")
    assert optical["children.min_age"] == "16"
    gdpr_children = float(optical["children"])
    # The CSV follows the rubric chosen on the page.
    downloads.clear()
    at.selectbox(key="jurisdiction").set_value(INDIA).run()
    rows = list(csv.DictReader(io.StringIO(downloads[-1][1].decode("utf-8"))))
    optical = next(r for r in rows if r["vendor"] == "Precision Optical Technologies")
    assert float(optical["children"]) < gdpr_children


# ----------------------------------------------------------------------------- upload
def upload(at: AppTest, *files: tuple[str, bytes, str], vendor: str = "") -> AppTest:
    at.file_uploader(key="uploader").set_value(list(files))
    at.text_input(key="vendor_override").set_value(vendor)
    at.run()
    at.button(key="process").click().run(timeout=300)  # the first upload loads the model
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_txt_adds_a_vendor_and_a_duplicate_changes_nothing(tmp_db):
    at = open_page("upload")
    assert at.file_uploader(key="uploader").accept_multiple_files
    assert set(at.file_uploader(key="uploader").allowed_type) >= {".pdf", ".txt", ".docx"}
    assert at.button(key="process").disabled  # nothing to process yet
    upload(at, ("acme-cloud-privacy-policy.txt", POLICY_TXT, "text/plain"))
    assert any("Acme Cloud" in s.value for s in at.success), [e.value for e in at.error]
    ids = vendor_ids(tmp_db)
    assert len(ids) == 6 and "Acme Cloud" in ids
    facts = Store(tmp_db).record(ids["Acme Cloud"]).facts
    assert facts["sharing.no_sale"].value is True
    assert facts["children.min_age"].value == 13
    # The new vendor is on the other pages at once (no stale cache).
    at.switch_page("pages/overview.py").run()
    assert "Acme Cloud" in set(score_table(at)["Vendor"])
    at.query_params["vendor"] = str(ids["Acme Cloud"])
    at.switch_page("pages/vendor.py").run()
    assert "We do not sell personal information to anyone." in " ".join(
        visible(h) for h in html_fragments(at))
    # The same bytes again, under another name: reported, nothing added.
    at.switch_page("pages/upload.py").run()
    upload(at, ("copy.txt", POLICY_TXT, "text/plain"))
    assert any("Already stored" in i.value for i in at.info)
    assert Store(tmp_db).count_vendors() == 6


def test_upload_bad_file_shows_error_and_stores_nothing(tmp_db):
    at = open_page("upload")
    junk = bytes(range(256)) * 64  # random-looking bytes, not a PDF
    upload(at, ("x.pdf", junk, "application/pdf"),
           ("acme-cloud-privacy-policy.txt", POLICY_TXT, "text/plain"))
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "x.pdf" in errors[0] and "Nothing was stored" in errors[0]
    assert "Traceback" not in errors[0]
    assert any("Acme Cloud" in s.value for s in at.success)  # the batch went on
    assert Store(tmp_db).count_vendors() == 6


def test_upload_of_a_non_english_policy_is_stored_with_a_visible_warning(tmp_db):
    from extract.read import NOT_ENGLISH_WARNING
    from tests.test_read_hostile import GERMAN

    at = open_page("upload")
    upload(at, ("datenschutz.txt", GERMAN.encode(), "text/plain"))
    assert any("datenschutz" in s.value for s in at.success)
    assert any(NOT_ENGLISH_WARNING in plain(w.value) for w in at.warning)
    assert Store(tmp_db).count_vendors() == 6


def test_upload_of_only_a_bad_file_keeps_the_vendor_count(tmp_db):
    at = open_page("upload")
    upload(at, ("x.pdf", b"%PDF-1.7\n" + bytes(range(200)) * 10, "application/pdf"))
    assert len(at.error) == 1 and "x.pdf" in plain(at.error[0].value)
    assert Store(tmp_db).count_vendors() == 5


# ----------------------------------------------------------------------------- security
def test_hostile_text_is_shown_literally_never_as_markup(tmp_db):
    Store(tmp_db).add(hostile_extraction())
    at = open_page()
    at.toggle(key="matrix_chart_on").set_value(True).run()  # the heat-map too
    ids = vendor_ids(tmp_db)
    evil = next(v for v in ids if v.startswith("Evil"))
    rendered: list[str] = texts(at)
    charts: list[str] = plotly_specs(at)
    assert len(charts) == 2
    at.query_params["vendor"] = str(ids[evil])
    at.switch_page("pages/vendor.py").run()
    assert not at.exception
    vendor_texts = texts(at)
    rendered += vendor_texts
    charts += plotly_specs(at)
    at.switch_page("pages/compare.py").run()
    at.multiselect(key="compare_select").set_value([ids[evil], ids["Itechno"]]).run()
    rendered += texts(at)
    at.switch_page("pages/scorecard.py").run()
    rendered += texts(at)
    for t in rendered:
        assert "<img" not in t.lower(), t[:300]
        assert "<script" not in t.lower(), t[:300]
        assert "<a " not in t.lower(), t[:300]
        # Our HTML fragments are one raw-HTML block each: Markdown links inside are text
        # (the browser test proves it); everything else is Markdown.
        if not t.startswith("<style>"):
            assert "](javascript" not in t, t[:300]
    # Plotly reads a few HTML tags (<a href>, <b>), never Markdown. json round trip: undo
    # the JSON \u003c escapes before looking.
    flat = [json.dumps(json.loads(spec), ensure_ascii=False).lower() for spec in charts]
    for f in flat:
        assert "<img" not in f and "<script" not in f and "<a " not in f
    assert any("&lt;img src=x onerror=alert(1)&gt;" in f for f in flat)  # vendor, hover
    # ... and the reader sees the hostile strings as plain text.
    seen = " ".join(visible(h) for h in html_fragments(at)) + " ".join(
        visible(t) for t in vendor_texts)
    assert HOSTILE in seen and HOSTILE_LINK in seen
    assert "&lt;img src=x onerror=alert(1)&gt;" in " ".join(vendor_texts)


def test_escape_helper():
    from pages.ui import escape

    md = escape(f"{HOSTILE} {HOSTILE_LINK} **bold** $x$ :red[c]\n# h")
    assert "<" not in md and "](" not in md and "**" not in md and "\n" not in md
    assert "\\$" in md and "\\[" in md
    assert escape(HOSTILE, "html") == "&lt;img src=x onerror=alert(1)&gt;"


# ----------------------------------------------------------------------------- process_uploads
class FakeExtractor:
    """Stands in for the model: one fact, from the document it is given."""

    def __init__(self):
        self.calls = 0

    def from_document(self, doc, vendor=None):
        self.calls += 1
        ev = Evidence(doc.text[:40], 1, 0, 40)
        return Extraction(vendor or "Fake Vendor", doc,
                          {"sharing.no_sale": Fact("sharing.no_sale", True, 0.9, [ev])}, [], "t")


def test_process_uploads_without_the_model(tmp_db):
    from pages.ui import process_uploads

    store, fake, made = Store(tmp_db), FakeExtractor(), []

    def factory():
        made.append(1)
        return fake

    res = process_uploads([("big.txt", b"x" * 100)], None, store, factory, limit=10)
    assert res[0].status == "error" and "limit" in res[0].message
    res = process_uploads([("x.pdf", bytes(range(256)) * 8)], None, store, factory)
    assert res[0].status == "error" and "Nothing was stored" in res[0].message
    assert not made  # neither oversized nor unreadable files load the model
    res = process_uploads([("a.txt", POLICY_TXT), ("b.txt", POLICY_TXT)], "Acme", store,
                          factory)
    assert [r.status for r in res] == ["added", "duplicate"]
    assert res[0].vendor == "Acme" and res[1].vendor_id == res[0].vendor_id
    assert len(made) == 1 and fake.calls == 1  # the duplicate needed no extraction
    assert store.count_vendors() == 1
    # A newer version, then the older file again: still recognised, with its vendor.
    newer = POLICY_TXT + b"\nWe encrypt data at rest.\n"
    assert process_uploads([("v2.txt", newer)], "Acme", store, factory)[0].status == "added"
    again = process_uploads([("a-copy.txt", POLICY_TXT)], None, store, factory)[0]
    assert (again.status, again.vendor, again.vendor_id) == ("duplicate", "Acme",
                                                             res[0].vendor_id)


def test_process_uploads_reports_store_and_unexpected_errors(tmp_db):
    from pages.ui import process_uploads

    class LockedStore(Store):
        def add(self, *a, **k):
            raise StoreError("The database privacy.db is locked by another process.")

    res = process_uploads([("a.txt", POLICY_TXT)], None, LockedStore(tmp_db), FakeExtractor)
    assert res[0].status == "error" and "locked" in res[0].message

    class Broken(FakeExtractor):
        def from_document(self, doc, vendor=None):
            raise RuntimeError("internal detail")

    res = process_uploads([("a.txt", POLICY_TXT)], None, Store(tmp_db), Broken)
    assert res[0].status == "error" and "internal detail" not in res[0].message
    assert Store(tmp_db).count_vendors() == 0


def test_a_page_run_without_app_py_restarts_through_it(tmp_db, monkeypatch):
    """Streamlit's legacy mode runs pages/vendor.py alone (e.g. the first request of a fresh
    server is for /vendor); the page must then restart through app.py, not show a bare page
    with every file of pages/ in the navigation."""
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(app_test_module, "PagesManager", PagesManager)  # AppTest as it is
    at = app().run()
    at.switch_page("pages/vendor.py").run()
    assert not at.exception
    assert any("Rubric in force" in m.value for m in at.sidebar.markdown)
    assert at.selectbox(key="vendor_select").value in vendor_ids(tmp_db).values()


# ----------------------------------------------------------------------------- imports
def test_result_pages_never_import_the_model(tmp_path):
    """Showing stored results must not pull in torch / sentence-transformers (slow, heavy)."""
    script = textwrap.dedent(f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=60).run()
        for page in ("vendor", "compare", "scorecard", "upload"):
            at.switch_page(f"pages/{{page}}.py").run()
            assert not at.exception, [e.value for e in at.exception]
        heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers")
                       if m in sys.modules)
        print(",".join(heavy))
    """)
    out = run_python(script, env={"PRIVACY_DB": str(tmp_path / "p.db")}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout}"


def test_config_limits_uploads_to_25_mb():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] == 25
    from pages.ui import max_upload_bytes
    assert max_upload_bytes() == 25 * 1024 * 1024
