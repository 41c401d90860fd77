"""Vendor privacy-posture dashboard: page routing and the shared sidebar. Nothing else."""
import streamlit as st

from pages import ui

st.set_page_config(page_title="Vendor privacy posture", page_icon=":material/policy:",
                   layout="wide", initial_sidebar_state="expanded")

# Before any page runs: the rubric chosen on the Scorecard page must survive page switches.
ui.init_rubric_state()

nav = st.navigation([
    st.Page(ui.PAGE_OVERVIEW, title="Overview", icon=":material/grid_view:", default=True),
    st.Page(ui.PAGE_VENDOR, title="Vendor", icon=":material/storefront:"),
    st.Page(ui.PAGE_COMPARE, title="Compare", icon=":material/compare_arrows:"),
    st.Page(ui.PAGE_UPLOAD, title="Upload", icon=":material/upload_file:"),
    st.Page(ui.PAGE_SCORECARD, title="Scorecard", icon=":material/download:"),
])
ui.render_sidebar()
nav.run()
