"""Review & history: a vendor's review status, reviewer overrides of facts, and its policy
versions with the facts gained, lost and changed between any two."""
import pandas as pd
import streamlit as st

from extract.diff import diff_facts
from extract.workflow import parse_fact_value, value_choices
from pages import ui

ui.require_app_shell()

st.title("Review & history")
records = ui.load_records()
rubric = ui.current_rubric()
user = ui.current_user()
if flash := st.session_state.pop("_review_flash", None):
    st.success(ui.escape(flash), icon=":material/check:")
if not records:
    ui.empty_state()
    ui.stop()

by_id = {r.vendor_id: r for r in records}
raw = st.query_params.get("vendor")
if raw and raw.isdigit() and int(raw) in by_id and int(raw) != st.session_state.get("_review_qp"):
    st.session_state["review_vendor"] = int(raw)  # a link from the Vendor page wins once
st.session_state["_review_qp"] = int(raw) if raw and raw.isdigit() else None
if st.session_state.get("review_vendor") not in by_id:
    st.session_state["review_vendor"] = records[0].vendor_id
vid = st.selectbox("Vendor", list(by_id), format_func=lambda i: by_id[i].vendor,
                   key="review_vendor")
rec = by_id[vid]
store = ui.get_store()
specs = {s.id: s for s in ui.taxonomy()}


def _write(action, message: str) -> None:
    """Run a store write as the signed-in user; refresh the data and say what happened."""
    try:
        action()
    except ui.ExtractError as exc:  # StoreError, PermissionDenied: written for reviewers
        st.error(ui.escape(exc), icon=":material/error:")
        return
    st.session_state["_review_flash"] = message
    st.rerun()


# ----------------------------------------------------------------------------- status
st.subheader("Review status", anchor=False)
rv = rec.review
st.markdown(f"**{ui.escape(ui.status_label(rec.review_status))}**"
            + (f" — set by {ui.escape(rv.reviewer)} on {ui.escape(rv.updated_at)}" if rv else ""))
if rv and rv.comment:
    st.caption(ui.escape(rv.comment))
if user and user.can_write:
    if st.session_state.get("_status_for") != vid:  # load the vendor's status into the form
        st.session_state["review_status"] = rec.review_status
        st.session_state["review_comment"] = rv.comment if rv else ""
        st.session_state["_status_for"] = vid
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox("Set status", ui.REVIEW_STATUSES, key="review_status",
                     format_func=ui.status_label, width=260)
        st.text_input("Comment", key="review_comment", max_chars=500,
                      placeholder="e.g. conditions of the approval")
    if st.button("Save status", key="save_status", type="primary"):
        _write(lambda: store.set_review_status(vid, st.session_state["review_status"],
                                               st.session_state["review_comment"], user),
               f"Status of {rec.vendor} set to {st.session_state['review_status']}.")
else:
    ui.read_only_notice("change the review status")

# ----------------------------------------------------------------------------- overrides
st.subheader("Overrides", anchor=False)
st.caption("A reviewer's value replaces the extracted one in the matrix, the scores and every "
           f"export, marked {ui.REVIEWED_MARK}. It belongs to the vendor and the fact, so it "
           "stays through new versions and re-extraction; the extracted value and its evidence "
           "stay visible beside it.")
for fid, ov in sorted(rec.overrides.items()):
    s = specs.get(fid)
    if s is None:
        continue
    cols = st.columns([5, 1], vertical_alignment="center")
    with cols[0]:
        ui.show_html(f"<b>{ui.escape(s.label, 'html')}</b> ({ui.AREA_TITLES[s.area]}): "
                     f"<b>{ui.escape(ui.value_text(s, rec.facts.get(fid), rubric), 'html')}</b>"
                     + ui.override_html(s, rec, rubric))
    if user and user.can_write:
        if cols[1].button("Remove", key=f"override_remove_{fid}",
                          help="Use the extracted value again"):
            _write(lambda: store.clear_override(vid, fid, user),
                   f"Override of {s.label} removed; the extracted value applies again.")
