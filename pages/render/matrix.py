"""The comparison matrix as plain HTML: it paints with the page, before any chart library."""
from __future__ import annotations

from typing import Sequence

from extract.model import PolicyRecord
from extract.score import Rubric
from extract.taxonomy import SCORED_AREAS, FactSpec

from .cells import Cell, cell, cell_label, quote_text, specs_by_area
from .escape import escape, vendor_tick
from .palette import AREA_TITLES, CELL_COLOURS, CELL_TEXT_COLOURS, REVIEW_MARK

__all__ = ["matrix_html"]


def _hover_text(vendor: str, spec: FactSpec, c: Cell) -> str:
    """Plain-text hover for a matrix cell (an HTML `title`): value, review note, first quote."""
    first = c.evidence[0] if c.evidence else None
    quote = " ".join(quote_text(first.text).split()) if first else ""
    if len(quote) > 400:
        quote = quote[:399] + "…"
    lines = [f"{vendor} · {spec.label}: {c.text}"]
    if c.review:
        lines.append(f"{REVIEW_MARK} {c.note}")
    lines.append(f"“{quote}” (page {first.page})" if first else "not stated in the policy")
    return "\n".join(lines)


def matrix_html(records: Sequence[PolicyRecord], areas: Sequence[str], rubric: Rubric) -> str:
    """The comparison matrix as a coloured HTML grid: facts (rows) × vendors (columns).

    Plain HTML paints with the page, long before a chart library has loaded, and reads well
    in screen readers. Each cell carries its value as text, and its first evidence quote as
    hover text. Every third-party string goes through `escape(..., "html")`.
    """
    short = len(records) > 5
    head = "".join(f'<th scope="col" class="pp-mv" title="{escape(r.vendor, "html")}">'
                   f"{vendor_tick(r.vendor, 40)}</th>" for r in records)
    rows = [f'<thead><tr><th scope="col" class="pp-mf">Fact</th>{head}</tr></thead><tbody>']
    for area, specs in specs_by_area(areas).items():
        if not specs:
            continue
        note = "" if area in SCORED_AREAS else " <i>(not scored)</i>"
        rows.append(f'<tr class="pp-marea"><th scope="rowgroup" class="pp-mf" '
                    f'colspan="{len(records) + 1}">{AREA_TITLES[area].upper()}{note}</th></tr>')
        for s in specs:
            tds = []
            for r in records:
                c = cell(s, r.facts.get(s.id), rubric)
                tds.append(f'<td style="background:{CELL_COLOURS[c.level]};'
                           f'color:{CELL_TEXT_COLOURS[c.level]}" '
                           f'title="{escape(_hover_text(r.vendor, s, c), "html")}">'
                           f"{escape(cell_label(c, short=short), 'html')}</td>")
            rows.append(f'<tr><th scope="row" class="pp-mf" '
                        f'title="{escape(s.description, "html")}">{escape(s.label, "html")}'
                        f"</th>{''.join(tds)}</tr>")
    rows.append("</tbody>")
    return (f'<div class="pp-mwrap" role="region" aria-label="Comparison matrix" tabindex="0">'
            f'<table class="pp-matrix">{"".join(rows)}</table></div>')
