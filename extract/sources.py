"""Where URL vendors' policies come from: source URLs, fetch and check times, "last seen".

    sources = Sources(store)      # creates its tables in the store's file if missing
    sources.record_fetch(vendor_id, document_id, page, changed=False, actor=user)
    sources.record_check(vendor_id, "unchanged", "", page, actor=user)
    sources.all(viewer="alice")   # [WatchedSource], with `unseen_change` for alice
    sources.mark_seen(vendor_id, "alice")

Three tables beside the store's own, created on first use (`CREATE TABLE IF NOT EXISTS`), so a
database made before URLs existed upgrades in place the first time it is opened with this code:

    sources           one row per URL vendor: its URL, when it was added, last checked, last
                      changed, the last check's status and message, the server's ETag and
                      Last-Modified (sent back on the next check, which may then answer 304)
    document_sources  the URL and fetch time of every document that was fetched
    source_views      per reviewer and vendor, when they last opened the vendor's page

Rows go with their vendor or document (foreign keys, ON DELETE CASCADE). Writes run in the
store's transactions and are audited like the store's own ("source", "recheck"); marking a vendor
seen is a reviewer's reading, not a change to the data, and is not audited.
"""
from __future__ import annotations

from .auth import require_write
from .db import upsert
from .fetch import Fetched
from .model import User, WatchedSource, utc_now
from .schema import ensure_tables

__all__ = ["Sources", "SCHEMA"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    vendor_id       INTEGER PRIMARY KEY REFERENCES vendors(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    last_checked_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL DEFAULT '',
    last_status     TEXT NOT NULL DEFAULT 'added',
    last_message    TEXT NOT NULL DEFAULT '',
    etag            TEXT NOT NULL DEFAULT '',
    last_modified   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS document_sources (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    fetched_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source_views (
    vendor_id INTEGER NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    viewer    TEXT NOT NULL,
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (vendor_id, viewer)
);
"""

_SELECT = ("SELECT s.vendor_id, v.name, s.url, s.added_at, s.last_checked_at, s.last_changed_at,"
           " s.last_status, s.last_message, s.etag, s.last_modified, "
           "CASE WHEN s.last_changed_at > COALESCE(w.seen_at, '') THEN 1 ELSE 0 END "
           "FROM sources s JOIN vendors v ON v.id = s.vendor_id "
           "LEFT JOIN source_views w ON w.vendor_id = s.vendor_id AND w.viewer = ? ")


_READY: set[tuple] = set()  # databases whose tables this process has made sure of


def _now() -> str:
    # Microseconds: a check and the reviewer's next look can fall in the same second.
    return utc_now("microseconds")


class Sources:
    """The URL side of a `Store` (same database, same transactions)."""

    def __init__(self, store):
        self.store = store
        key = store.db.identity()  # a new file (another inode): new tables
        if key in _READY:  # pages make one per run: not even a read just to find the tables
            return
        ensure_tables(store, {"sources", "document_sources", "source_views"}, SCHEMA)
        _READY.add(key)

    # -- writes -------------------------------------------------------------------------
    def record_fetch(self, vendor_id: int, document_id: int, page: Fetched, changed: bool,
                     actor: User | None = None) -> None:
        """A fetched document was stored (first add, or a new version found by a re-check):
        keep its URL and fetch time, and make the URL the vendor's watched source."""
        user = require_write(actor, "add policies by URL")
        status = "changed" if changed else "added"
        with self.store._tx() as con:  # noqa: SLF001
            vname = self.store._vendor_name(con, vendor_id)  # noqa: SLF001
            upsert(con, "document_sources", {"document_id": document_id, "url": page.url,
                                             "fetched_at": page.fetched_at},
                   key=("document_id",))
            old = con.execute("SELECT url, added_at FROM sources WHERE vendor_id = ?",
                              (vendor_id,)).fetchone()
            upsert(con, "sources", {
                "vendor_id": vendor_id, "url": page.url,
                "added_at": old[1] if old else _now(), "last_checked_at": _now(),
                "last_changed_at": _now() if changed else self._changed_at(con, vendor_id),
                "last_status": status, "last_message": "", "etag": page.etag,
                "last_modified": page.last_modified}, key=("vendor_id",))
            self.store._audit(con, user, "source", vendor_id, vname, page.url,  # noqa: SLF001
                              old[0] if old else None, {"url": page.url, "status": status,
                                                        "document_id": document_id})

    @staticmethod
    def _changed_at(con, vendor_id: int) -> str:
        row = con.execute("SELECT last_changed_at FROM sources WHERE vendor_id = ?",
                          (vendor_id,)).fetchone()
        return row[0] if row else ""

    def record_check(self, vendor_id: int, status: str, message: str = "",
                     page: Fetched | None = None, actor: User | None = None) -> None:
        """A re-check that stored nothing: "unchanged" (with the server's validators) or
        "failed" (with the reason). Only the check time, status and message change."""
        user = require_write(actor, "re-check policies")
        with self.store._tx() as con:  # noqa: SLF001
            vname = self.store._vendor_name(con, vendor_id)  # noqa: SLF001
            con.execute("UPDATE sources SET last_checked_at = ?, last_status = ?, "
                        "last_message = ? WHERE vendor_id = ?",
                        (_now(), status, message, vendor_id))
            if page is not None and (page.etag or page.last_modified):
                con.execute("UPDATE sources SET etag = ?, last_modified = ? WHERE vendor_id = ?",
                            (page.etag, page.last_modified, vendor_id))
            self.store._audit(con, user, "recheck", vendor_id, vname,  # noqa: SLF001
                              page.url if page else "", None, status, message)

    def mark_seen(self, vendor_id: int, viewer: str) -> None:
        """`viewer` has looked at the vendor now: its changes so far are no longer news."""
        with self.store._tx() as con:  # noqa: SLF001
            con.execute("INSERT INTO source_views(vendor_id, viewer, seen_at) "
                        "SELECT id, ?, ? FROM vendors WHERE id = ? ON CONFLICT(vendor_id, viewer) "
                        "DO UPDATE SET seen_at = excluded.seen_at", (viewer, _now(), vendor_id))

    # -- reads --------------------------------------------------------------------------
    def _rows(self, where: str, args: tuple, viewer: str) -> list[WatchedSource]:
        rows = self.store._read(_SELECT + where + " ORDER BY v.name COLLATE NOCASE",  # noqa
                                (viewer, *args))
        return [WatchedSource(*r[:10], unseen_change=bool(r[10])) for r in rows]

    def all(self, viewer: str = "") -> list[WatchedSource]:
        """Every URL vendor, by name; `unseen_change` is from `viewer`'s point of view."""
        return self._rows("", (), viewer)

    def get(self, vendor_id: int, viewer: str = "") -> WatchedSource | None:
        rows = self._rows("WHERE s.vendor_id = ?", (vendor_id,), viewer)
        return rows[0] if rows else None

    def document_source(self, document_id: int) -> tuple[str, str] | None:
        """(URL, fetch time) of a fetched document; None for an uploaded file."""
        rows = self.store._read("SELECT url, fetched_at FROM document_sources "  # noqa: SLF001
                                "WHERE document_id = ?", (document_id,))
        return (rows[0][0], rows[0][1]) if rows else None
