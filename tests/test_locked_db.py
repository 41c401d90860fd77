"""A locked or broken database is a clear message on every page, never a traceback, and no
message shows an absolute server path (issue 15, item 6)."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest

from extract.errors import StoreError
from extract.store import Store
from tests.test_app import POLICY_TXT, open_page, plain, server_page_mode, texts  # noqa: F401

LOCKED = "is locked by another process"


@pytest.fixture
def quick_store(monkeypatch):
    """Stores give up on a lock after 0.3 s instead of 10 s (the test would only be slower)."""
    monkeypatch.setattr(Store.__init__, "__defaults__", (None, 0.3))


@contextmanager
def locked(db: Path, readers_too: bool = True):
    """Another connection holds the database: BEGIN EXCLUSIVE, as a backup tool or a second app
    would. In WAL mode readers still get in unless that connection also uses the exclusive
    locking mode and has written (`readers_too`)."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        if readers_too:
            con.execute("PRAGMA locking_mode=EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        if readers_too:
            con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('lock-test', '1')")
        yield
    finally:
        con.close()


def assert_message_not_traceback(at, db: Path) -> None:
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.error]
    assert any(LOCKED in e and db.name in e for e in errors), errors
    for text in texts(at) + [e.label for e in at.expander]:
        assert str(db.parent) not in plain(text), text


@pytest.mark.parametrize("page", ["upload", "audit"])
def test_a_locked_database_is_a_message_on_the_page(tmp_db, quick_store, page):
    at = open_page(page)  # the store is opened (and seeded) before the lock
    with locked(tmp_db):
        at.run()
    assert_message_not_traceback(at, tmp_db)


def test_processing_an_upload_while_the_database_is_locked(tmp_db, quick_store):
    at = open_page("upload")
    at.file_uploader(key="uploader").set_value([("acme.txt", POLICY_TXT, "text/plain")])
    at.run()
    with locked(tmp_db, readers_too=False):  # reads work, the batch cannot be stored
        at.button(key="process").click().run()
    assert_message_not_traceback(at, tmp_db)
    assert Store(tmp_db).count_vendors() == 5


def test_store_messages_name_the_file_never_its_folder(tmp_path):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as err:
        Store(damaged)
    assert "damaged.db" in str(err.value) and str(tmp_path) not in str(err.value)

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        Store(blocker / "privacy.db")  # its folder cannot be created
    assert "privacy.db" in str(err.value) and str(tmp_path) not in str(err.value)

    store = Store(tmp_path / "busy.db", timeout=0.3)
    with locked(tmp_path / "busy.db"):
        with pytest.raises(StoreError) as err:
            store.count_vendors()
    assert LOCKED in str(err.value) and str(tmp_path) not in str(err.value)
