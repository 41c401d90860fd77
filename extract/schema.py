"""The store's tables, their schema version, and the ordered migrations that reach it.

`meta.schema_version` holds the version a database is at; `upgrade(db)` runs the missing
migrations in order, in one write transaction, and records the new version. A SQLite file made
before versions existed has no `schema_version` and counts as version 0: migration 1 creates
only what is missing (`CREATE ... IF NOT EXISTS`), so its data is kept as it is. A database at a
newer version than this code knows is refused rather than written by older code.

Migrations:
  1  vendors, documents, facts, pages, overrides, reviews, audit, meta
  2  the change counter `meta.data_version`, bumped by every write transaction (`BUMP`)

The tables of other modules (sources, batches, sign-in attempts, embeddings) are created by those
modules on first use; `ensure_tables` is their shared, read-first way of doing it.
"""
from __future__ import annotations

from .db import split_statements, upsert
from .errors import StoreError

__all__ = ["STORE_DDL", "MIGRATIONS", "SCHEMA_VERSION", "upgrade", "schema_version",
           "ensure_tables", "BUMP", "COUNTER"]

STORE_DDL = """
CREATE TABLE IF NOT EXISTS vendors (
    id          {id},
    name        TEXT NOT NULL UNIQUE{nocase},
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id                {id},
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
    confidence  {float} NOT NULL,
    evidence    TEXT NOT NULL,
    PRIMARY KEY (document_id, fact_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_pages (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    pages       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    vendor_id       INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    fact_id         TEXT NOT NULL,
    value           TEXT NOT NULL,
    note            TEXT NOT NULL,
    reviewer        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    extracted_value TEXT NOT NULL DEFAULT 'null',
    PRIMARY KEY (vendor_id, fact_id)
);
CREATE TABLE IF NOT EXISTS reviews (
    vendor_id  INTEGER PRIMARY KEY REFERENCES vendors(id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    comment    TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id        {id},
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    vendor_id INTEGER,
    vendor    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    TEXT NOT NULL,
    after     TEXT NOT NULL,
    note      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_vendor ON audit(vendor_id, id)
"""

COUNTER = "data_version"
BUMP = ("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) "
        f"WHERE key = '{COUNTER}'")


def _v1(con, db) -> None:
    for statement in split_statements(db.ddl(STORE_DDL)):
        con.execute(statement)
    if db.dialect == "postgresql":  # SQLite's NOCASE column: one vendor whatever the case
        con.execute("CREATE UNIQUE INDEX IF NOT EXISTS vendors_name_nocase "
                    "ON vendors (lower(name))")


def _v2(con, db) -> None:
    upsert(con, "meta", {"key": COUNTER, "value": "0"}, key=("key",), update=())


MIGRATIONS = ((1, "the store's tables", _v1), (2, "the change counter", _v2))
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(db, con=None) -> int:
    """The version a database is at (0: made before versions, or empty)."""
    if "meta" not in db.tables(con):
        return 0
    sql = "SELECT value FROM meta WHERE key = 'schema_version'"
    rows = con.execute(sql).fetchall() if con is not None else db.read(sql)
    return int(rows[0][0]) if rows else 0


def _newer(db, version: int) -> StoreError:
    return StoreError(f"The database {db.name} is at schema version {version}, newer than this "
                      f"program knows ({SCHEMA_VERSION}); update the program.")


def upgrade(db) -> int:
    """Bring the database to `SCHEMA_VERSION`; returns the version it was at. A read first, so
    an up-to-date database costs no write lock."""
    seen = schema_version(db)
    if seen == SCHEMA_VERSION:
        return seen
    if seen > SCHEMA_VERSION:
        raise _newer(db, seen)
    with db.tx() as con:
        seen = schema_version(db, con)  # another process may have upgraded meanwhile
        if seen > SCHEMA_VERSION:
            raise _newer(db, seen)
        for number, _what, step in MIGRATIONS:
            if number > seen:
                step(con, db)
        if seen < SCHEMA_VERSION:
            upsert(con, "meta", {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                   key=("key",))
    return seen


def ensure_tables(store, names: set[str], script: str) -> None:
    """Create a module's tables in the store's database if any is missing: a read first (no
    write lock when they exist), then the statements of `script` (`db.ddl` types) in one
    transaction that does not count as a change of data."""
    db = store.db
    if names <= db.tables():
        return
    with store._tx(changes=False) as con:  # noqa: SLF001 - the store's own plumbing
        for statement in split_statements(db.ddl(script)):
            con.execute(statement)
