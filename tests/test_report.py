"""Reports: the Excel workbook (read back with pandas) and the printable HTML report."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from extract.model import Document, Evidence, Extraction, Fact, Page, User
from extract.report import AREA_SHEETS, to_xlsx, vendor_report_html
from extract.score import Rubric, score
from extract.seeds import ensure_seeded
from extract.store import Store
from extract.taxonomy import fact_ids, facts_in_area

ANN = User("Ann", "reviewer")
EVIL = "=HYPERLINK(\"http://evil\",\"x\")"
HOSTILE = "<img src=x onerror=alert(1)>"


def hostile_extraction(sha="e" * 64):
    quote = f"We encrypt data {HOSTILE} with TLS. =1+2"
    text = "Policy\n" + quote
    doc = Document(f"{HOSTILE}.txt", sha, text, (Page(1, 0, len(text)),), "txt")
    facts = {fid: Fact(fid, False, 0.9) for fid in fact_ids()}
    facts["retention.level"] = Fact("retention.level", "none", 0.9)
    facts["security.encryption"] = Fact("security.encryption", True, 0.95,
                                        [Evidence(quote, 1, 7, len(text), f"@{HOSTILE}")])
    return Extraction(EVIL, doc, facts)


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path / "db.sqlite")
    ensure_seeded(st)
    return st


def test_workbook_opens_with_pandas_matrix_and_one_sheet_per_area(store):
    records = store.records()
    data = to_xlsx(records, Rubric())
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(sheets) == ["Matrix", *AREA_SHEETS.values()]
    matrix = sheets["Matrix"]
    assert sorted(matrix["vendor"]) == sorted(r.vendor for r in records)
    assert list(matrix["overall"]) == sorted(matrix["overall"], reverse=True)  # best first
    for rec in records:
        row = matrix[matrix["vendor"] == rec.vendor].iloc[0]
        assert row["overall"] == pytest.approx(score(rec.facts).overall)
    rights = sheets["Rights"]
    assert len(rights) == len(records) * len(facts_in_area("rights"))
    # evidence sits beside each stated fact
    stated = rights[rights["value"] == "yes"]
    assert len(stated) > 0 and stated["evidence"].str.contains(r"p\.\d+").all()


def test_workbook_uses_overrides_and_marks_them(store):
    rec = next(r for r in store.records() if r.vendor == "Itechno")
    store.set_override(rec.vendor_id, "security.mfa", True, "MFA on the admin console", ANN)
    store.set_override(rec.vendor_id, "children.min_age", 13, "age gate", ANN)
    sheets = pd.read_excel(io.BytesIO(to_xlsx(store.records())), sheet_name=None)
    row = sheets["Matrix"].set_index("vendor").loc["Itechno"]
    assert row["security.mfa"] == "yes" and int(row["children.min_age"]) == 13
    assert set(row["reviewed_facts"].split("; ")) == {"security.mfa", "children.min_age"}
    sec = sheets["Security"].set_index(["vendor", "fact_id"]).loc[("Itechno", "security.mfa")]
    assert (sec["value"], sec["reviewed"], sec["extracted_value"], sec["override_note"],
            sec["reviewer"]) == ("yes", "yes", "not stated", "MFA on the admin console", "Ann")
    new = score(store.record(rec.vendor_id).facts)
    assert row["security"] == pytest.approx(new.security)


def test_workbook_neutralises_formulas(tmp_path):
    st = Store(tmp_path / "db.sqlite")
    st.add(hostile_extraction())
    data = to_xlsx(st.records())
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    matrix = pd.read_excel(io.BytesIO(data), sheet_name="Matrix")
    assert matrix["vendor"][0] == "'" + EVIL
    sec = pd.read_excel(io.BytesIO(data), sheet_name="Security")
    ev = sec[sec["fact_id"] == "security.encryption"]["evidence"].iloc[0]
    assert HOSTILE in ev and "=1+2" in ev


def test_html_report_escapes_third_party_text(tmp_path):
    st = Store(tmp_path / "db.sqlite")
    vid = st.add(hostile_extraction()).vendor_id
    st.set_override(vid, "security.mfa", True, f"note {HOSTILE}", ANN)
    st.set_review_status(vid, "approved with conditions", f"only EU {HOSTILE}", ANN)
    rec = st.record(vid)
    page = vendor_report_html(rec, Rubric(), st.versions(vid), st.audit_log(vid))
    assert "<img" not in page and "onerror=alert(1)>" not in page.replace("&gt;", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "approved with conditions" in page and "✔ reviewed" in page
    assert "MFA" in page or "Multi-factor" in page or "mfa" in page
    assert f">{score(rec.facts).overall:.0f}<" in page
    assert "We encrypt data" in page  # the evidence quote
    assert page.count("<h2>") >= 8  # status, scores, five areas, overrides, versions, audit


def test_html_report_without_reviews(store):
    rec = store.records()[0]
    page = vendor_report_html(rec)
    assert "not reviewed" in page and "Overrides" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
