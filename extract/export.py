"""Exports: the CLI's JSON objects and the CSV scorecard, with spreadsheet-formula neutralising."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Iterable, Mapping

from .model import REVIEW_THRESHOLD, Evidence, Extraction, Fact, PolicyRecord
from .score import Rubric, score
from .taxonomy import fact_ids

__all__ = ["to_json_obj", "scorecard_rows", "scorecard_columns", "to_csv", "safe_cell",
           "format_value", "needs_review", "evidence_where", "audit_columns", "audit_csv",
           "audit_value", "XLSX_MAX_CHARS"]

# XML 1.0 forbids these (openpyxl refuses the C0 ones; lone surrogates and U+FFFE/U+FFFF make
# Excel "repair" the file). They are dropped from every export, CSV included.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a spreadsheet may read as the start of a formula (OWASP CSV injection), with the
# full-width forms some locales accept too.
_FORMULA_START = frozenset("=+-@\t\r＝＋－＠")
# Invisible lead-ins a spreadsheet may skip before reading a formula: whitespace, C0/C1 controls,
# zero-width, bidi and other format characters, BOM.
_INVISIBLE_LEAD = re.compile("[\\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
                             "\u202a-\u202e\u2060-\u206f\ufeff]*")
XLSX_MAX_CHARS = 32_767  # Excel's limit for one cell


def safe_cell(value, max_chars: int | None = None) -> str:
    """A value as spreadsheet-safe text: the ONE neutraliser of every CSV and XLSX cell.

    In this order, so no later step can undo the guard: XML-illegal characters are dropped,
    text over `max_chars` is cut (ending in "…"), and then text whose first visible character
    could start a formula (= + - @, also after whitespace, control or format characters) or
    that starts with a tab or carriage return gets a leading apostrophe, which makes Excel,
    LibreOffice and Google Sheets show it as literal text (OWASP CSV-injection guidance).
    """
    text = _ILLEGAL.sub("", format_value(value))
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    lead = _INVISIBLE_LEAD.match(text).end()
    if text[:1] in _FORMULA_START or text[lead:lead + 1] in _FORMULA_START:
        text = "'" + (text[: max_chars - 1] if max_chars is not None else text)
    return text


def format_value(value) -> str:
    """A fact value as text: yes/no for booleans, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_json_obj(item: Extraction | PolicyRecord, rubric: Rubric | None = None) -> dict:
    """The CLI's JSON object for one policy (keys are the public fact IDs)."""
    facts: Mapping[str, Fact] = item.facts
    return {
        "source": item.source,
        "vendor": item.vendor,
        "sha256": item.sha256,
        "facts": {fid: facts[fid].to_dict() | {"needs_review": needs_review(facts[fid])}
                  for fid in fact_ids() if fid in facts},
        "scores": score(facts, rubric).to_dict(),
    }


def evidence_where(e: Evidence) -> str:
    """Where a quote stands: "p.3", or "p.3 (OCR 95%)" when its page was read by OCR (with
    the page's mean word confidence)."""
    return f"p.{e.page}" + (f" (OCR {e.ocr_confidence:.0%})" if e.ocr else "")


def needs_review(fact: Fact) -> bool:
    """True when a fact was decided with low confidence (never for a reviewer's override)."""
    if getattr(fact, "reviewed", False):
        return False
    return float(fact.confidence) < REVIEW_THRESHOLD


def scorecard_columns() -> list[str]:
    """CSV header: identity, scores, each fact ID followed by its evidence column, then the
    review columns (`reviewed_facts`: fact IDs whose value is a reviewer's override)."""
    cols = ["vendor", "source", "sha256", "rights", "retention", "security", "children",
            "overall", "grade"]
    for fid in fact_ids():
        cols += [fid, f"{fid}.evidence"]
    return cols + ["needs_review", "reviewed_facts", "review_status"]


def scorecard_rows(items: Iterable[Extraction | PolicyRecord],
                   rubric: Rubric | None = None) -> list[dict[str, str]]:
    """One row per vendor, ranked by overall score (best first)."""
    rows = []
    for it in items:
        s = score(it.facts, rubric)
        row = {"vendor": it.vendor, "source": it.source, "sha256": it.sha256,
               "rights": s.rights, "retention": s.retention, "security": s.security,
               "children": s.children, "overall": s.overall, "grade": s.grade}
        review = []
        for fid in fact_ids():
            f = it.facts.get(fid)
            row[fid] = f.value if f else None
            row[f"{fid}.evidence"] = " | ".join(
                f"{evidence_where(e)}: {e.text}" for e in (f.evidence if f else []))
            if f and needs_review(f):
                review.append(fid)
        row["needs_review"] = "; ".join(review)
        row["reviewed_facts"] = "; ".join(fid for fid in fact_ids()
                                          if getattr(it.facts.get(fid), "reviewed", False))
        row["review_status"] = getattr(it, "review_status", "")
        rows.append(row)
    rows.sort(key=lambda r: (-float(r["overall"]), str(r["vendor"]).lower()))
    return rows


def to_csv(items: Iterable[Extraction | PolicyRecord], rubric: Rubric | None = None) -> str:
    """The CSV scorecard as text (UTF-8, header row, every cell formula-safe)."""
    buf = io.StringIO()
    cols = scorecard_columns()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; also quotes any \r or \n inside a cell
    w.writerow(cols)
    for row in scorecard_rows(items, rubric):
        w.writerow([safe_cell(row[c]) for c in cols])
    return buf.getvalue()


def audit_columns() -> list[str]:
    return ["at", "actor", "role", "action", "vendor", "vendor_id", "target", "before", "after",
            "note"]


def audit_value(v) -> str:
    """An audit before/after value as text: scalars as in the CSV, the rest as JSON."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return format_value(v)
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def audit_csv(entries: Iterable) -> str:
    """The audit trail (`AuditEntry`s) as CSV text, every cell formula-safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    cols = audit_columns()
    w.writerow(cols)
    for e in entries:
        w.writerow([safe_cell(audit_value(getattr(e, c))) for c in cols])
    return buf.getvalue()
