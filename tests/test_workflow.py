"""Reviewer workflow in the core: overrides (precedence, survival), audit trail, review
statuses, versions and their diff, and permissions enforced by the store itself."""
from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from extract.diff import diff_facts
from extract.errors import PermissionDenied, StoreError
from extract.export import audit_csv, to_csv
from extract.model import Document, Evidence, Extraction, Fact, Page, User
from extract.score import score
from extract.seeds import SEED_DIR, ensure_seeded
from extract.store import Store
from extract.taxonomy import fact_ids
from extract.workflow import parse_fact_value, reextract

ANN = User("Ann Reviewer", "reviewer")
VIC = User("Vic Viewer", "viewer")


def extraction(sha="a" * 64, vendor="Acme", access=False, text="Privacy Policy\nWe keep data."):
    doc = Document("acme.txt", sha, text, (Page(1, 0, len(text)),), "txt")
    facts = {fid: Fact(fid, False, 0.9) for fid in fact_ids()}
    facts["retention.level"] = Fact("retention.level", "none", 0.9)
    facts["children.min_age"] = Fact("children.min_age", None, 0.9)
    facts["retention.periods"] = Fact("retention.periods", "", 0.9)
    if access:
        facts["rights.access"] = Fact("rights.access", True, 0.95,
                                      [Evidence("You may access your data.", 1, 15, 40, "Rights")])
    return Extraction(vendor, doc, facts, extractor_version="test-1")


@pytest.fixture
def store(db_target):
    """A fresh store on each engine (SQLite, then PostgreSQL): the same assertions hold."""
    return Store(db_target)


def test_override_takes_precedence_in_facts_scores_and_csv(store):
    vid = store.add(extraction()).vendor_id
    before = score(store.record(vid).facts)
    store.set_override(vid, "rights.access", True, "Section 4 grants access", ANN)
    store.set_override(vid, "retention.level", "specific", "30 days in annex", ANN)

    rec = store.record(vid)
    assert rec.facts["rights.access"].value is True and rec.facts["rights.access"].reviewed
    assert rec.extracted["rights.access"].value is False  # the extracted value stays visible
    assert rec.overrides["rights.access"].reviewer == "Ann Reviewer"
    after = score(rec.facts)
    assert after.rights == before.rights + 10 and after.retention == 100
    (row,) = csv.DictReader(io.StringIO(to_csv([rec])))
    assert row["rights.access"] == "yes" and row["retention.level"] == "specific"
    assert set(row["reviewed_facts"].split("; ")) == {"rights.access", "retention.level"}
    assert float(row["overall"]) == after.overall
    # without overrides (raw view) the extracted values come back
    (raw,) = store.records(vid, apply_overrides=False)
    assert raw.facts["rights.access"].value is False


def test_override_values_are_checked(store):
    vid = store.add(extraction()).vendor_id
    with pytest.raises(StoreError, match="not a valid value"):
        store.set_override(vid, "rights.access", "maybe", "note", ANN)
    with pytest.raises(StoreError, match="Unknown fact"):
        store.set_override(vid, "rights.telepathy", True, "note", ANN)
    with pytest.raises(StoreError, match="needs a note"):
        store.set_override(vid, "rights.access", True, "  ", ANN)
    assert parse_fact_value("children.min_age", "16") == 16
    assert parse_fact_value("children.min_age", "") is None
    assert parse_fact_value("rights.access", "yes") is True
    assert parse_fact_value("retention.level", "Vague") == "vague"
    with pytest.raises(StoreError):
        parse_fact_value("children.min_age", "sixteen")
    assert store.overrides() == {}


def test_overrides_survive_a_new_version_and_flag_disagreement(store):
    vid = store.add(extraction()).vendor_id
    store.set_override(vid, "rights.access", True, "granted in the FAQ", ANN)
    # the vendor publishes a new policy that now says it, then one that does not
    store.add(extraction(sha="b" * 64, access=True))
    rec = store.record(vid)
    assert rec.sha256 == "b" * 64 and rec.overrides["rights.access"].extracted_value is False
    assert rec.extracted["rights.access"].value is True  # extractor agrees now
    store.add(extraction(sha="c" * 64, access=False))
    rec = store.record(vid)
    assert rec.facts["rights.access"].value is True and rec.facts["rights.access"].reviewed
    assert [v.number for v in store.versions(vid)] == [1, 2, 3]


