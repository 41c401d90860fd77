"""Exports: the CLI's JSON objects and the CSV scorecard, with spreadsheet-formula neutralising."""
from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Mapping

from .model import REVIEW_THRESHOLD, Extraction, Fact, PolicyRecord
from .score import Rubric, score
from .taxonomy import fact_ids

__all__ = ["to_json_obj", "scorecard_rows", "scorecard_columns", "to_csv", "safe_cell",
           "format_value", "needs_review", "audit_columns", "audit_csv",
           "audit_value"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Render a value for a spreadsheet cell; text starting like a formula is prefixed with '.

    OWASP CSV-injection guidance: cells beginning with = + - @ tab or carriage return are
    interpreted as formulas by spreadsheet programs, so they are made literal.
    """
    text = format_value(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


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
                f"p.{e.page}: {e.text}" for e in (f.evidence if f else []))
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
