"""Compare: two or three vendors side by side, fact by fact, with differences highlighted."""
import streamlit as st

from pages import ui

ui.require_app_shell()

records = ui.load_records()
rubric = ui.current_rubric()
st.title("Compare vendors")
if not records:
    ui.empty_state()
    ui.stop()
if len(records) < 2:
    st.info("Comparing needs at least two vendors. Upload another policy.")
    st.page_link(ui.PAGE_UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    ui.stop()

by_id = {r.vendor_id: r for r in records}
# Drop ids of vendors deleted since the last visit, then preselect two so the page is useful.
st.session_state["compare_select"] = [
    i for i in st.session_state.get("compare_select", [r.vendor_id for r in records[:2]])
    if i in by_id]
chosen = st.multiselect("Vendors (2 or 3)", list(by_id), format_func=lambda i: by_id[i].vendor,
                        max_selections=3, key="compare_select",
                        placeholder="Choose 2 or 3 vendors")
only_diff = st.toggle("Only facts that differ", key="compare_diff_only")

if len(chosen) < 2:
    st.info("Choose at least two vendors to compare.")
    ui.stop()

recs = [by_id[i] for i in chosen]
# Transposed (vendors as columns) so it reads like the fact table below; as text because a
# column now mixes grades and numbers.
frame = ui.score_frame(recs, rubric).set_index("Vendor").loc[[r.vendor for r in recs]].T.map(
    lambda v: f"{v:.0f}" if isinstance(v, float) else str(v))
st.dataframe(frame, width="stretch", key="compare_scores")

ui.show_html(ui.legend_html(rubric) + '<p class="pp-meta">Rows with an orange edge differ '
             "between the chosen vendors.</p>")
n_diff = 0
for area, specs in ui.specs_by_area().items():
    rows = []
    for s in specs:
        cells = [ui.cell(s, r.facts.get(s.id), rubric) for r in recs]
        differs = len({(c.text, c.level) for c in cells}) > 1
        n_diff += differs
        if only_diff and not differs:
            continue
        tds = "".join(f"<td>{ui.badge(c)}"
                      + (f' <span class="pp-review">{ui.REVIEW_MARK}</span>' if c.review else "")
                      + ui.evidence_html(c, s, ui.value_words(s, c)) + "</td>" for c in cells)
        mark = "≠ " if differs else ""
        # The description as a tooltip: in a narrow window it would make every row tall.
        rows.append(f'<tr class="{"pp-diff" if differs else ""}"><td title="'
                    f'{ui.escape(s.description, "html")}"><b>{mark}'
                    f'{ui.escape(s.label, "html")}</b></td>{tds}</tr>')
    if not rows:
        continue
    title = ui.AREA_TITLES[area] + ("" if area in ui.SCORED_AREAS else " (not scored)")
    st.subheader(title, anchor=False)
    head = "".join(f"<th>{ui.escape(r.vendor, 'html')}</th>" for r in recs)
    ui.show_html(f'<table class="pp-table"><thead><tr><th>Fact</th>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>')
if only_diff and n_diff == 0:
    st.success("These vendors state exactly the same facts.")
