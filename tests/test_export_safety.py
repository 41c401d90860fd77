"""No spreadsheet export carries a live formula (issue 15, item 1).

Rule: no cell of any CSV or XLSX export starts with `=`, `+`, `-`, `@`, a tab, a carriage
return, or a control character followed by one of those, for every field a user or a vendor
controls. The hostile values go through the real store (vendor name, file name, evidence text
and section, override note, reviewer name, review comment) and out through the real exports:
the CSV scorecard, the audit CSV and every sheet of the Excel workbook.
"""
from __future__ import annotations

import csv
import io
import re
import tomllib

import pytest

from extract.export import XLSX_MAX_CHARS, audit_csv, safe_cell, to_csv
from extract.model import Document, Evidence, Extraction, Fact, Page, User
from extract.report import to_xlsx
from extract.store import Store
from extract.taxonomy import fact_ids
from tests.core_fixtures import ROOT

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '\x01=HYPERLINK("http://x","x")',  # the probe's value: \x01 used to be stripped after the guard
    "\t=1+1",
    "\r@SUM(A1)",
    "-2+3",
    "\x00+1",
    "=cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "+1+1",
    "\x1f-1",
    " =1+2",
    "\u200b=1+3",
    "\x85=1+4",
    "\ufeff@SUM(2)",
    "＝1+5",
]


def dangerous(cell: str) -> bool:
    """What the issue forbids: a formula start, or one behind leading control characters."""
    if cell.startswith(FORMULA_START):
        return True
    rest = cell.lstrip("".join(chr(c) for c in range(0x20)) + "\x7f")
    return rest != cell and rest.startswith(FORMULA_START)


def hostile_extraction(i: int, value: str) -> Extraction:
    text = f"Privacy Policy\n{value} We do not sell personal information."
    doc = Document(f"{value}.txt", f"{i:064x}", text, (Page(1, 0, len(text)),), "txt")
    facts = {fid: Fact(fid, False, 0.9) for fid in fact_ids()}
    facts["sharing.no_sale"] = Fact("sharing.no_sale", True, 0.95,
                                    [Evidence(value, 1, 15, len(text), section=value)])
    facts["retention.level"] = Fact("retention.level", "none", 0.4)  # needs review
    return Extraction(value, doc, facts)


@pytest.fixture
def hostile_store(tmp_path):
    """Every hostile value as a vendor name, file name, evidence, section, override note,
    reviewer name and review comment, written through the store's own API."""
    store = Store(tmp_path / "hostile.db")
    for i, value in enumerate(HOSTILE, start=1):
        vid = store.add(hostile_extraction(i, value)).vendor_id
        reviewer = User(value, "reviewer")
        store.set_override(vid, "sharing.no_sale", False, f"{value} note", reviewer)
        store.set_override(vid, "children.min_age", 13, value + " ", reviewer)
        store.set_review_status(vid, "in review", value, reviewer)
    # A vendor name typed in the Upload page's field, over an existing file's extraction.
    store.add(hostile_extraction(999, "plain"), vendor='\x02=HYPERLINK("http://y","y")')
    return store


def _check_rows(rows: list[list[str]], where: str) -> None:
    bad = [(r, c, cell) for r, row in enumerate(rows) for c, cell in enumerate(row)
           if dangerous(cell)]
    assert not bad, f"{where}: cells that a spreadsheet reads as formulas: {bad[:5]}"


def test_csv_scorecard_has_no_formula_cell(hostile_store):
    text = to_csv(hostile_store.records())
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 10
    _check_rows(rows, "CSV scorecard")
    cells = {cell for row in rows for cell in row}
    # The values are there, made literal, not dropped.
    assert "'=HYPERLINK(\"http://x\",\"x\")" in cells and "'-2+3" in cells


def test_audit_csv_has_no_formula_cell(hostile_store):
    entries = hostile_store.audit_log()
    assert {e.action for e in entries} >= {"upload", "override", "status"}
    rows = list(csv.reader(io.StringIO(audit_csv(entries))))
    _check_rows(rows, "audit CSV")
    # Actor (reviewer name), vendor, target (file name) and note all carried the payload.
    cells = {cell for row in rows for cell in row}
    assert "'=HYPERLINK(\"http://x\",\"x\")" in cells
    assert "'=HYPERLINK(\"http://x\",\"x\").txt" in cells


def test_every_sheet_of_the_workbook_has_no_formula(hostile_store):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(to_xlsx(hostile_store.records())))
    assert len(wb.worksheets) > 1
    seen = 0
    for sheet in wb.worksheets:
        rows = []
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("="), f"{sheet.title}!{cell.coordinate}"
            rows.append(["" if c.value is None else str(c.value) for c in row])
        _check_rows(rows, f"sheet {sheet.title}")
        seen += sum("HYPERLINK" in cell for row in rows for cell in row)
    assert seen >= 2  # the Matrix and the area sheets held the payload (vendor, note, evidence)


def test_neutralising_comes_after_every_transformation():
    """Stripping XML-illegal characters and cutting to Excel's limit happen first; the guard
    last, so neither can expose a formula again."""
    for value in HOSTILE:
        for limit in (None, XLSX_MAX_CHARS, 5):
            out = safe_cell(value, max_chars=limit)
            assert not dangerous(out), (value, limit, out)
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", out)  # XML-illegal
            assert limit is None or len(out) <= limit
    long = "=" + "x" * (XLSX_MAX_CHARS + 10)
    assert safe_cell(long, XLSX_MAX_CHARS).startswith("'=")
    assert len(safe_cell(long, XLSX_MAX_CHARS)) == XLSX_MAX_CHARS
    # Harmless text is left alone.
    assert safe_cell("Acme Cloud") == "Acme Cloud" and safe_cell(42) == "42"
    assert safe_cell(None) == "" and safe_cell(True) == "yes"


def test_streamlit_tables_offer_no_unguarded_csv_download():
    """st.dataframe's own "Download as CSV" writes cells as they are, with no formula guard:
    it is switched off, so the app's guarded downloads are the only exports."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
