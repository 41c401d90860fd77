"""The one module pages import: page paths, the app shell, and the shared helpers re-exported
from `pages.render` (pure renderers, no Streamlit) and `pages.session` (caches and state).

Policy text, vendor names and file names come from third parties and are treated as hostile:
everything they reach goes through `escape()` (the one escaping helper) before it is shown as
Markdown, HTML or Plotly text. Pages stay thin; anything two pages need lives here or below.

First paint: nothing imported here loads pandas, pypdf, numpy or the model; they (and the
Plotly figures) are imported inside the functions that need them, after the matrix is drawn.
"""
from __future__ import annotations

import re
from typing import NoReturn, Sequence

import streamlit as st

# Most names below are imported for the pages (`ui.escape`, `ui.cell`, ...), not used here.
from extract.errors import ExtractError, StoreError
from extract.ingest import Outcome as UploadResult
from extract.ingest import accepted_types, max_upload_bytes, ocr_available
from extract.ingest import ingest_uploads as process_uploads
from extract.model import REVIEW_STATUSES, PolicyRecord
from extract.score import DEFAULT_WEIGHTS, GRADE_BANDS, JURISDICTIONS, RUBRIC_TEXT, Rubric
from extract.store import Store
from extract.taxonomy import AREAS, SCORED_AREAS, FactSpec, taxonomy
from pages.render import fragments as _fragments
from pages.render.cells import (MATRIX_PAGE_SIZE, Cell, cell, cell_label, grade_help,
                                page_slices, quote_text, ranked, review_count, scores_of,
                                specs_by_area, value_text, value_words)
from pages.render.escape import escape
from pages.render.figures import matrix_figure, radar_figure, ranking_figure, rubric_lines
from pages.render.fragments import badge, css_block, evidence_html, fact_html, highlight
from pages.render.matrix import matrix_html
from pages.render.palette import (AREA_MARKER, AREA_TITLES, BAR_COLOUR, CELL_COLOURS,
                                  CELL_MEANING, CELL_TEXT_COLOURS, NOT_STATED, PARTIAL,
                                  REVIEW_MARK, REVIEW_STATUS_ICONS, REVIEWED_MARK, STATED,
                                  status_label)
from pages.render.review import diff_html, override_html
from pages.render.tables import score_frame
from pages.session.identity import (AuthMode, auth_mode, can_write, current_user,
                                    read_only_notice, render_identity, sign_in_gate, sign_out)
from pages.session.rubric import (CUSTOM_AGE, DEFAULT_JURISDICTION, JURISDICTION_OPTIONS,
                                  RUBRIC_DEFAULTS, WEIGHT_KEYS, current_rubric,
                                  init_rubric_state, jurisdiction_label, required_age,
                                  reset_rubric)
from pages.session.store import cached_records, db_path, get_extractor, open_store
from pages.session.uploads import (follow_batch, item_result, latest_unfinished,
                                 recent_uploads, submit_uploads)

# Page files, relative to app.py; st.page_link / st.switch_page take these paths.
PAGE_OVERVIEW = "pages/overview.py"
PAGE_VENDOR = "pages/vendor.py"
PAGE_COMPARE = "pages/compare.py"
PAGE_UPLOAD = "pages/upload.py"
PAGE_SCORECARD = "pages/scorecard.py"
PAGE_REVIEW = "pages/review.py"
PAGE_AUDIT = "pages/audit.py"


