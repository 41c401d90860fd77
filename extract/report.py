"""Reports beside the CSV: an Excel workbook (matrix + one sheet per area with evidence) and a
printable per-vendor HTML report.

Vendor names, file names, quotes and reviewer notes are third-party text: in the workbook every
text cell goes through `safe_cell` (no formulas, XML-legal, within Excel's cell limit), in the
HTML through `html.escape`.
"""
from __future__ import annotations

import html
import io
from typing import Iterable, Sequence

from .export import (XLSX_MAX_CHARS, audit_value, evidence_where, format_value, safe_cell,
                     scorecard_rows)
from .model import AuditEntry, DocumentVersion, Fact, PolicyRecord
from .score import GRADE_BANDS, Rubric, score
from .taxonomy import AREAS, SCORED_AREAS, taxonomy
from .terms import AREA_TITLES, is_stated

__all__ = ["to_xlsx", "vendor_report_html", "AREA_SHEETS", "display_value"]

AREA_SHEETS = AREA_TITLES  # one sheet per area, named by its title


def display_value(fact: Fact | None) -> str:
    """A value as a reviewer reads it: "not stated" for silence, never a bare "no"."""
    if not is_stated(fact):
        return "not stated"
    return format_value(fact.value)


def _xl(value):
    """A workbook cell: numbers stay numbers, everything else is `safe_cell` text (the last
    step, so nothing after it can turn a cell back into a formula)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_cell(value, max_chars=XLSX_MAX_CHARS)


def _evidence_text(fact: Fact | None) -> str:
    return "\n".join(evidence_where(e) + (f" ({e.section})" if e.section else "") + f": {e.text}"
                     for e in (fact.evidence if fact else []))


def to_xlsx(records: Sequence[PolicyRecord], rubric: Rubric | None = None) -> bytes:
    """The workbook as bytes: sheet "Matrix" (one row per vendor, best first) and one sheet per
    area (one row per vendor and fact, with the evidence and any override)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = scorecard_rows(records, rubric)
    by_name = {r.vendor: r for r in records}
    specs = list(taxonomy())
    wb = Workbook()
    ws = wb.active
    ws.title = "Matrix"
    head = ["vendor", "review_status", "grade", "overall", *SCORED_AREAS,
            *(s.id for s in specs), "reviewed_facts"]
    ws.append([_xl(h) for h in head])
    for row in rows:
        rec = by_name.get(row["vendor"])
        facts = rec.facts if rec else {}
        ws.append([_xl(v) for v in (
            row["vendor"], row.get("review_status", ""), row["grade"], row["overall"],
            *(row[a] for a in SCORED_AREAS), *(display_value(facts.get(s.id)) for s in specs),
            row.get("reviewed_facts", ""))])
    for area in AREAS:
        sheet = wb.create_sheet(AREA_SHEETS[area])
        sheet.append([_xl(h) for h in ("vendor", "fact_id", "fact", "value", "reviewed",
                                       "extracted_value", "override_note", "reviewer",
                                       "confidence", "evidence")])
        for row in rows:
            rec = by_name.get(row["vendor"])
            if rec is None:
                continue
            for s in specs:
                if s.area != area:
                    continue
                f = rec.facts.get(s.id)
                ov = getattr(rec, "overrides", {}).get(s.id)
                extracted = (getattr(rec, "extracted", None) or rec.facts).get(s.id)
                sheet.append([_xl(v) for v in (
                    rec.vendor, s.id, s.label, display_value(f), "yes" if ov else "no",
                    display_value(extracted) if ov else "", ov.note if ov else "",
                    ov.reviewer if ov else "", round(float(f.confidence), 3) if f else "",
                    _evidence_text(extracted or f))])
        for col, width in zip("ABCDEFGHIJ", (28, 28, 34, 14, 9, 14, 30, 16, 11, 90)):
            sheet.column_dimensions[col].width = width
        for cell in sheet["J"][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#111;max-width:60em}
h1{margin-bottom:.2em} .meta{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2} .reviewed{color:#0072B2;font-weight:bold} q{font-style:italic}
.status{display:inline-block;padding:.2em .6em;border:2px solid #0072B2;border-radius:.3em}
@media print{body{margin:0} a{color:inherit} h2{page-break-after:avoid} tr{page-break-inside:avoid}}
"""


def _html_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A titled table; `rows` hold cells that are already escaped HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _e(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _fact_sections(rec: PolicyRecord, overrides, extracted_all) -> list[str]:
    """One table per area: each fact's value (and override), and its evidence quotes."""
    e, parts = _e, []
    for area in AREAS:
        parts.append(f"<h2>{e(AREA_SHEETS[area])}"
                     + ("" if area in SCORED_AREAS else " (not scored)") + "</h2>"
                     "<table><tr><th>Fact</th><th>Value</th><th>Evidence</th></tr>")
        for spec in (x for x in taxonomy() if x.area == area):
            f, ov, ex = rec.facts.get(spec.id), overrides.get(spec.id), extracted_all.get(spec.id)
            value = e(display_value(f))
            if ov:
                value += (f' <span class="reviewed">✔ reviewed</span><br><small>extracted: '
                          f"{e(display_value(ex))}; by {e(ov.reviewer)}: {e(ov.note)}</small>")
            quotes = "".join(f"<p><q>{e(q.text)}</q> <small>(page {q.page}"
                             + (f", {e(q.section)}" if q.section else "") + ")</small></p>"
                             for q in (ex.evidence if ex else []))
            parts.append(f"<tr><td>{e(spec.label)}<br><small>{e(spec.id)}</small></td>"
                         f"<td>{value}</td><td>{quotes or '—'}</td></tr>")
        parts.append("</table>")
    return parts


def vendor_report_html(rec: PolicyRecord, rubric: Rubric | None = None,
                       versions: Iterable[DocumentVersion] = (),
                       audit: Iterable[AuditEntry] = ()) -> str:
    """A printable, self-contained HTML report of one vendor: review status, scores, every fact
    with its evidence, the overrides, the versions and the audit trail."""
    e = _e
    rubric = rubric or Rubric()
    s = score(rec.facts, rubric)
    rv = rec.review
    status = rv.status if rv else "not reviewed"
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Privacy report: {e(rec.vendor)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(rec.vendor)}</h1>",
             f'<p class="meta">Policy {e(rec.source)} · uploaded {e(rec.uploaded_at)} · '
             f"SHA-256 {e(rec.sha256)} · extractor {e(rec.extractor_version) or 'unknown'}</p>",
             f'<h2>Review status</h2><p><span class="status">{e(status)}</span>'
             + (f" by {e(rv.reviewer)} on {e(rv.updated_at)}" if rv else "") + "</p>"
             + (f"<p>{e(rv.comment)}</p>" if rv and rv.comment else ""),
             "<h2>Scores</h2><table><tr><th>Overall</th><th>Grade</th>"
             + "".join(f"<th>{e(AREA_SHEETS[a])}</th>" for a in SCORED_AREAS) + "</tr><tr>"
             f"<td>{s.overall:.0f}</td><td>{e(s.grade)}</td>"
             + "".join(f"<td>{getattr(s, a):.0f}</td>" for a in SCORED_AREAS) + "</tr></table>",
             f'<p class="meta">Minimum age required for children: {rubric.required_age}. Grades: '
             + ", ".join(f"{g} ≥ {f:.0f}" for g, f in GRADE_BANDS if f > 0) + ".</p>"]
    overrides = getattr(rec, "overrides", {}) or {}
    extracted_all = getattr(rec, "extracted", None) or rec.facts
    parts += _fact_sections(rec, overrides, extracted_all)
    if overrides:
        parts.append(_html_table("Overrides", ("Fact", "Reviewer's value", "Extracted value",
                                               "Note", "By", "When"), (
            (e(fid), e(format_value(ov.value)), e(display_value(extracted_all.get(fid))),
             e(ov.note), e(ov.reviewer), e(ov.created_at))
            for fid, ov in sorted(overrides.items()))))
    versions = list(versions)
    if versions:
        parts.append(_html_table("Versions", ("#", "File", "Uploaded", "SHA-256"), (
            (str(v.number), e(v.filename), e(v.uploaded_at), f"{e(v.sha256[:16])}…")
            for v in versions)))
    audit = list(audit)
    if audit:
        parts.append(_html_table(
            "Audit trail", ("When", "Who", "Action", "What", "Before", "After", "Note"), (
                (e(a.at), f"{e(a.actor)} ({e(a.role)})", e(a.action), e(a.target),
                 e(audit_value(a.before)), e(audit_value(a.after)), e(a.note))
                for a in audit)))
    parts.append("</body></html>")
    return "\n".join(parts)
