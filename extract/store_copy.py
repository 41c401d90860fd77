"""Copy a SQLite store into PostgreSQL: `python -m extract.store_copy SQLITE_PATH postgresql://…`.

Every table the store and its modules keep (vendors, documents, facts, pages, overrides, reviews,
audit, meta, URL sources, batches, sign-in attempts, the embedding cache) is copied with its ids,
in one transaction: an error leaves the destination as it was. The source is brought to the
current schema version first (its data is kept). The destination must hold no vendors and no
audit entries, so a copy never mixes two stores. Prints the rows copied per table.
"""
from __future__ import annotations

import argparse
import sys

from .errors import ExtractError, StoreError
from .store import Store

__all__ = ["copy_store", "TABLES", "main"]

# Parents before children (foreign keys); tables missing from the source are skipped.
TABLES = ("vendors", "documents", "facts", "document_pages", "overrides", "reviews", "audit",
          "meta", "sources", "document_sources", "source_views", "sign_in_attempts", "batches",
          "batch_items", "embeddings")
_IDENTITY = ("vendors", "documents", "audit", "batches")  # ids PostgreSQL numbers itself
_CHUNK = 1000


def _prepare(dst: Store) -> None:
    """Every module's tables in the destination (they are made on first use)."""
    from . import batches
    from .cache import EmbeddingCache
    from .sources import Sources
    from .throttle import SignInThrottle

    Sources(dst)
    SignInThrottle(dst)
    batches._tables(dst)  # noqa: SLF001 - same package
    EmbeddingCache(dst.target)._db()  # noqa: SLF001


def _columns(store: Store, table: str) -> list[str]:
    if store.db.dialect == "sqlite":
        return [r[1] for r in store._read(f"PRAGMA table_info({table})")]
    return [r[0] for r in store._read(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]


def _copy_table(src: Store, dst_con, dst: Store, table: str) -> int:
    cols = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
    names = ", ".join(cols)
    insert = f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(cols))})"
    if table == "meta":  # the destination's schema version stays; the rest is the source's
        insert += " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
    where = " WHERE key <> 'schema_version'" if table == "meta" else ""
    n = 0
    with src.db.connect() as con:
        cur = con.execute(f"SELECT {names} FROM {table}{where}")
        while rows := cur.fetchmany(_CHUNK):
            dst_con.executemany(insert, rows)
            n += len(rows)
    return n


def copy_store(source, target) -> dict[str, int]:
    """Copy the SQLite store at `source` into the (empty) PostgreSQL store at `target`;
    returns the rows copied per table."""
    src, dst = Store(source), Store(target)
    if src.db.dialect != "sqlite" or dst.db.dialect != "postgresql":
        raise StoreError("Copy from a SQLite file into a postgresql:// database.")
    _prepare(dst)
    if dst.count_vendors() or dst._read("SELECT COUNT(*) FROM audit")[0][0]:
        raise StoreError(f"The database {dst.db.name} already holds a store; copy into an "
                         "empty database.")
    present = src.db.tables()
    counts: dict[str, int] = {}
    with dst._tx() as con:  # noqa: SLF001 - one transaction: all or nothing
        for table in TABLES:
            if table in present:
                counts[table] = _copy_table(src, con, dst, table)
        for table in _IDENTITY:  # new rows continue after the copied ids
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.store_copy", description=__doc__.split(
        "\n")[0])
    ap.add_argument("source", help="the SQLite store file")
    ap.add_argument("target", help="postgresql://user@host:port/database (empty)")
    args = ap.parse_args(argv)
    try:
        counts = copy_store(args.source, args.target)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, n in counts.items():
        print(f"{table:18} {n:>8} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
