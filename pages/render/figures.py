"""Plotly figures: the heat-map of the matrix, the ranking bars, the area radar.

Plotly is imported inside each builder: the overview paints its HTML matrix first.
"""
from __future__ import annotations

import re
from typing import Sequence

from extract.model import PolicyRecord, Scores
from extract.score import GRADE_BANDS, RUBRIC_TEXT, Rubric
from extract.taxonomy import SCORED_AREAS, FactSpec

from .cells import (Cell, cell, cell_label, grade_help, quote_text, ranked, scores_of,
                    specs_by_area)
from .escape import escape, vendor_tick, wrap_html
from .palette import (AREA_MARKER, AREA_TITLES, BAR_COLOUR, CELL_COLOURS, NOT_STATED, PARTIAL,
                      REVIEW_MARK, STATED)

__all__ = ["matrix_figure", "ranking_figure", "radar_figure", "rubric_lines"]


def _cell_hover(r: PolicyRecord, s: FactSpec, c: Cell) -> str:
    """Hover text of one heat-map cell: vendor, fact, value, confidence, review note, quote."""
    first = c.evidence[0] if c.evidence else None
    quote = (f"“{wrap_html(quote_text(first.text))}”<br><i>page {first.page}</i>"
             if first else "<i>not stated in the policy</i>")
    conf = f" · confidence {c.confidence:.2f}" if c.confidence is not None else ""
    review = f"<br>{REVIEW_MARK} {escape(c.note, 'html')}" if c.review else ""
    return (f"<b>{escape(r.vendor, 'html')}</b><br>{escape(s.label, 'html')} "
            f"({AREA_TITLES[s.area]}): <b>{escape(c.text, 'html')}</b>{conf}"
            f"{review}<br>{quote}")


def _heatmap_rows(records: Sequence[PolicyRecord], areas: Sequence[str], rubric: Rubric):
    """(y, ticks, z, text, hover) of the heat-map: facts grouped by area, a header per area."""
    short = len(records) > 5
    y, ticks, z, text, hover = [], [], [], [], []
    for area, specs in specs_by_area(areas).items():
        if not specs:
            continue
        # A header row per area (empty cells) keeps the groups readable without extra axes.
        y.append(f"__{area}")
        ticks.append(f"<b>{AREA_TITLES[area].upper()}</b>"
                     + ("" if area in SCORED_AREAS else " <i>(not scored)</i>"))
        z.append([None] * len(records))
        text.append([""] * len(records))
        hover.append([""] * len(records))
        for s in specs:
            y.append(s.id)
            ticks.append(escape(s.label, "html"))
            cells = [cell(s, r.facts.get(s.id), rubric) for r in records]
            z.append([c.level for c in cells])
            text.append([cell_label(c, short=short) for c in cells])
            hover.append([_cell_hover(r, s, c) for r, c in zip(records, cells)])
    return y, ticks, z, text, hover


def matrix_figure(records: Sequence[PolicyRecord], areas: Sequence[str], rubric: Rubric):
    """Plotly heat-map: facts (rows, grouped by area) × vendors (columns), colour + text."""
    import plotly.graph_objects as go

    y, ticks, z, text, hover = _heatmap_rows(records, areas, rubric)
    colours = [CELL_COLOURS[k] for k in (NOT_STATED, PARTIAL, STATED)]
    scale = [[0, colours[0]], [0.33, colours[0]], [0.34, colours[1]], [0.66, colours[1]],
             [0.67, colours[2]], [1, colours[2]]]
    x = [str(r.vendor_id) for r in records]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>", colorscale=scale, zmin=0, zmax=2,
        showscale=False, xgap=2, ygap=2, hoverongaps=False,
        textfont=dict(size=11)))  # Plotly picks dark or light text per cell for contrast
    fig.update_layout(
        height=max(260, 26 * len(y) + 90), margin=dict(l=10, r=10, t=70, b=10),
        xaxis=dict(side="top", type="category", tickmode="array", tickvals=x,
                   ticktext=[vendor_tick(r.vendor) for r in records], tickfont=dict(size=11),
                   fixedrange=True),
        yaxis=dict(autorange="reversed", type="category", tickmode="array", tickvals=y,
                   ticktext=ticks,
                   fixedrange=True, automargin=True),
        plot_bgcolor="rgba(0,0,0,0)", hoverlabel=dict(align="left"),
    )
    return fig


