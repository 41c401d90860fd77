"""Upload: add vendors' privacy policies; each file is extracted, stored and reported on.

A Process click stores the files as a batch that a background worker runs (`extract.batches`):
leaving the page does not stop it, and its progress and outcome are read back from the store.
"""
from datetime import timedelta

import streamlit as st

from pages import ui
from pages.session.watch import add_by_url

ui.require_app_shell()

st.title("Upload policies")
store = ui.get_store()
if not ui.can_write():
    ui.read_only_notice("upload policies")
    ui.stop()
limit_mb = ui.max_upload_bytes() / 1024 / 1024
st.caption(f"PDF, TXT, Markdown, HTML or DOCX, up to {limit_mb:.0f} MB each. "
           + ("Scanned PDFs (images without a text layer) are read by OCR, a few seconds a page; "
              "their quotes are marked OCR. " if ui.ocr_available() else
              "Scanned PDFs (images without a text layer) cannot be read on this server (OCR "
              "is not installed). ")
           + "Password-protected PDFs cannot be read. Uploading the same file again changes "
           "nothing. You may open other pages while files are processed; the Overview shows "
           "when they are done.")

files = st.file_uploader("Privacy policies", type=ui.accepted_types(), accept_multiple_files=True,
                         key="uploader")
override = st.text_input(
    "Vendor name (optional)", key="vendor_override", max_chars=80,
    help="Leave empty to name each vendor from its file name. If set, every file of this batch "
         "is stored under this vendor (a newer policy replaces the one shown).")

try:  # every store call of this page: a locked or damaged database is a message, not a trace
    if st.button("Process", key="process", type="primary", disabled=not files):
        # Kept in the session so the outcome stays visible after a rerun (e.g. a later click).
        st.session_state["upload_batch"] = ui.submit_uploads(
            [(f.name, f.getvalue()) for f in files], override)
    # Policies by URL (issue 16): fetched in the background, stored like an upload.
    if (by_url := add_by_url()) is not None:
        st.session_state["upload_batch"] = by_url
    followed = st.session_state.get("upload_batch")
    if followed is None and (running := ui.latest_unfinished()) is not None:
        followed = running.id  # started in another tab, or before this page was left
    batch = ui.follow_batch(followed) if followed is not None else None
    if batch is not None:
        for item in batch.items:
            with st.container():
                ui.item_result(item, ui.PAGE_VENDOR)
    ui.recent_uploads(timedelta(hours=24), exclude=followed, vendor_page=ui.PAGE_VENDOR)
    st.caption(f"{store.count_vendors()} vendors stored.")
except ui.ExtractError as exc:  # StoreError, or PermissionDenied for a viewer
    st.error(ui.escape(exc), icon=":material/error:")
    ui.stop()
