"""Vendor: one vendor's scores, radar, and every fact with the sentences that prove it."""
import streamlit as st

from pages import ui
from pages.session.watch import recheck_panel

ui.require_app_shell()

records = ui.load_records()
rubric = ui.current_rubric()
if flash := st.session_state.pop("_flash", None):
    st.success(ui.escape(flash), icon=":material/check:")
if not records:
    st.title("Vendor")
    ui.empty_state()
    ui.stop()

by_id = {r.vendor_id: r for r in records}
by_name = {r.vendor.lower(): r.vendor_id for r in records}


def _from_query() -> int | None:
    """`?vendor=` holds a vendor id (links from other pages) or, for people, a vendor name."""
    raw = st.query_params.get("vendor")
    if raw is None:
        return None
    if raw.isdigit() and int(raw) in by_id:
        return int(raw)
    return by_name.get(raw.strip().lower())


# A link with ?vendor= wins once (when it changes); after that the selectbox drives the URL.
wanted = _from_query()
if wanted is not None and wanted != st.session_state.get("_vendor_qp"):
    st.session_state["vendor_select"] = wanted
st.session_state["_vendor_qp"] = wanted
if st.session_state.get("vendor_select") not in by_id:
    st.session_state["vendor_select"] = records[0].vendor_id

vid = st.selectbox("Vendor", list(by_id), format_func=lambda i: by_id[i].vendor,
                   key="vendor_select")
st.query_params["vendor"] = str(vid)
st.session_state["_vendor_qp"] = vid
rec = by_id[vid]
scores = ui.scores_of(rec, rubric)

st.title(ui.escape(rec.vendor), anchor=False)
st.caption(f"Source file: {ui.escape(rec.source)} · {rec.media_type.upper()}, "
           f"{rec.n_pages} page(s) · uploaded {ui.escape(rec.uploaded_at)}  \n"
           f"SHA-256: `{rec.sha256}`")
recheck_panel(rec, rubric, ui.show_html)  # vendors added by URL: source, re-check, diff
st.markdown(f"Review status: **{ui.escape(ui.status_label(rec.review_status))}**"
            + (f" — {ui.escape(rec.review.comment)}" if rec.review and rec.review.comment else "")
            + (f" · {len(rec.overrides)} fact(s) overridden by reviewers ({ui.REVIEWED_MARK})"
               if rec.overrides else ""))
with st.container(horizontal=True):
    st.page_link(ui.PAGE_REVIEW, label="Review, override facts, versions",
                 icon=":material/rate_review:", query_params={"vendor": str(vid)})
    st.download_button(
        "Printable report (HTML)", key="download_report", on_click="ignore",
        icon=":material/print:", mime="text/html",
        file_name=f"privacy-report-{rec.vendor_id}.html",
        data=ui.vendor_report(rec, rubric),
        help="Scores, facts with evidence, review status and overrides; print it from the "
             "browser.")

# Metrics and radar side by side when there is room; the flex row wraps in a narrow window.
with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
    with st.container(horizontal=True, gap="small", width=420):
        st.metric("Overall", f"{scores.overall:.0f}", help=ui.grade_help(), border=True,
                  width=125)
        st.metric("Grade", scores.grade, border=True, width=125)
        for area in ui.SCORED_AREAS:
            st.metric(ui.AREA_TITLES[area], f"{getattr(scores, area):.0f}", border=True,
                      width=125, help=ui.rubric_lines().get(area))
        st.caption(f"Children are scored against a minimum age of {rubric.required_age} "
                   f"({ui.escape(ui.jurisdiction_label())}). Hover the radar for the rules.")
    with st.container(width=360):
        ui.plotly(ui.radar_figure(scores, rubric), key="radar_chart")

st.subheader("Facts and evidence", anchor=False)
st.caption(f"Highlighted words are what matched the fact. {ui.REVIEW_MARK} marks facts to "
           "check by hand. “Not stated” means the policy does not say it.")
groups = ui.specs_by_area()
tabs = st.tabs([ui.AREA_TITLES[a] for a in groups])
for tab, (area, specs) in zip(tabs, groups.items()):
    with tab:
        st.caption(f"Area score {getattr(scores, area):.0f}/100" if area in ui.SCORED_AREAS
                   else "Shown, not scored")
        ui.show_html("".join(ui.fact_html(s, ui.cell(s, rec.facts.get(s.id), rubric))
                             + ui.override_html(s, rec, rubric) for s in specs))

st.divider()
if not ui.can_write():
    ui.stop()  # viewers cannot delete (the store refuses them too)
with st.expander("Delete this vendor"):
    st.write("Removes the vendor with all its stored documents and facts. This cannot be "
             "undone.")
    if st.button("Delete vendor…", key="delete_vendor", type="secondary"):
        st.session_state["_confirm_delete"] = vid
    if st.session_state.get("_confirm_delete") == vid:
        st.warning(f"Delete **{ui.escape(rec.vendor)}** and its policy for good?")
        yes, no = st.columns(2)
        if yes.button("Yes, delete", key="delete_vendor_confirm", type="primary"):
            try:
                ui.get_store().delete_vendor(vid, actor=ui.current_user())
            except ui.ExtractError as exc:  # StoreError or PermissionDenied
                st.error(ui.escape(exc))
            else:
                st.session_state.pop("_confirm_delete", None)
                st.session_state.pop("vendor_select", None)
                st.query_params.pop("vendor", None)
                st.session_state["_flash"] = f"Deleted {rec.vendor}."
                st.rerun()
        if no.button("Cancel", key="delete_vendor_cancel"):
            st.session_state.pop("_confirm_delete", None)
            st.rerun()
