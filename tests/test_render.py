"""Render helpers of the pages (no Streamlit session needed): the score table and the ranking
chart show the vendors in the same order."""
from __future__ import annotations

from extract.model import Fact, PolicyRecord
from extract.score import Rubric
from extract.taxonomy import taxonomy
from pages.render.figures import ranking_figure
from pages.render.tables import score_frame


def _record(vendor_id: int, vendor: str, access: bool) -> PolicyRecord:
    facts = {s.id: Fact(s.id, None if s.kind == "age" else "none" if s.kind == "level"
                        else "" if s.kind == "periods" else False, 0.99)
             for s in taxonomy()}
    facts["rights.access"] = Fact("rights.access", access, 0.99)
    return PolicyRecord(vendor_id, vendor, vendor_id, "upload", f"{vendor_id:064x}",
                        "2026-01-01T00:00:00+00:00", "txt", 1, facts)


def test_ranking_chart_lists_vendors_in_the_score_tables_order_ties_included():
    records = [_record(1, "Zeta", True), _record(2, "Alpha", True), _record(3, "Mid", False),
               _record(4, "Beta", True)]
    rubric = Rubric()
    table = list(score_frame(records, rubric)["Vendor"])
    assert table[:3] == ["Alpha", "Beta", "Zeta"]  # a three-way tie, by name
    fig = ranking_figure(records, rubric)
    ids = {str(r.vendor_id): r.vendor for r in records}
    top_to_bottom = [ids[y] for y in fig.data[0].y][::-1]  # Plotly's first bar is the lowest
    assert top_to_bottom == table
