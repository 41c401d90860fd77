"""Scorecard: the reviewer's rubric (jurisdiction, weights), the ranking and the CSV download."""
import pandas as pd
import streamlit as st

from extract.export import scorecard_rows, to_csv
from pages import ui

ui.require_app_shell()

st.title("Scorecard")
ui.init_rubric_state()  # before the widgets: they take their values from the session
rubric = ui.current_rubric()
records = ui.load_records()

st.subheader("Rubric")
st.selectbox(
    "Jurisdiction (minimum age for children's data)", ui.JURISDICTION_OPTIONS,
    format_func=lambda j: f"{j} — age {ui.JURISDICTIONS[j]}" if j in ui.JURISDICTIONS else j,
    key="jurisdiction",
    help="The children score gives full age points only when the policy's minimum age is at "
         "or above this age. Applies to every page.")
if st.session_state["jurisdiction"] == ui.CUSTOM_AGE:
    st.number_input("Required minimum age", min_value=0, max_value=21, step=1, key="custom_age")
st.markdown("**Area weights**")
# A wrapping row: two sliders side by side when wide, one per line in a narrow window.
with st.container(horizontal=True, gap="medium"):
    for area in ui.SCORED_AREAS:
        st.slider(ui.AREA_TITLES[area], 0, 100, step=5, key=ui.WEIGHT_KEYS[area], width=300,
                  help=f"Default {ui.RUBRIC_DEFAULTS[ui.WEIGHT_KEYS[area]]}")
rubric = ui.current_rubric()
w = rubric.normalised_weights()
default_j = ui.DEFAULT_JURISDICTION
st.caption(f"Defaults: {default_j} (age {ui.JURISDICTIONS[default_j]}); weights "
           + ", ".join(f"{ui.AREA_TITLES[a]} {ui.DEFAULT_WEIGHTS[a]:.0f}" for a in ui.SCORED_AREAS)
           + ". Weights in use, as shares of the overall score: "
           + ", ".join(f"{ui.AREA_TITLES[a]} {w[a] * 100:.0f}%" for a in ui.SCORED_AREAS) + ".")
st.button("Reset to defaults", key="reset_rubric", on_click=ui.reset_rubric,
          icon=":material/restart_alt:")

with st.expander("How the scores are computed", expanded=False):
    st.markdown(ui.RUBRIC_TEXT)

st.subheader("Ranking")
if not records:
    ui.empty_state()
    ui.stop()
rows = scorecard_rows(records, rubric)  # the CSV's own ranking, so table and file agree
by_name = {r.vendor: r for r in records}
table = pd.DataFrame([{
    "Vendor": r["vendor"], "Grade": r["grade"], "Overall": r["overall"],
    **{ui.AREA_TITLES[a]: r[a] for a in ui.SCORED_AREAS},
    f"{ui.REVIEW_MARK} to review": ui.review_count(by_name[r["vendor"]], rubric),
} for r in rows])
st.dataframe(table, hide_index=True, width="stretch", column_config=ui.score_column_config(),
             key="ranking_table")  # best first, as in the CSV

# The Excel workbook, then the CSV scorecard (the primary download). The workbook is built
# only when clicked (a callable): for 1,000 vendors it takes seconds, and most visits don't
# download it.
st.download_button(
    "Download Excel workbook", data=lambda: ui.xlsx_bytes(records, rubric),
    file_name="privacy-scorecard.xlsx", key="download_xlsx", on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/table_view:",
    help="Sheet “Matrix” (one row per vendor) and one sheet per area with the evidence and "
         "any reviewer overrides.")
st.download_button(
    "Download CSV scorecard", data=to_csv(records, rubric), file_name="privacy-scorecard.csv",
    mime="text/csv", key="download_csv", on_click="ignore", type="primary",
    icon=":material/download:",
    help="One row per vendor: scores under the rubric above, every fact and its evidence.")
st.caption(f"Scored with: {ui.escape(ui.jurisdiction_label())} (age {rubric.required_age}); "
           "weights " + ", ".join(f"{ui.AREA_TITLES[a]} {rubric.weights[a]:.0f}"
                                 for a in ui.SCORED_AREAS) + ".")