def test_reextraction_keeps_overrides(store):
    vid = store.add(extraction(access=True)).vendor_id
    did = store.record(vid).document_id
    store.set_override(vid, "security.mfa", True, "MFA in the trust centre", ANN)
    new = extraction(access=False).facts
    new["security.mfa"] = Fact("security.mfa", False, 0.8)
    changed = store.replace_facts(did, new, "test-2", ANN)
    assert changed == 1  # rights.access went from True to False
    rec = store.record(vid)
    assert rec.extractor_version == "test-2"
    assert rec.extracted["rights.access"].value is False
    assert rec.facts["security.mfa"].value is True and rec.facts["security.mfa"].reviewed


def test_overrides_survive_an_extractor_version_upgrade(tmp_path, monkeypatch, extractor):
    import extract.pipeline as pipeline

    store = Store(tmp_path / "db.sqlite")
    ensure_seeded(store)
    rec = next(r for r in store.records() if r.vendor == "Itechno")
    assert rec.facts["security.mfa"].value is False
    store.set_override(rec.vendor_id, "security.mfa", True, "confirmed by e-mail", ANN)
    store.set_override(rec.vendor_id, "children.min_age", 16, "age gate at 16", ANN)
    reextract(store, extractor, only_outdated=True)  # the seeds may predate this extractor
    assert reextract(store, extractor, only_outdated=True) == 0  # all current: nothing to do
    current = store.record(rec.vendor_id)

    upgraded = pipeline.EXTRACTOR_VERSION + "-upgraded"
    monkeypatch.setattr(pipeline, "EXTRACTOR_VERSION", upgraded)
    assert reextract(store, extractor, rec.vendor_id, ANN, only_outdated=True) == 1
    after = store.record(rec.vendor_id)
    assert after.extractor_version == upgraded
    assert after.facts["security.mfa"].value is True and after.facts["security.mfa"].reviewed
    assert after.facts["children.min_age"].value == 16
    assert after.extracted["children.min_age"].value == \
        current.extracted["children.min_age"].value != 16  # what the policy says
    # the re-extracted evidence is the policy's own, with its page numbers kept
    assert after.facts["children.min_age"].evidence[0].text == \
        rec.facts["children.min_age"].evidence[0].text
    (entry, *_) = store.audit_log(rec.vendor_id)
    assert entry.action == "re-extract" and entry.after["extractor_version"] == upgraded


def test_every_action_is_audited_with_before_and_after(store):
    vid = store.add(extraction(), actor=ANN).vendor_id
    store.set_override(vid, "rights.access", True, "see FAQ", ANN)
    store.set_override(vid, "rights.access", False, "FAQ withdrawn", ANN)
    store.clear_override(vid, "rights.access", ANN)
    store.set_review_status(vid, "approved with conditions", "needs a DPA", ANN)
    store.delete_vendor(vid, actor=ANN)

    log = list(reversed(store.audit_log()))  # oldest first
    assert [e.action for e in log] == ["upload", "override", "override", "override-removed",
                                       "status", "delete"]
    assert all(e.actor == "Ann Reviewer" and e.vendor == "Acme" for e in log)
    upload, ov1, ov2, removed, status, delete = log
    assert upload.target == "acme.txt" and upload.after["version"] == 1
    assert (ov1.target, ov1.before, ov1.after, ov1.note) == ("rights.access", False, True,
                                                             "see FAQ")
    assert (ov2.before, ov2.after) == (True, False)
    assert (removed.before, removed.after) == (False, False)
    assert (status.before, status.after, status.note) == ("not reviewed",
                                                          "approved with conditions",
                                                          "needs a DPA")
    assert delete.before == {"documents": 1, "overrides": 0} and delete.after is None
    assert store.overrides() == {} and store.reviews() == {}  # gone with the vendor
    rows = list(csv.DictReader(io.StringIO(audit_csv(store.audit_log()))))
    assert [r["action"] for r in rows][0] == "delete" and len(rows) == 6
    assert json.loads(rows[-1]["after"])["sha256"] == "a" * 64


def test_duplicate_upload_is_not_audited_again(store):
    store.add(extraction())
    store.add(extraction(vendor="Other"))
    assert [e.action for e in store.audit_log()] == ["upload"]


def test_audit_csv_neutralises_formulas(store):
    vid = store.add(extraction(vendor="=HYPERLINK(\"http://x\")")).vendor_id
    store.set_override(vid, "rights.access", True, "@SUM(A1)", ANN)
    rows = list(csv.DictReader(io.StringIO(audit_csv(store.audit_log()))))
    assert rows[0]["note"] == "'@SUM(A1)"
    assert all(r["vendor"].startswith("'=") for r in rows)


