"""The store: vendors, their policy documents, and the facts extracted from them.

The database defaults to the SQLite file `data/privacy.db`; the `PRIVACY_DB` environment
variable names another file or a PostgreSQL server (`postgresql://…`, with the optional extras
of requirements-scale.txt); `extract.db` is the connection layer, `extract.schema` the tables and
their versions. Every write is one transaction, so a crash mid-way leaves either the whole
document or nothing, and bumps the change counter (`data_version`). A document is identified by
the SHA-256 of its bytes: storing the same file twice returns the existing record instead of a
duplicate.

Reviewer workflow: overrides belong to (vendor, fact ID), not to a document, so they outlive
new versions and re-extraction; every write is recorded in the `audit` table (no foreign key:
the trail outlives deleted vendors). Writes take the acting `User`; a viewer is refused with
`PermissionDenied`, and `None` means the local CLI (full rights).
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .auth import require_write
from .db import open_engine, upsert
from .errors import StoreError
from .names import clean_vendor_name
from .schema import BUMP, COUNTER, upgrade
from .settings import settings
from .model import (REVIEW_STATUSES, AuditEntry, Document, DocumentVersion, Extraction, Fact,
                    FactValue, Override, Page, PolicyRecord, User, VendorReview, utc_now)
from .taxonomy import taxonomy

__all__ = ["Store", "AddResult", "default_db_path", "DATA_DIR", "check_fact_value"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


_LEVELS = ("specific", "vague", "none")


def check_fact_value(fact_id: str, value: FactValue) -> FactValue:
    """Validate a reviewer's value against the fact's kind; return it, or raise StoreError."""
    spec = next((s for s in taxonomy() if s.id == fact_id), None)
    if spec is None:
        raise StoreError(f"Unknown fact {fact_id!r}.")
    if spec.kind == "bool":
        ok = isinstance(value, bool)
        want = "yes or no"
    elif spec.kind == "level":
        ok = value in _LEVELS
        want = "specific, vague or none"
    elif spec.kind == "age":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool)
                               and 0 <= value <= 130)
        want = "an age from 0 to 130, or not stated"
    else:
        ok = isinstance(value, str)
        want = "text"
    if not ok:
        raise StoreError(f"{spec.label}: {value!r} is not a valid value; expected {want}.")
    return value.strip() if isinstance(value, str) else value


def _dump(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def default_db_path() -> Path | str:
    """`$PRIVACY_DB` if set (a file, or a `postgresql://` URL), else `data/privacy.db`."""
    return settings().db or DATA_DIR / "privacy.db"


_VENDOR_BY_NAME = {  # SQLite's column is NOCASE; PostgreSQL has a unique index on lower(name)
    "sqlite": "SELECT id, name FROM vendors WHERE name = ?",
    "postgresql": "SELECT id, name FROM vendors WHERE lower(name) = lower(?)"}
_FIND_DOCUMENT = ("SELECT d.id, d.vendor_id, v.name FROM documents d JOIN vendors v "
                  "ON v.id = d.vendor_id WHERE d.sha256 = ?")


@dataclass(frozen=True)
class AddResult:
    """What storing an extraction did: the ids, and whether it was new or already stored."""

    vendor_id: int
    document_id: int
    created: bool
    vendor: str
    version: int | None = None  # the new document's version number (None: nothing stored)


class Store:
    """Vendors, documents and facts in one database (a SQLite file or PostgreSQL)."""

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 10.0):
        self.target = path or default_db_path()  # as given: a file path or a URL
        self.db = open_engine(self.target, timeout)
        self.path = self.db.path  # the SQLite file (None for PostgreSQL)
        self.timeout = timeout
        try:
            self.db.prepare()
            upgrade(self.db)
        except (*self.db.errors, OSError) as exc:
            raise StoreError(self.db.explain(exc)) from exc

    # -- plumbing (shared with the modules that keep their tables in the store) -------------
    @contextmanager
    def _tx(self, changes: bool = True) -> Iterator:
        """One write transaction; with `changes`, it bumps the change counter."""
        try:
            with self.db.tx() as con:
                yield con
                if changes:
                    con.execute(BUMP)
        except self.db.errors as exc:
            raise StoreError(self.db.explain(exc)) from exc

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.db.read(sql, args)
        except self.db.errors as exc:
            raise StoreError(self.db.explain(exc)) from exc

    # -- writes -------------------------------------------------------------------------
    def _audit(self, con, user: User, action: str, vendor_id: int | None,
               vendor: str, target: str = "", before=None, after=None, note: str = "") -> None:
        con.execute("INSERT INTO audit(at, actor, role, action, vendor_id, vendor, target, "
                    "before, after, note) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (utc_now(), user.name, user.role, action, vendor_id, vendor, target,
                     _dump(before), _dump(after), note))

    @staticmethod
    def _vendor_name(con, vendor_id: int) -> str:
        row = con.execute("SELECT name FROM vendors WHERE id = ?", (vendor_id,)).fetchone()
        if row is None:
            raise StoreError(f"There is no vendor with id {vendor_id} (it may have been deleted).")
        return row[0]

    def add(self, ex: Extraction, vendor: str | None = None,
            actor: User | None = None) -> AddResult:
        """Store an extraction under its vendor (created if new). Same bytes → existing record.

        A new document of a known vendor is its next version; the upload is audited."""
        user = require_write(actor, "upload policies")
        # One canonical form (NFC, no invisible characters): look-alike names are one vendor.
        name = clean_vendor_name(vendor) or clean_vendor_name(ex.vendor) or "Unnamed vendor"
        with self._tx() as con:
            row = con.execute(_FIND_DOCUMENT, (ex.sha256,)).fetchone()
            if row:
                return AddResult(row[1], row[0], False, row[2])
            # No conflict target: PostgreSQL's clash is on the lower(name) index, not `name`
            upsert(con, "vendors", {"name": name, "created_at": utc_now()}, key=(), update=())
            vid, vname = con.execute(_VENDOR_BY_NAME[self.db.dialect], (name,)).fetchone()
            doc = ex.document
            did = con.execute(
                "INSERT INTO documents(vendor_id, sha256, filename, media_type, uploaded_at, "
                "n_pages, text, warnings, extractor_version) VALUES (?,?,?,?,?,?,?,?,?) "
                "RETURNING id", (vid, doc.sha256, doc.filename, doc.media_type, utc_now(),
                                 doc.n_pages, doc.text, json.dumps(list(doc.warnings)),
                                 ex.extractor_version)).fetchall()[0][0]
            self._write_facts(con, did, ex.facts)
            con.execute("INSERT INTO document_pages(document_id, pages) VALUES (?, ?)",
                        (did, json.dumps([p.as_row() for p in doc.pages])))
            version = con.execute("SELECT COUNT(*) FROM documents WHERE vendor_id = ?",
                                  (vid,)).fetchone()[0]
            self._audit(con, user, "upload", vid, vname, doc.filename, None,
                        {"version": version, "sha256": doc.sha256,
                         "extractor_version": ex.extractor_version})
            return AddResult(vid, did, True, vname, version)

    @staticmethod
    def _write_facts(con, document_id: int, facts: dict[str, Fact]) -> None:
        con.executemany(
            "INSERT INTO facts(document_id, fact_id, value, confidence, evidence) "
            "VALUES (?,?,?,?,?)",
            [(document_id, fid, json.dumps(f.value), float(f.confidence),
              json.dumps([e.to_dict() for e in f.evidence])) for fid, f in facts.items()])

    def delete_vendor(self, vendor_id: int, actor: User | None = None) -> None:
        """Remove a vendor with all its documents, facts, overrides and status (audited)."""
        user = require_write(actor, "delete vendors")
        with self._tx() as con:
            row = con.execute("SELECT name, (SELECT COUNT(*) FROM documents WHERE vendor_id = "
                              "v.id), (SELECT COUNT(*) FROM overrides WHERE vendor_id = v.id) "
                              "FROM vendors v WHERE id = ?", (vendor_id,)).fetchone()
            if row is None:
                return
            self._audit(con, user, "delete", vendor_id, row[0], "",
                        {"documents": row[1], "overrides": row[2]}, None)
            con.execute("DELETE FROM vendors WHERE id = ?", (vendor_id,))

    # -- reviewer workflow: overrides, statuses, re-extraction --------------------------------
    def _latest_fact(self, con, vendor_id: int, fact_id: str) -> FactValue:
        row = con.execute(
            "SELECT f.value FROM facts f WHERE f.fact_id = ? AND f.document_id = (SELECT id FROM "
            "documents WHERE vendor_id = ? ORDER BY uploaded_at DESC, id DESC LIMIT 1)",
            (fact_id, vendor_id)).fetchone()
        return json.loads(row[0]) if row else None

    def set_override(self, vendor_id: int, fact_id: str, value: FactValue, note: str,
                     actor: User | None = None) -> Override:
        """Set a reviewer's value for one fact of a vendor (replaces an earlier override)."""
        user = require_write(actor, "override facts")
        value = check_fact_value(fact_id, value)
        note = (note or "").strip()
        if not note:
            raise StoreError("An override needs a note saying why (e.g. where the policy says "
                             "it).")
        with self._tx() as con:
            vname = self._vendor_name(con, vendor_id)
            extracted = self._latest_fact(con, vendor_id, fact_id)
            old = con.execute("SELECT value FROM overrides WHERE vendor_id = ? AND fact_id = ?",
                              (vendor_id, fact_id)).fetchone()
            before = json.loads(old[0]) if old else extracted
            ov = Override(vendor_id, fact_id, value, note, user.name, utc_now(), extracted)
            upsert(con, "overrides", {
                "vendor_id": vendor_id, "fact_id": fact_id, "value": json.dumps(value),
                "note": note, "reviewer": user.name, "created_at": ov.created_at,
                "extracted_value": json.dumps(extracted)}, key=("vendor_id", "fact_id"))
            self._audit(con, user, "override", vendor_id, vname, fact_id, before, value, note)
        return ov

    def clear_override(self, vendor_id: int, fact_id: str, actor: User | None = None,
                       note: str = "") -> bool:
        """Remove an override (the extracted value applies again); False if there was none."""
        user = require_write(actor, "remove overrides")
        with self._tx() as con:
            vname = self._vendor_name(con, vendor_id)
            old = con.execute("SELECT value FROM overrides WHERE vendor_id = ? AND fact_id = ?",
                              (vendor_id, fact_id)).fetchone()
            if old is None:
                return False
            con.execute("DELETE FROM overrides WHERE vendor_id = ? AND fact_id = ?",
                        (vendor_id, fact_id))
            self._audit(con, user, "override-removed", vendor_id, vname, fact_id,
                        json.loads(old[0]), self._latest_fact(con, vendor_id, fact_id), note)
        return True

    def overrides(self, vendor_id: int | None = None) -> dict[int, dict[str, Override]]:
        """Overrides by vendor id, then fact ID."""
        where, args = ("WHERE vendor_id = ?", (vendor_id,)) if vendor_id is not None else ("", ())
        out: dict[int, dict[str, Override]] = {}
        for vid, fid, value, note, reviewer, at, extracted in self._read(
                "SELECT vendor_id, fact_id, value, note, reviewer, created_at, extracted_value "
                f"FROM overrides {where}", args):
            out.setdefault(vid, {})[fid] = Override(vid, fid, json.loads(value), note, reviewer,
                                                    at, json.loads(extracted))
        return out

    def set_review_status(self, vendor_id: int, status: str, comment: str = "",
                          actor: User | None = None) -> VendorReview:
        """Set a vendor's review status (one of `REVIEW_STATUSES`) with a comment."""
        user = require_write(actor, "change review statuses")
        if status not in REVIEW_STATUSES:
            raise StoreError(f"Unknown review status {status!r}; use one of "
                             f"{', '.join(REVIEW_STATUSES)}.")
        comment = (comment or "").strip()
        with self._tx() as con:
            vname = self._vendor_name(con, vendor_id)
            old = con.execute("SELECT status, comment FROM reviews WHERE vendor_id = ?",
                              (vendor_id,)).fetchone()
            rv = VendorReview(vendor_id, status, comment, user.name, utc_now())
            upsert(con, "reviews", {"vendor_id": vendor_id, "status": status, "comment": comment,
                                    "reviewer": user.name, "updated_at": rv.updated_at},
                   key=("vendor_id",))
            self._audit(con, user, "status", vendor_id, vname, "",
                        old[0] if old else REVIEW_STATUSES[0], status, comment)
        return rv

    def reviews(self) -> dict[int, VendorReview]:
        """Review status of every vendor that has one (others are "not reviewed")."""
        return {r[0]: VendorReview(*r) for r in self._read(
            "SELECT vendor_id, status, comment, reviewer, updated_at FROM reviews")}

    def audit_log(self, vendor_id: int | None = None, limit: int | None = None
                  ) -> list[AuditEntry]:
        """The audit trail, newest first (all vendors, or one)."""
        where, args = ("WHERE vendor_id = ?", (vendor_id,)) if vendor_id is not None else ("", ())
        lim = f" LIMIT {int(limit)}" if limit else ""
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]),
                           json.loads(r[9]), r[10]) for r in self._read(
            "SELECT id, at, actor, role, action, vendor_id, vendor, target, before, after, note "
            f"FROM audit {where} ORDER BY id DESC{lim}", args)]

    def replace_facts(self, document_id: int, facts: dict[str, Fact], extractor_version: str,
                      actor: User | None = None) -> int:
        """Re-extraction: swap a document's facts; overrides stay. Returns facts whose value
        changed."""
        user = require_write(actor, "re-extract policies")
        with self._tx() as con:
            row = con.execute("SELECT d.vendor_id, v.name, d.filename, d.extractor_version FROM "
                              "documents d JOIN vendors v ON v.id = d.vendor_id WHERE d.id = ?",
                              (document_id,)).fetchone()
            if row is None:
                raise StoreError(f"There is no document with id {document_id}.")
            old = {fid: json.loads(v) for fid, v in con.execute(
                "SELECT fact_id, value FROM facts WHERE document_id = ?", (document_id,))}
            changed = sorted(fid for fid in set(old) | set(facts)
                             if old.get(fid) != (facts[fid].value if fid in facts else None))
            con.execute("DELETE FROM facts WHERE document_id = ?", (document_id,))
            self._write_facts(con, document_id, facts)
            con.execute("UPDATE documents SET extractor_version = ? WHERE id = ?",
                        (extractor_version, document_id))
            self._audit(con, user, "re-extract", row[0], row[1], row[2],
                        {"extractor_version": row[3]},
                        {"extractor_version": extractor_version, "changed_facts": changed})
        return len(changed)

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as con:
            upsert(con, "meta", {"key": key, "value": value}, key=("key",))

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # -- reads --------------------------------------------------------------------------
    def find_document(self, sha256: str) -> AddResult | None:
        """The stored document with these bytes (any version, any vendor), or None."""
        rows = self._read(_FIND_DOCUMENT, (sha256,))
        return AddResult(rows[0][1], rows[0][0], False, rows[0][2]) if rows else None

    def count_vendors(self) -> int:
        return self._read("SELECT COUNT(*) FROM vendors")[0][0]

    def data_version(self) -> int:
        """The change counter: bumped by every write transaction, whichever process or server
        wrote, so caches over one database are invalidated by the database itself."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (COUNTER,))
        return int(rows[0][0]) if rows else 0

    def records(self, vendor_id: int | None = None,
                apply_overrides: bool = True) -> list[PolicyRecord]:
        """Latest document of every vendor (or of one), with its facts, ordered by vendor name.

        With `apply_overrides`, `facts` holds the reviewers' values (marked `reviewed`, with the
        extracted evidence kept); `extracted` always holds the facts as extracted."""
        where = "WHERE v.id = ?" if vendor_id is not None else ""
        rows = self._read(
            "SELECT v.id, v.name, d.id, d.filename, d.sha256, d.uploaded_at, d.media_type, "
            "d.n_pages, d.extractor_version FROM vendors v JOIN documents d ON d.id = ("
            "  SELECT id FROM documents WHERE vendor_id = v.id ORDER BY uploaded_at DESC, id DESC"
            "  LIMIT 1) " + where + " ORDER BY v.name COLLATE NOCASE",
            (vendor_id,) if vendor_id is not None else ())
        if not rows:
            return []
        doc_ids = [r[2] for r in rows]
        facts: dict[int, dict[str, Fact]] = {d: {} for d in doc_ids}
        marks = ",".join("?" * len(doc_ids))
        for did, fid, value, conf, ev in self._read(
                f"SELECT document_id, fact_id, value, confidence, evidence FROM facts "
                f"WHERE document_id IN ({marks})", tuple(doc_ids)):
            facts[did][fid] = Fact.from_dict(fid, {"value": json.loads(value), "confidence": conf,
                                                   "evidence": json.loads(ev)})
        recs = [PolicyRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], facts[r[2]], r[8])
                for r in rows]
        if not apply_overrides:
            return recs
        overrides = self.overrides(vendor_id)
        reviews = self.reviews()
        for rec in recs:
            rec.extracted = rec.facts
            rec.review = reviews.get(rec.vendor_id)
            rec.overrides = overrides.get(rec.vendor_id, {})
            if rec.overrides:
                rec.facts = dict(rec.extracted)
                for fid, ov in rec.overrides.items():
                    ex = rec.extracted.get(fid)
                    rec.facts[fid] = Fact(fid, ov.value, 1.0, list(ex.evidence) if ex else [],
                                          reviewed=True)
        return recs

    def record(self, vendor_id: int) -> PolicyRecord | None:
        recs = self.records(vendor_id)
        return recs[0] if recs else None

    def document_text(self, document_id: int) -> str:
        rows = self._read("SELECT text FROM documents WHERE id = ?", (document_id,))
        return rows[0][0] if rows else ""

    def versions(self, vendor_id: int) -> list[DocumentVersion]:
        """Every stored policy of a vendor, oldest first (version 1, 2, …)."""
        rows = self._read("SELECT id, filename, sha256, uploaded_at, extractor_version FROM "
                          "documents WHERE vendor_id = ? ORDER BY uploaded_at, id", (vendor_id,))
        return [DocumentVersion(vendor_id, r[0], i, r[1], r[2], r[3], r[4])
                for i, r in enumerate(rows, start=1)]

    def document_facts(self, document_id: int) -> dict[str, Fact]:
        """The facts as extracted from one document (any version; no overrides)."""
        return {fid: Fact.from_dict(fid, {"value": json.loads(v), "confidence": c,
                                          "evidence": json.loads(ev)})
                for fid, v, c, ev in self._read("SELECT fact_id, value, confidence, evidence "
                                                "FROM facts WHERE document_id = ?",
                                                (document_id,))}

    def document(self, document_id: int) -> Document | None:
        """A stored document as read (text and page offsets), for re-extraction."""
        rows = self._read("SELECT d.filename, d.sha256, d.text, d.media_type, d.warnings, "
                          "p.pages FROM documents d LEFT JOIN document_pages p ON "
                          "p.document_id = d.id WHERE d.id = ?", (document_id,))
        if not rows:
            return None
        name, sha, text, media, warnings, pages = rows[0]
        # Documents stored before page offsets were kept count as one page.
        spans = tuple(Page(*p) for p in json.loads(pages)) if pages else (Page(1, 0, len(text)),)
        return Document(name, sha, text, spans, media, tuple(json.loads(warnings)))
