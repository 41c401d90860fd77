"""Overview: every vendor's facts in one matrix, the score table and the ranking."""
from datetime import timedelta

import streamlit as st

from pages import ui
from pages.session.watch import watched_pages

ui.require_app_shell()

st.title("Vendor privacy posture")
records = ui.load_records()
rubric = ui.current_rubric()
try:  # this user's uploads running or just ended (they run on when the Upload page is left)
    ui.recent_uploads(timedelta(minutes=15), upload_page=ui.PAGE_UPLOAD)
except ui.StoreError as exc:
    st.error(ui.escape(exc), icon=":material/error:")

if not records:
    ui.empty_state()
    ui.stop()

# The two filters sit above the matrix but are drawn after it (into containers reserved here):
# each widget's front-end code is fetched on first use, and drawn first they held back the
# matrix's first paint (python -m extract.bench). Their values are read from session state,
# which Streamlit fills before the run, so filtering still happens before anything is drawn.
status_box = st.container()
statuses = st.session_state.get("status_filter") or []


def draw_status_filter() -> None:
    with status_box:
        st.multiselect("Review status", ui.REVIEW_STATUSES, key="status_filter",
                       format_func=ui.status_label, placeholder="All review statuses")


if statuses:  # scores, matrix and ranking all follow it
    records = [r for r in records if r.review_status in statuses]
    if not records:
        draw_status_filter()  # before ui.stop(): a widget not drawn loses its value
        st.info("No vendor has the chosen review status.")
        ui.stop()

records = ui.ranked(records, rubric)  # best first everywhere on this page
st.caption(f"{len(records)} vendors, best overall score first. Each cell is one fact read from "
           "the vendor's latest privacy policy; hover a cell for the sentence that proves it. "
           "Open a vendor for every quote.")

# The matrix comes first and is plain HTML: it paints before any chart library has loaded.
st.subheader("Comparison matrix")
area_box = st.container()
areas = st.session_state.get("area_filter", list(ui.AREAS))
shown = records
pages = ui.page_slices(len(records))
if len(pages) > 1:
    start, stop = st.selectbox(
        "Vendors in the matrix", pages, key="matrix_page",
        format_func=lambda p: f"{p[0] + 1}–{p[1]} of {len(records)} (by overall score)",
        help=f"The matrix shows {ui.MATRIX_PAGE_SIZE} vendors at a time; the score table "
             "below lists them all.")
    shown = records[start:stop]
ui.show_html(ui.legend_html(rubric))
if not areas:
    st.info("Pick at least one area above to see the matrix.")
else:
    areas = [a for a in ui.AREAS if a in areas]  # taxonomy order, whatever the click order
    ui.show_html(ui.matrix_html(shown, areas, rubric))
draw_status_filter()
with area_box:
    st.segmented_control(
        "Areas", ui.AREAS, selection_mode="multi", default=list(ui.AREAS),
        format_func=ui.AREA_TITLES.get, key="area_filter",
        help="Show only some areas. Sharing facts are shown but not scored.")
# On request, not in a collapsed expander: an expander's chart is sent (and Plotly's 4.7 MB
# front-end bundle fetched and parsed) at once, right behind the matrix, which then painted
# up to ~1.5 s later (python -m extract.bench).
if st.toggle("Heat-map chart of the same vendors", key="matrix_chart_on") and areas:
    ui.plotly(ui.matrix_figure(shown, areas, rubric), key="matrix_chart")

watched_pages(ui.show_html)  # vendors added by URL: last check, changed since seen

st.subheader("Scores")
st.dataframe(ui.score_frame(records, rubric), hide_index=True, width="stretch",
             column_config=ui.score_column_config(), key="score_table")

st.subheader("Ranking")
if len(records) > ui.MATRIX_PAGE_SIZE:
    st.caption(f"The top {ui.MATRIX_PAGE_SIZE} of {len(records)} vendors; the Scorecard page "
               "ranks them all.")
ui.plotly(ui.ranking_figure(records[:ui.MATRIX_PAGE_SIZE], rubric), key="ranking_chart")

with st.expander("How the scores are computed"):
    st.markdown(ui.RUBRIC_TEXT)