# --------------------------------------------------------------------------- app shell
def require_app_shell() -> None:
    """Make sure this page runs inside app.py (its sidebar, rubric state and navigation).

    Streamlit still has the legacy "pages/ directory" mode: when a process's first run asks
    for a page URL (e.g. a tab reconnecting to /vendor after a restart), or in every AppTest
    rerun, it executes pages/<page>.py directly, without app.py, and lists every file of
    pages/ in the sidebar. `st.navigation` in app.py switches that mode off; when a page finds
    it still on, app.py has not run, so it is switched off here and the run restarts through
    app.py, on the same page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    if current_user() is None:  # sign-in required (app.py shows the form): never run a page
        st.stop()


def stop() -> NoReturn:
    """End the page here, as `st.stop()` does, after drawing the shared sidebar.

    app.py draws the sidebar after the page, so that the page's first elements reach the
    browser first; after `st.stop()` Streamlit drops every further element, so a page that ends
    early draws it here. Pages call this, never `st.stop()` (a test checks).
    """
    render_sidebar()
    st.stop()
    raise AssertionError("st.stop() returned")  # it raises; this line is for type checkers


def render_sidebar() -> None:
    """The rubric in force and who is acting (sign-in), shown on every page."""
    rubric = current_rubric()
    with st.sidebar:
        st.markdown("**Rubric in force**")
        st.markdown(f"{jurisdiction_label()}  \nRequired minimum age for children: "
                    f"**{rubric.required_age}**")
        w = rubric.normalised_weights()
        st.caption("Weights: " + " · ".join(f"{AREA_TITLES[a]} {w[a] * 100:.0f}%"
                                            for a in SCORED_AREAS))
        st.page_link(PAGE_SCORECARD, label="Change rubric", icon=":material/tune:")
        st.divider()
        st.caption(f"Facts marked {REVIEW_MARK} need review: the extractor was unsure, or a "
                   "“yes” has no quoted evidence. Check the quote before relying on it. "
                   f"{REVIEWED_MARK} marks a reviewer's override.")
        render_identity()


# --------------------------------------------------------------------------- store & records
def get_store() -> Store:
    """The store for the current `$PRIVACY_DB` (seeded once); stops the page with a clear error."""
    try:
        return open_store()
    except ExtractError as exc:  # StoreError, or a seed that could not be read
        st.error(f"The vendor database cannot be opened. {escape(exc)}", icon=":material/error:")
        stop()


def load_records() -> list[PolicyRecord]:
    """Latest policy of every vendor, cached until the next upload or delete."""
    store = get_store()
    try:
        return cached_records(store)
    except StoreError as exc:
        st.error(escape(exc), icon=":material/error:")
        stop()


def vendor_report(rec: PolicyRecord, rubric: Rubric) -> str:
    """The printable HTML report of one vendor, with its versions and audit trail."""
    from extract.report import vendor_report_html

    store = get_store()
    return vendor_report_html(rec, rubric, store.versions(rec.vendor_id),
                              store.audit_log(rec.vendor_id))


def xlsx_bytes(records: Sequence[PolicyRecord], rubric: Rubric) -> bytes:
    """The Excel workbook of all vendors (openpyxl is imported on first use only)."""
    from extract.report import to_xlsx

    return to_xlsx(records, rubric)


# --------------------------------------------------------------------------- drawing
def show_html(body: str) -> None:
    """Render our HTML (built only from escaped fragments) with the shared styles.

    Drawn with `st.markdown` as one line that starts with `<style>`: CommonMark reads that as a
    single raw-HTML block, so nothing inside is taken for Markdown (`*`, `_`, `$`, `[..](..)` in
    a policy's text stay text; the browser test checks). Not `st.html`, whose renderer and
    sanitiser are extra front-end downloads fetched on first use, behind the chart libraries:
    they held back the matrix's first paint by 0.5–2 s (`python -m extract.bench`)."""
    st.markdown(_NEWLINES.sub(" ", (css_block() + body).strip()), unsafe_allow_html=True)


_NEWLINES = re.compile(r"\s*\n\s*")  # our markup never relies on line breaks (no <pre>)


def plotly(fig, key: str | None = None) -> None:
    """Render a figure full-width; no mode bar (it overlaps the vendor names at the top)."""
    st.plotly_chart(fig, width="stretch", key=key,
                    config={"displayModeBar": False, "responsive": True})


def legend_html(rubric: Rubric) -> str:
    """Colour legend for the matrix and the badges, naming the jurisdiction in force."""
    return _fragments.legend_html(rubric, jurisdiction_label())


def score_column_config() -> dict:
    bar = dict(min_value=0, max_value=100, format="%.0f")
    return {
        # Pinned: in a narrow window (800 px with the sidebar open) the grid scrolls sideways,
        # and the vendor name must stay beside the scores it owns.
        "Vendor": st.column_config.TextColumn("Vendor", width="medium", pinned=True),
        "Grade": st.column_config.TextColumn("Grade", width="small",
                                             help=grade_help()),
        "Overall": st.column_config.ProgressColumn("Overall", help="Weighted mean of the four "
                                                   "areas (0–100)", **bar),
        # Plain numbers for the areas: five progress bars do not fit an 800 px window.
        **{AREA_TITLES[a]: st.column_config.NumberColumn(AREA_TITLES[a], format="%.0f",
                                                         width="small")
           for a in SCORED_AREAS},
        f"{REVIEW_MARK} to review": st.column_config.NumberColumn(
            f"{REVIEW_MARK} to review", help="Facts to check by hand before relying on them",
            width="small"),
    }


def empty_state() -> None:
    """What to do when no vendor is stored yet."""
    st.info("No vendors yet. Upload a privacy policy (PDF, TXT, Markdown, HTML or DOCX) to "
            "start.", icon=":material/info:")
    st.page_link(PAGE_UPLOAD, label="Go to Upload", icon=":material/upload_file:")