def ranking_figure(records: Sequence[PolicyRecord], rubric: Rubric):
    """Horizontal bars of the overall score, best on top; hover shows the area breakdown."""
    import plotly.graph_objects as go

    w = rubric.normalised_weights()
    # The score table's order (`ranked`), reversed: Plotly draws the first bar at the bottom.
    rows = [(scores_of(r, rubric), r) for r in reversed(ranked(records, rubric))]
    hover = []
    for s, r in rows:
        parts = "<br>".join(f"{AREA_TITLES[a]}: {getattr(s, a):.0f} × {w[a] * 100:.0f}%"
                            for a in SCORED_AREAS)
        # The rubric line behind the bar: weighted areas, then the grade bands.
        hover.append(f"<b>{escape(r.vendor, 'html')}</b><br>Overall {s.overall:.1f} · grade "
                     f"{s.grade}<br>{parts}<br><i>{escape(grade_help(), 'html')}</i>")
    fig = go.Figure(go.Bar(
        x=[s.overall for s, _ in rows], y=[str(r.vendor_id) for _, r in rows], orientation="h",
        text=[f"{s.overall:.0f} · {s.grade}" for s, _ in rows], textposition="auto",
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        marker_color=BAR_COLOUR, insidetextfont=dict(color="#FFFFFF")))
    for _, floor in GRADE_BANDS[:-1]:
        fig.add_vline(x=floor, line=dict(color="#999999", width=1, dash="dot"), layer="below")
    fig.update_layout(
        height=max(180, 38 * len(rows) + 70), margin=dict(l=10, r=10, t=30, b=40),
        xaxis=dict(range=[0, 100], title="Overall score (0–100); dotted lines: grade bands",
                   fixedrange=True),
        # type="category": ids are digit strings, which Plotly would otherwise plot as numbers.
        yaxis=dict(type="category", tickmode="array",
                   tickvals=[str(r.vendor_id) for _, r in rows],
                   ticktext=[vendor_tick(r.vendor) for _, r in rows], automargin=True,
                   fixedrange=True),
        showlegend=False, hoverlabel=dict(align="left"))
    return fig


def rubric_lines() -> dict[str, str]:
    """RUBRIC_TEXT split per area: the one-paragraph rule shown in radar hovers."""
    out = {}
    for para in re.split(r"\n\s*\n", RUBRIC_TEXT.strip()):
        flat = " ".join(para.split()).replace("**", "")
        for a in SCORED_AREAS:
            if flat.lower().startswith(a):
                out[a] = flat
    return out


def radar_figure(scores: Scores, rubric: Rubric):
    """Radar of the four area scores; hover shows the rubric rule behind each area."""
    import plotly.graph_objects as go

    lines = rubric_lines()
    theta = [AREA_TITLES[a] for a in SCORED_AREAS]
    r = [getattr(scores, a) for a in SCORED_AREAS]
    hover = [f"<b>{AREA_TITLES[a]}: {getattr(scores, a):.0f}/100</b><br>"
             f"{wrap_html(lines.get(a, ''), 55, 600)}" for a in SCORED_AREAS]
    fig = go.Figure(go.Scatterpolar(
        r=r + r[:1], theta=theta + theta[:1], fill="toself", hovertext=hover + hover[:1],
        hovertemplate="%{hovertext}<extra></extra>", line=dict(color=BAR_COLOUR, width=2),
        fillcolor="rgba(0,114,178,0.25)", marker=dict(size=8, color=AREA_MARKER)))
    fig.update_layout(
        # Areas clockwise from the top; the radial ticks run along the diagonal between two
        # areas, so "100" never sits on an area's name (it did at 800 px).
        polar=dict(radialaxis=dict(range=[0, 100], tickvals=[25, 50, 75, 100], angle=45,
                                   tickangle=45, tickfont=dict(size=10)),
                   angularaxis=dict(rotation=90, direction="clockwise")),
        height=340, margin=dict(l=75, r=75, t=35, b=35), showlegend=False,
        hoverlabel=dict(align="left"))
    return fig
