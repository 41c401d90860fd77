"""The reviewer workflow in the app (AppTest, no sign-in configured): overrides, review status
and its filter, versions and their diff, the audit trail, and the Excel and HTML downloads."""
from __future__ import annotations

import csv
import dataclasses
import io

import pandas as pd
import pytest

from extract.model import Evidence, Fact, User
from extract.score import score
from extract.store import Store
from tests.test_app import (downloads, html_fragments, open_page,  # noqa: F401
                            server_page_mode, vendor_ids, visible)


@pytest.fixture(autouse=True)
def no_sign_in(monkeypatch):
    monkeypatch.delenv("PRIVACY_USERS_FILE", raising=False)


def html_text(at) -> str:
    return " ".join(visible(h) for h in html_fragments(at))


def test_override_a_fact_changes_scores_and_is_shown_as_reviewed(tmp_db, downloads):
    at = open_page()
    ids = vendor_ids(tmp_db)
    vid = ids["Itechno"]
    before = score(Store(tmp_db).record(vid).facts)
    at.text_input(key="reviewer_name").set_value("Rita Reviewer")
    at.switch_page("pages/review.py").run()
    at.selectbox(key="review_vendor").set_value(vid).run()
    at.selectbox(key="override_fact").set_value("security.mfa").run()
    assert "Extracted value" in html_text(at)
    at.selectbox(key="override_value_bool").set_value("yes")
    at.text_input(key="override_note").set_value("MFA stated in the admin guide")
    at.button(key="override_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("set to yes" in s.value for s in at.success)

    rec = Store(tmp_db).record(vid)
    assert rec.overrides["security.mfa"].reviewer == "Rita Reviewer"
    after = score(rec.facts)
    assert after.security > before.security

    at.switch_page("pages/overview.py").run()
    table = next(df.value for df in at.dataframe if "Vendor" in df.value.columns)
    row = table[table["Vendor"] == "Itechno"].iloc[0]
    assert row["Security"] == pytest.approx(after.security)
    assert "✔" in html_text(at)  # the matrix marks the reviewed value

    at.switch_page("pages/vendor.py").run()
    at.selectbox(key="vendor_select").set_value(vid).run()
    page = html_text(at)
    assert "✔ reviewed" in page and "Override by Rita Reviewer" in page
    assert "Extracted value: not stated" in page and "MFA stated in the admin guide" in page

    at.switch_page("pages/scorecard.py").run()
    data = next(d for name, d in downloads if name == "privacy-scorecard.csv")
    rows = {r["vendor"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8")))}
    assert rows["Itechno"]["security.mfa"] == "yes"
    assert rows["Itechno"]["reviewed_facts"] == "security.mfa"

    # removing the override brings the extracted value back
    at.switch_page("pages/review.py").run()
    at.button(key="override_remove_security.mfa").click().run()
    assert Store(tmp_db).overrides() == {}
    assert [e.action for e in Store(tmp_db).audit_log(vid)][:2] == ["override-removed",
                                                                    "override"]


def test_invalid_override_shows_an_error_and_stores_nothing(tmp_db):
    at = open_page("review")
    at.selectbox(key="override_fact").set_value("children.min_age").run()
    at.text_input(key="override_value_age").set_value("sixteen")
    at.text_input(key="override_note").set_value("typo")
    at.button(key="override_save").click().run()
    assert any("not a valid value" in e.value for e in at.error)
    at.text_input(key="override_value_age").set_value("16")
    at.text_input(key="override_note").set_value("")
    at.button(key="override_save").click().run()
    assert any("needs a note" in e.value for e in at.error)
    assert Store(tmp_db).overrides() == {}


def test_review_status_is_saved_audited_and_filters_the_overview(tmp_db):
    at = open_page("review")
    ids = vendor_ids(tmp_db)
    at.selectbox(key="review_vendor").set_value(ids["Digi Smart Manager"]).run()
    assert at.selectbox(key="review_status").value == "not reviewed"
    at.selectbox(key="review_status").set_value("approved with conditions")
    at.text_input(key="review_comment").set_value("sign the DPA first")
    at.button(key="save_status").click().run()
    assert not at.exception, [e.value for e in at.exception]
    rec = Store(tmp_db).record(ids["Digi Smart Manager"])
    assert (rec.review_status, rec.review.comment, rec.review.reviewer) == (
        "approved with conditions", "sign the DPA first", "local reviewer")

    at.switch_page("pages/overview.py").run()
    at.multiselect(key="status_filter").set_value(["approved with conditions"]).run()
    table = next(df.value for df in at.dataframe if "Vendor" in df.value.columns)
    assert list(table["Vendor"]) == ["Digi Smart Manager"]
    at.multiselect(key="status_filter").set_value(["not reviewed"]).run()
    table = next(df.value for df in at.dataframe if "Vendor" in df.value.columns)
    assert len(table) == 4 and "Digi Smart Manager" not in set(table["Vendor"])
    at.multiselect(key="status_filter").set_value(["rejected"]).run()
    assert any("No vendor has the chosen review status" in i.value for i in at.info)
    # The filter is still there after the page stopped, and clearing it shows everyone again.
    at.multiselect(key="status_filter").set_value([]).run()
    assert len(next(df.value for df in at.dataframe if "Vendor" in df.value.columns)) == 5

    at.switch_page("pages/audit.py").run()
    audit = at.dataframe[0].value
    first = audit.iloc[0]
    assert (first["Action"], first["Vendor"], first["Before"], first["After"], first["Note"]) == (
        "status", "Digi Smart Manager", "not reviewed", "approved with conditions",
        "sign the DPA first")


def second_version(db, vendor="Itechno"):
    """Store a second policy version of a seed vendor: one fact gained, one lost."""
    from extract.seeds import ensure_seeded

    store = Store(db)
    ensure_seeded(store)
    rec = next(r for r in store.records() if r.vendor == vendor)
    doc = dataclasses.replace(store.document(rec.document_id), sha256="f" * 64,
                              filename="itechno-v2.txt")
    facts = dict(rec.extracted)
    facts["rights.portability"] = Fact("rights.portability", True, 0.97, [
        Evidence("You can export your data in a machine-readable format.", 1, 0, 10, "Rights")])
    facts["security.access_control"] = Fact("security.access_control", False, 0.9)
    from extract.model import Extraction

    store.add(Extraction(vendor, doc, facts, extractor_version=rec.extractor_version),
              actor=User("Uploader", "reviewer"))
    return rec


def test_pick_two_versions_and_see_the_diff(tmp_db):
    old = second_version(tmp_db)
    lost_quote = old.extracted["security.access_control"].evidence[0].text
    at = open_page("review", vendor=str(old.vendor_id))
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="review_vendor").value == old.vendor_id
    assert len(at.dataframe[0].value) == 2
    assert (at.selectbox(key="diff_from").value, at.selectbox(key="diff_to").value) == (1, 2)
    assert any("1 gained, 1 lost, 0 changed" in m.value for m in at.markdown)
    page = html_text(at)
    assert "＋ gained" in page and "− lost" in page
    assert "machine-readable format" in page and lost_quote.lstrip("-• ")[:40] in page

    at.selectbox(key="diff_from").set_value(2)
    at.selectbox(key="diff_to").set_value(1).run()
    assert any("1 gained, 1 lost" in m.value for m in at.markdown)
    at.selectbox(key="diff_to").set_value(2).run()
    assert any("Pick two different versions" in i.value for i in at.info)

    # the matrix shows the latest version
    at.switch_page("pages/vendor.py").run()
    at.selectbox(key="vendor_select").set_value(old.vendor_id).run()
    assert any("itechno\\-v2\\.txt" in c.value for c in at.caption)


def test_audit_page_lists_uploads_and_deletions_and_exports_csv(tmp_db, downloads):
    at = open_page("vendor")
    ids = vendor_ids(tmp_db)
    at.text_input(key="reviewer_name").set_value("Del Admin")
    at.selectbox(key="vendor_select").set_value(ids["Itechno"]).run()
    at.button(key="delete_vendor").click().run()
    at.button(key="delete_vendor_confirm").click().run()
    assert "Itechno" not in vendor_ids(tmp_db)

    at.switch_page("pages/audit.py").run()
    audit = at.dataframe[0].value
    assert list(audit["Action"]).count("upload") == 5  # the five seeds
    assert (audit.iloc[0]["Action"], audit.iloc[0]["Who"], audit.iloc[0]["Vendor"]) == (
        "delete", "Del Admin", "Itechno")
    at.multiselect(key="audit_action").set_value(["delete"]).run()
    assert len(at.dataframe[0].value) == 1
    data = [d for name, d in downloads if name == "privacy-audit-trail.csv"][-1]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [(r["action"], r["actor"], r["vendor"]) for r in rows] == [
        ("delete", "Del Admin", "Itechno")]


@pytest.fixture
def deferred_downloads(monkeypatch):
    """file name → the callable a download button runs on click (deferred data): AppTest's
    media manager is swapped for one that keeps them."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import app_test as app_test_module

    kept: dict = {}

    class Keeping(MediaFileManager):
        def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
            kept[file_name] = data_callable
            return super().add_deferred(data_callable, mimetype, coordinates,
                                        file_name=file_name, **kw)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Keeping)
    return kept


def test_excel_and_html_report_downloads(tmp_db, downloads, deferred_downloads):
    at = open_page("scorecard")
    # The workbook is built on click only: the button holds a callable, not bytes.
    assert not [n for n, _ in downloads if n == "privacy-scorecard.xlsx"]
    xlsx = deferred_downloads["privacy-scorecard.xlsx"]()  # what a click runs
    sheets = pd.read_excel(io.BytesIO(xlsx), sheet_name=None)
    assert list(sheets)[0] == "Matrix" and len(sheets["Matrix"]) == 5
    assert {"Rights", "Retention", "Security", "Children", "Sharing"} <= set(sheets)

    ids = vendor_ids(tmp_db)
    at.switch_page("pages/vendor.py").run()
    at.selectbox(key="vendor_select").set_value(ids["Itechno"]).run()
    assert at.get("download_button")
    name = f"privacy-report-{ids['Itechno']}.html"
    report = [d for n, d in downloads if n == name][-1].decode("utf-8")
    assert "<h1>Itechno</h1>" in report and "not reviewed" in report
    assert "Audit trail" in report and "upload" in report


@pytest.mark.parametrize("page", ["pages/review.py", "pages/audit.py"])
def test_review_pages_render_without_torch(tmp_path, page):
    from tests.test_cold_start import run_page

    res = run_page(page, tmp_path / "privacy.db")
    assert res["exception"] == [] and res["heavy"] == [], res