if not rec.overrides:
    st.caption("No overrides for this vendor.")

if user and user.can_write:
    with st.container(border=True):
        st.markdown("**Override a fact**")
        fid = st.selectbox("Fact", list(specs), key="override_fact",
                           format_func=lambda i: f"{ui.AREA_TITLES[specs[i].area]} · "
                                                 f"{specs[i].label}")
        spec = specs[fid]
        extracted = rec.extracted.get(fid)
        c = ui.cell(spec, extracted, rubric)
        ui.show_html(f'<p class="pp-meta">Extracted value: </p>{ui.badge(c)}'
                     + ui.evidence_html(c, spec, ui.value_words(spec, c)))
        choices = value_choices(fid)
        key = f"override_value_{spec.kind}"  # one key per kind: options differ between kinds
        if choices:
            value = st.selectbox("New value", choices, key=key)
        elif spec.kind == "age":
            value = st.text_input("New value (minimum age; empty = not stated)", key=key)
        else:
            value = st.text_input("New value (periods, e.g. 30 days; 7 years)", key=key)
        note = st.text_input("Note (why; where the policy says it)", key="override_note",
                             max_chars=500)
        if st.button("Save override", key="override_save", type="primary"):
            def _save():
                store.set_override(vid, fid, parse_fact_value(fid, value), note, user)
            _write(_save, f"{spec.label} of {rec.vendor} set to {value or 'not stated'}.")
else:
    ui.read_only_notice("override facts")

# ----------------------------------------------------------------------------- versions
st.subheader("Versions", anchor=False)
versions = store.versions(vid)
st.dataframe(pd.DataFrame([{"Version": v.number, "File": v.filename, "Uploaded": v.uploaded_at,
                            "Extractor": v.extractor_version, "SHA-256": v.sha256[:16] + "…"}
                           for v in versions]),
             hide_index=True, width="stretch", key="versions_table")
st.caption("The matrix and scores use the latest version. Upload a newer policy under the same "
           "vendor name to add a version.")
if len(versions) < 2:
    st.info("Only one version of this policy is stored, so there is nothing to compare yet.")
else:
    by_num = {v.number: v for v in versions}
    label = lambda n: f"v{n} · {by_num[n].filename} · {by_num[n].uploaded_at}"  # noqa: E731
    nums = list(by_num)
    if st.session_state.get("_diff_for") != vid:  # default: the previous version vs the latest
        st.session_state["diff_from"], st.session_state["diff_to"] = nums[-2], nums[-1]
        st.session_state["_diff_for"] = vid
    a, b = st.columns(2)
    old_n = a.selectbox("Older version", nums, key="diff_from", format_func=label)
    new_n = b.selectbox("Newer version", nums, key="diff_to", format_func=label)
    diffs = diff_facts(store.document_facts(by_num[old_n].document_id),
                       store.document_facts(by_num[new_n].document_id))
    if old_n == new_n:
        st.info("Pick two different versions.")
    elif not diffs:
        st.success(f"v{old_n} and v{new_n} state the same facts.")
    else:
        counts = {k: sum(d.change == k for d in diffs) for k in ("gained", "lost", "changed")}
        st.markdown(f"**v{old_n} → v{new_n}**: {counts['gained']} gained, {counts['lost']} lost, "
                    f"{counts['changed']} changed.")
        ui.show_html(ui.diff_html(diffs, rubric))

if user and user.can_write:
    with st.expander("Re-extract with the current extractor"):
        st.write("Reads this vendor's stored policies again with the installed extractor (for "
                 "example after an upgrade). Overrides stay in force.")
        if st.button("Re-extract", key="reextract"):
            from extract.workflow import reextract

            with st.spinner("Re-extracting…"):
                _write(lambda: reextract(store, ui.get_extractor(), vid, user),
                       f"Re-extracted {rec.vendor}.")
