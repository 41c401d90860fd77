"""Overview: every vendor's facts in one matrix, the score table and the ranking."""
import streamlit as st

from pages import ui

ui.require_app_shell()

st.title("Vendor privacy posture")
records = ui.load_records()
rubric = ui.current_rubric()

if not records:
    ui.empty_state()
    st.stop()

st.caption(f"{len(records)} vendors. Each cell is one fact read from the vendor's latest "
           "privacy policy; hover a cell for the sentence that proves it. Open a vendor for "
           "every quote.")

st.subheader("Scores")
st.dataframe(ui.score_frame(records, rubric), hide_index=True, width="stretch",
             column_config=ui.score_column_config(), key="score_table")

st.subheader("Ranking")
ui.plotly(ui.ranking_figure(records, rubric), key="ranking_chart")

st.subheader("Comparison matrix")
areas = st.segmented_control(
    "Areas", ui.AREAS, selection_mode="multi", default=list(ui.AREAS),
    format_func=ui.AREA_TITLES.get, key="area_filter",
    help="Show only some areas. Sharing facts are shown but not scored.")
ui.show_html(ui.legend_html(rubric))
if not areas:
    st.info("Pick at least one area above to see the matrix.")
else:
    areas = [a for a in ui.AREAS if a in areas]  # taxonomy order, whatever the click order
    ui.plotly(ui.matrix_figure(records, areas, rubric), key="matrix_chart")
    with st.expander("The matrix as a table (for screen readers and copying)"):
        st.dataframe(ui.matrix_frame(records, areas, rubric), width="stretch",
                     key="matrix_table")

with st.expander("How the scores are computed"):
    st.markdown(ui.RUBRIC_TEXT)
