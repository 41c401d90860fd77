"""Upload: add vendors' privacy policies; each file is extracted, stored and reported on."""
import streamlit as st

from pages import ui

ui.require_app_shell()

st.title("Upload policies")
store = ui.get_store()
if not ui.can_write():
    ui.read_only_notice("upload policies")
    ui.stop()
limit_mb = ui.max_upload_bytes() / 1024 / 1024
st.caption(f"PDF, TXT, Markdown, HTML or DOCX, up to {limit_mb:.0f} MB each. Scanned PDFs "
           "(images without a text layer) and password-protected PDFs cannot be read. "
           "Uploading the same file again changes nothing.")

files = st.file_uploader("Privacy policies", type=ui.accepted_types(), accept_multiple_files=True,
                         key="uploader")
override = st.text_input(
    "Vendor name (optional)", key="vendor_override", max_chars=80,
    help="Leave empty to name each vendor from its file name. If set, every file of this batch "
         "is stored under this vendor (a newer policy replaces the one shown).")

if st.button("Process", key="process", type="primary", disabled=not files):
    batch = [(f.name, f.getvalue()) for f in files]
    bar = st.progress(0.0, text="Starting…")
    with st.status(f"Processing {len(batch)} file(s)…", expanded=True) as status:
        def _progress(i: int, name: str) -> None:
            bar.progress(i / len(batch), text=f"File {i + 1} of {len(batch)}: "
                                               f"{ui.escape(name)}")
            st.write(f"Reading {ui.escape(name)}…")

        results = ui.process_uploads(batch, override, store, ui.get_extractor, _progress,
                                     actor=ui.current_user())
        bar.progress(1.0, text="Done")
        failed = sum(r.status == "error" for r in results)
        status.update(label=f"Processed {len(batch)} file(s)"
                      + (f", {failed} failed" if failed else ""),
                      state="error" if failed == len(results) else "complete", expanded=False)
    if any(r.status == "added" for r in results):
        ui.bump_version()
    # Kept in the session so the outcome stays visible after a rerun (e.g. a later click).
    st.session_state["upload_results"] = results

for r in st.session_state.get("upload_results", []):
    name = ui.escape(r.filename)
    with st.container():
        if r.status == "added":
            st.success(f"**{name}** → {ui.escape(r.vendor)}. {ui.escape(r.message)}",
                       icon=":material/check_circle:")
            for w in r.warnings:  # stored, but the reviewer should know the read was unusual
                st.warning(f"**{name}**: {ui.escape(w)}", icon=":material/warning:")
        elif r.status == "duplicate":
            st.info(f"**{name}**: {ui.escape(r.message)}"
                    + (f" Stored as {ui.escape(r.vendor)}." if r.vendor else ""),
                    icon=":material/content_copy:")
        else:
            st.error(f"**{name}**: {ui.escape(r.message)}", icon=":material/error:")
        if r.vendor_id is not None:
            st.page_link(ui.PAGE_VENDOR, label=f"Open {ui.escape(r.vendor)}",
                         icon=":material/arrow_forward:",
                         query_params={"vendor": str(r.vendor_id)})

st.caption(f"{store.count_vendors()} vendors stored.")
