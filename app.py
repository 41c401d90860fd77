"""Vendor privacy-posture dashboard: page routing and the shared sidebar. Nothing else."""
import streamlit as st

from pages import ui

# A local icon file: a Material-symbol favicon is fetched from Google's servers, a third-party
# request a privacy tool should not make (and one that fails offline).
st.set_page_config(page_title="Vendor privacy posture", page_icon="data/icon.png",
                   layout="wide", initial_sidebar_state="expanded")

# Before any page runs: the rubric chosen on the Scorecard page must survive page switches.
ui.init_rubric_state()

# When sign-in is configured and nobody is signed in, the pages are hidden and not run.
allowed = ui.auth_mode() == "none" or ui.current_user() is not None
nav = st.navigation([
    st.Page(ui.PAGE_OVERVIEW, title="Overview", icon=":material/grid_view:", default=True),
    st.Page(ui.PAGE_VENDOR, title="Vendor", icon=":material/storefront:"),
    st.Page(ui.PAGE_COMPARE, title="Compare", icon=":material/compare_arrows:"),
    st.Page(ui.PAGE_UPLOAD, title="Upload", icon=":material/upload_file:"),
    st.Page(ui.PAGE_SCORECARD, title="Scorecard", icon=":material/download:"),
    st.Page(ui.PAGE_REVIEW, title="Review & history", icon=":material/rate_review:"),
    st.Page(ui.PAGE_AUDIT, title="Audit trail", icon=":material/history:"),
], position="sidebar" if allowed else "hidden")
# The sign-in form (or a role-change notice) is drawn after st.navigation: its widgets then get
# the same IDs in a session's first run as in every later one; drawn before, the first sign-in
# attempt of every new browser tab was silently dropped.
if ui.sign_in_gate():
    nav.run()
    # After the page, so that the page's first elements reach the browser first (it is its own
    # container: it still shows at the side). A page that ends early draws it in ui.stop().
    ui.render_sidebar()
