"""Reviewer views: an override beside its extracted value, and the diff of two versions."""
from __future__ import annotations

from typing import Sequence

from extract.export import format_value
from extract.model import FactDiff, PolicyRecord
from extract.score import Rubric
from extract.taxonomy import FactSpec, taxonomy

from .cells import cell, value_text, value_words
from .escape import escape
from .fragments import badge, evidence_html
from .palette import AREA_TITLES, REVIEW_MARK, REVIEWED_MARK

__all__ = ["override_html", "diff_html"]


def override_html(spec: FactSpec, rec: PolicyRecord, rubric: Rubric) -> str:
    """Beside an overridden fact: the reviewer's note and name, and the value as extracted
    (flagged when the extractor now says something else than when the override was made)."""
    ov = rec.overrides.get(spec.id)
    if ov is None:
        return ""
    extracted = rec.extracted.get(spec.id)
    now = value_text(spec, extracted, rubric)
    msg = (f"{REVIEWED_MARK} Override by <b>{escape(ov.reviewer, 'html')}</b> "
           f"({escape(ov.created_at, 'html')}): “{escape(ov.note, 'html')}”. "
           f"Extracted value: <b>{escape(now, 'html')}</b>.")
    if extracted is not None and extracted.value != ov.value:
        msg += f" {REVIEW_MARK} The extracted value disagrees with the override."
    if ov.extracted_value != (extracted.value if extracted else None):
        msg += (f" The extractor said <b>{escape(format_value(ov.extracted_value), 'html')}"
                "</b> when the override was made; the policy or extractor has changed since.")
    return f'<div class="pp-override">{msg}</div>'


def diff_html(diffs: Sequence[FactDiff], rubric: Rubric) -> str:
    """The facts gained, lost and changed between two versions, with both evidence quotes."""
    specs = {s.id: s for s in taxonomy()}
    words = {"gained": "＋ gained", "lost": "− lost", "changed": "≠ changed"}
    rows = []
    for d in diffs:
        s = specs[d.fact_id]
        cols = []
        for f in (d.old, d.new):
            c = cell(s, f, rubric)
            cols.append(f"<td>{badge(c)}{evidence_html(c, s, value_words(s, c))}</td>")
        rows.append(f"<tr><td><b>{escape(s.label, 'html')}</b><br><span class=\"pp-meta\">"
                    f"{AREA_TITLES[s.area]}</span></td><td>{words[d.change]}</td>"
                    f"{''.join(cols)}</tr>")
    return ('<table class="pp-table"><thead><tr><th>Fact</th><th>Change</th><th>Older version'
            f'</th><th>Newer version</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