def test_review_status(store):
    vid = store.add(extraction()).vendor_id
    assert store.record(vid).review_status == "not reviewed"
    store.set_review_status(vid, "rejected", "sells data", ANN)
    rec = store.record(vid)
    assert (rec.review_status, rec.review.comment, rec.review.reviewer) == (
        "rejected", "sells data", "Ann Reviewer")
    with pytest.raises(StoreError, match="Unknown review status"):
        store.set_review_status(vid, "fine", "", ANN)
    (row,) = csv.DictReader(io.StringIO(to_csv([rec])))
    assert row["review_status"] == "rejected"


def test_viewer_cannot_write_through_the_store(store):
    vid = store.add(extraction()).vendor_id
    did = store.record(vid).document_id
    for attempt in (lambda: store.set_override(vid, "rights.access", True, "x", VIC),
                    lambda: store.clear_override(vid, "rights.access", VIC),
                    lambda: store.set_review_status(vid, "approved", "", VIC),
                    lambda: store.delete_vendor(vid, actor=VIC),
                    lambda: store.add(extraction(sha="d" * 64), actor=VIC),
                    lambda: store.replace_facts(did, {}, "x", VIC)):
        with pytest.raises(PermissionDenied, match="viewer"):
            attempt()
    assert store.count_vendors() == 1 and store.overrides() == {}
    assert len(store.versions(vid)) == 1 and store.reviews() == {}
    assert [e.action for e in store.audit_log()] == ["upload"]


def test_existing_database_gains_the_new_tables(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE vendors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE "
                      "COLLATE NOCASE, created_at TEXT NOT NULL);"
                      "INSERT INTO vendors VALUES (1, 'Old Co', '2024-01-01');")
    con.close()
    store = Store(db)
    assert store.count_vendors() == 1 and store.audit_log() == [] and store.overrides() == {}


def _seed_variant(name: str, remove: str, add: str) -> bytes:
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    assert remove in text  # the test edits a real sentence of the seed
    return text.replace(remove, add).encode("utf-8")


def test_diff_between_two_versions_of_a_seed(tmp_path, extractor):
    store = Store(tmp_path / "db.sqlite")
    ensure_seeded(store)
    vid = next(r.vendor_id for r in store.records() if r.vendor == "Itechno")
    removed = "All of our users’ information, not just sensitive information, is restricted in " \
              "our offices."
    added = "You have the right to request access to the personal data we hold about you."
    data = _seed_variant("itechno.txt", removed, added)
    reextract(store, extractor, vid)  # both versions read by the same extractor
    ex = extractor(data, filename="itechno-2025.txt")
    assert store.add(ex, vendor="Itechno", actor=ANN).created

    v1, v2 = store.versions(vid)
    assert (v1.number, v2.number, v2.filename) == (1, 2, "itechno-2025.txt")
    assert store.record(vid).document_id == v2.document_id  # the matrix shows the latest
    diffs = {d.fact_id: d for d in diff_facts(store.document_facts(v1.document_id),
                                              store.document_facts(v2.document_id))}
    gained, lost = diffs["rights.access"], diffs["security.access_control"]
    assert gained.change == "gained" and gained.new_value is True
    assert gained.new.evidence[0].text.endswith(added) and not gained.old.evidence
    assert lost.change == "lost" and lost.old.evidence[0].text.endswith(removed)
    assert not lost.new.evidence
    assert all(d.change in ("gained", "lost", "changed") for d in diffs.values())
    # unchanged facts are not listed; the reverse diff swaps gained and lost
    assert "children.min_age" not in diffs
    back = {d.fact_id: d.change for d in diff_facts(store.document_facts(v2.document_id),
                                                    store.document_facts(v1.document_id))}
    assert back["rights.access"] == "lost" and back["security.access_control"] == "gained"
    assert store.audit_log(vid)[0].after["version"] == 2


def test_diff_reports_changed_values():
    old = {"children.min_age": Fact("children.min_age", 13, 0.9, [Evidence("under 13", 1, 0, 8)])}
    new = {"children.min_age": Fact("children.min_age", 16, 0.9, [Evidence("under 16", 1, 0, 8)])}
    (d,) = diff_facts(old, new)
    assert (d.change, d.old_value, d.new_value) == ("changed", 13, 16)
    assert diff_facts(new, new) == []
