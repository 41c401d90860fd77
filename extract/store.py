"""The embedded SQLite store: vendors, their policy documents, and the facts extracted from them.

The database file defaults to `data/privacy.db` and is overridden by the `PRIVACY_DB`
environment variable. It runs in WAL mode; every write is one transaction, so a crash mid-way
leaves either the whole document or nothing. A document is identified by the SHA-256 of its
bytes: storing the same file twice returns the existing record instead of a duplicate.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .errors import StoreError
from .model import Extraction, Fact, PolicyRecord

__all__ = ["Store", "AddResult", "default_db_path", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vendors (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id                INTEGER PRIMARY KEY,
    vendor_id         INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    sha256            TEXT NOT NULL UNIQUE,
    filename          TEXT NOT NULL,
    media_type        TEXT NOT NULL,
    uploaded_at       TEXT NOT NULL,
    n_pages           INTEGER NOT NULL,
    text              TEXT NOT NULL,
    warnings          TEXT NOT NULL DEFAULT '[]',
    extractor_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS documents_vendor ON documents(vendor_id, uploaded_at);
CREATE TABLE IF NOT EXISTS facts (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    fact_id     TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  REAL NOT NULL,
    evidence    TEXT NOT NULL,
    PRIMARY KEY (document_id, fact_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_db_path() -> Path:
    """`$PRIVACY_DB` if set, else `data/privacy.db` in the project."""
    return Path(os.environ.get("PRIVACY_DB") or DATA_DIR / "privacy.db")


@dataclass(frozen=True)
class AddResult:
    """What storing an extraction did: the ids, and whether it was new or already stored."""

    vendor_id: int
    document_id: int
    created: bool
    vendor: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """Vendors, documents and facts in one SQLite file."""

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 10.0):
        self.path = Path(path) if path else default_db_path()
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain(exc)) from exc
        except OSError as exc:
            raise StoreError(f"Cannot create the database at {self.path}: {exc}.") from exc

    # -- plumbing -----------------------------------------------------------------------
    def _explain(self, exc: Exception) -> str:
        msg = str(exc).lower()
        if "locked" in msg or "busy" in msg:
            return (f"The database {self.path.name} is locked by another process; "
                    "try again in a moment.")
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return (f"The database file {self.path} is damaged or is not a database. "
                    "Move it aside (or set PRIVACY_DB to another file) and restart.")
        return f"Database error in {self.path.name}: {exc}."

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA synchronous=NORMAL")
            yield con
        finally:
            con.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._connect() as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain(exc)) from exc

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            with self._connect() as con:
                return con.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._explain(exc)) from exc

    # -- writes -------------------------------------------------------------------------
    def add(self, ex: Extraction, vendor: str | None = None) -> AddResult:
        """Store an extraction under its vendor (created if new). Same bytes → existing record."""
        name = (vendor or ex.vendor).strip() or "Unnamed vendor"
        with self._tx() as con:
            row = con.execute("SELECT d.id, d.vendor_id, v.name FROM documents d JOIN vendors v "
                              "ON v.id = d.vendor_id WHERE d.sha256 = ?", (ex.sha256,)).fetchone()
            if row:
                return AddResult(row[1], row[0], False, row[2])
            con.execute("INSERT OR IGNORE INTO vendors(name, created_at) VALUES (?, ?)",
                        (name, _now()))
            vid, vname = con.execute("SELECT id, name FROM vendors WHERE name = ?",
                                     (name,)).fetchone()
            doc = ex.document
            cur = con.execute(
                "INSERT INTO documents(vendor_id, sha256, filename, media_type, uploaded_at, "
                "n_pages, text, warnings, extractor_version) VALUES (?,?,?,?,?,?,?,?,?)",
                (vid, doc.sha256, doc.filename, doc.media_type, _now(), doc.n_pages, doc.text,
                 json.dumps(list(doc.warnings)), ex.extractor_version))
            did = cur.lastrowid
            con.executemany(
                "INSERT INTO facts(document_id, fact_id, value, confidence, evidence) "
                "VALUES (?,?,?,?,?)",
                [(did, fid, json.dumps(f.value), float(f.confidence),
                  json.dumps([e.to_dict() for e in f.evidence])) for fid, f in ex.facts.items()])
            return AddResult(vid, did, True, vname)

    def delete_vendor(self, vendor_id: int) -> None:
        """Remove a vendor with all its documents and facts."""
        with self._tx() as con:
            con.execute("DELETE FROM vendors WHERE id = ?", (vendor_id,))

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as con:
            con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # -- reads --------------------------------------------------------------------------
    def has_document(self, sha256: str) -> bool:
        return bool(self._read("SELECT 1 FROM documents WHERE sha256 = ?", (sha256,)))

    def count_vendors(self) -> int:
        return self._read("SELECT COUNT(*) FROM vendors")[0][0]

    def records(self, vendor_id: int | None = None) -> list[PolicyRecord]:
        """Latest document of every vendor (or of one), with its facts, ordered by vendor name."""
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
        return [PolicyRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], facts[r[2]], r[8])
                for r in rows]

    def record(self, vendor_id: int) -> PolicyRecord | None:
        recs = self.records(vendor_id)
        return recs[0] if recs else None

    def document_text(self, document_id: int) -> str:
        rows = self._read("SELECT text FROM documents WHERE id = ?", (document_id,))
        return rows[0][0] if rows else ""
