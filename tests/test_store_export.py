"""The SQLite store and the CSV scorecard."""
import csv
import io

import pytest

from extract.errors import StoreError
from extract.export import safe_cell, scorecard_columns, to_csv
from extract.model import Document, Evidence, Extraction, Fact, Page
from extract.store import Store
from extract.taxonomy import fact_ids


def extraction(sha="a" * 64, vendor="Acme", evidence="We do not sell personal information."):
    text = "Privacy Policy\n" + evidence
    doc = Document("acme.txt", sha, text, (Page(1, 0, len(text)),), "txt")
    facts = {fid: Fact(fid, False, 0.9) for fid in fact_ids()}
    facts["sharing.no_sale"] = Fact("sharing.no_sale", True, 0.95,
                                    [Evidence(evidence, 1, 15, len(text), "Privacy Policy")])
    facts["retention.level"] = Fact("retention.level", "none", 0.9)
    return Extraction(vendor, doc, facts)


def test_same_file_twice_is_recognised_not_duplicated(db_target):
    st = Store(db_target)
    first = st.add(extraction())
    again = st.add(extraction(vendor="Other name"))
    assert first.created and not again.created
    assert again.document_id == first.document_id
    assert st.count_vendors() == 1


def test_records_round_trip_facts_and_evidence(db_target):
    st = Store(db_target)
    st.add(extraction())
    (rec,) = st.records()
    assert rec.vendor == "Acme" and rec.source == "acme.txt"
    f = rec.facts["sharing.no_sale"]
    assert f.value is True and f.evidence[0].text == "We do not sell personal information."
    assert f.evidence[0].section == "Privacy Policy"


def test_new_version_of_a_vendor_becomes_its_latest_record(db_target):
    st = Store(db_target)
    st.add(extraction())
    st.add(extraction(sha="b" * 64, evidence="We never sell your data."))
    (rec,) = st.records()
    assert rec.sha256 == "b" * 64
    assert [v.number for v in st.versions(rec.vendor_id)] == [1, 2]


def test_vendor_names_differing_only_in_case_are_one_vendor(db_target):
    st = Store(db_target)
    st.add(extraction(vendor="Acme"))
    again = st.add(extraction(sha="b" * 64, vendor="ACME"))
    assert again.created and again.vendor == "Acme" and st.count_vendors() == 1


def test_db_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVACY_DB", str(tmp_path / "env.db"))
    assert Store().path == tmp_path / "env.db"


def test_corrupt_database_gives_a_clear_message(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="damaged or is not a database"):
        Store(bad)


def test_csv_has_scores_then_each_fact_and_its_evidence(tmp_path):
    rows = list(csv.DictReader(io.StringIO(to_csv([extraction()]))))
    assert len(rows) == 1
    cols = scorecard_columns()
    assert cols[:9] == ["vendor", "source", "sha256", "rights", "retention", "security",
                        "children", "overall", "grade"]
    for fid in fact_ids():
        assert fid in rows[0] and f"{fid}.evidence" in rows[0]
    assert rows[0]["sharing.no_sale"] == "yes"
    assert rows[0]["sharing.no_sale.evidence"] == "p.1: We do not sell personal information."


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\tcmd", "\rcmd"])
def test_csv_neutralises_formulas(payload):
    assert safe_cell(payload) == "'" + payload
    rows = list(csv.reader(io.StringIO(to_csv([extraction(vendor=payload)]), newline="")))
    assert rows[1][0] == "'" + payload
