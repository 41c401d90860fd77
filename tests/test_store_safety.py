"""Store safety: a killed upload leaves nothing half-written; concurrent uploads both land;
a locked or damaged database gives a clear message; stored data never changes on failure."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from extract.errors import StoreError
from extract.store import Store
from tests.core_fixtures import ROOT
from tests.test_store_export import extraction


def _snapshot(store: Store):
    return [(r.vendor, r.sha256, {k: (f.value, f.confidence) for k, f in r.facts.items()})
            for r in store.records()]


def test_wal_mode(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_upload_killed_mid_write_leaves_no_half_written_vendor(db_target, tmp_path):
    store = Store(db_target)
    store.add(extraction())
    before = _snapshot(store)
    ready = tmp_path / "ready"
    # A child process stores a second vendor but stalls inside the transaction, after the
    # vendor and document rows are written and before the facts; then it is killed with -9.
    script = textwrap.dedent(f"""
        import time, pathlib
        from extract.store import Store
        from tests.test_store_export import extraction
        def stall(con, document_id, facts):
            pathlib.Path({str(ready)!r}).write_text("x")
            time.sleep(60)
        Store._write_facts = staticmethod(stall)
        Store({str(db_target)!r}).add(extraction(sha="c" * 64, vendor="Half Written"))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "child exited before reaching the write"
            assert time.monotonic() < deadline, "child never reached the write"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    after = Store(db_target)
    assert _snapshot(after) == before
    assert [r.vendor for r in after.records()] == ["Acme"]
    assert after._read("SELECT COUNT(*) FROM documents")[0][0] == 1
    assert after._read("SELECT COUNT(*) FROM vendors")[0][0] == 1
    if after.db.dialect == "sqlite":
        con = sqlite3.connect(db_target)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The killed writer's lock is gone: the next upload is not blocked by it.
    assert Store(db_target, timeout=5).add(extraction(sha="d" * 64, vendor="Next")).created


def add_at_once(db_target, vendors: list[str]) -> Store:
    """`Store.add` from one thread per vendor name, each with its own `Store` (as sessions
    have), all at once; no writer may fail. Returns a store to look at the result."""
    Store(db_target)
    errors = []

    def upload(i: int, vendor: str) -> None:
        try:
            Store(db_target).add(extraction(sha=f"{i:064x}", vendor=vendor))
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i, v)) for i, v in enumerate(vendors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    return Store(db_target)


def test_two_sessions_uploading_at_once_both_succeed(db_target):
    store = add_at_once(db_target, [f"Vendor {i}" for i in range(8)])
    assert store.count_vendors() == 8
    assert sorted(v.number for r in store.records() for v in store.versions(r.vendor_id)) \
        == [1] * 8


def test_two_writers_of_one_new_vendor_make_one_vendor_with_two_versions(db_target):
    store = add_at_once(db_target, ["Same Vendor", "Same Vendor"])
    (rec,) = store.records()
    assert [v.number for v in store.versions(rec.vendor_id)] == [1, 2]
    assert sorted(e.after["version"] for e in store.audit_log() if e.action == "upload") == [1, 2]


def test_locked_database_gives_a_clear_message_and_changes_nothing(tmp_path):
    db = tmp_path / "db.sqlite"
    store = Store(db)
    store.add(extraction())
    before = _snapshot(store)
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            Store(db, timeout=0.2).add(extraction(sha="d" * 64, vendor="Blocked"))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert _snapshot(Store(db)) == before


def test_damaged_database_is_reported_not_overwritten(tmp_path):
    db = tmp_path / "db.sqlite"
    junk = b"SQLite format 3\x00" + os.urandom(4000)
    db.write_bytes(junk)
    with pytest.raises(StoreError):
        Store(db).records()
    assert db.read_bytes() == junk
