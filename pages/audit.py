"""Audit trail: every upload, override, status change, re-extraction and deletion, with who,
when, and the values before and after; downloadable as CSV."""
import pandas as pd
import streamlit as st

from extract.export import audit_csv, audit_value
from pages import ui

ui.require_app_shell()

st.title("Audit trail")
try:
    entries = ui.get_store().audit_log()
except ui.StoreError as exc:  # locked or damaged: the message, never a traceback
    st.error(ui.escape(exc), icon=":material/error:")
    ui.stop()
if not entries:
    st.info("Nothing recorded yet.")
    ui.stop()

vendors = sorted({e.vendor for e in entries}, key=str.lower)
actions = sorted({e.action for e in entries})
with st.container(horizontal=True):
    chosen_vendors = st.multiselect("Vendors", vendors, key="audit_vendor",
                                    placeholder="All vendors")
    chosen_actions = st.multiselect("Actions", actions, key="audit_action",
                                    placeholder="All actions")
shown = [e for e in entries if (not chosen_vendors or e.vendor in chosen_vendors)
         and (not chosen_actions or e.action in chosen_actions)]
st.caption(f"{len(shown)} of {len(entries)} entries, newest first. Deleted vendors keep their "
           "entries.")
st.dataframe(pd.DataFrame([{"When": e.at, "Who": e.actor, "Role": e.role, "Action": e.action,
                            "Vendor": e.vendor, "What": e.target,
                            "Before": audit_value(e.before), "After": audit_value(e.after),
                            "Note": e.note} for e in shown],
                          columns=["When", "Who", "Role", "Action", "Vendor", "What", "Before",
                                   "After", "Note"]),
             hide_index=True, width="stretch", key="audit_table")
st.download_button("Download audit trail (CSV)", data=audit_csv(shown),
                   file_name="privacy-audit-trail.csv", mime="text/csv", key="download_audit",
                   on_click="ignore", icon=":material/download:")
