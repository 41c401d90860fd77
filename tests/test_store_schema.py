"""Schema versions and their upgrade path, the change counter, and copying a SQLite store into
PostgreSQL (`python -m extract.store_copy`)."""
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from extract.cache import EmbeddingCache
from extract.errors import StoreError
from extract.model import User
from extract.schema import SCHEMA_VERSION, schema_version
from extract.store import Store
from extract.throttle import SignInThrottle
from tests.core_fixtures import ROOT, run_python
from tests.test_store_export import extraction

ANN = User("ann", "reviewer")


def test_a_file_from_before_versions_is_upgraded_in_place_and_keeps_its_data(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as con:  # as an earlier release left it: no schema_version
        con.executescript(
            "CREATE TABLE vendors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE "
            "NOCASE, created_at TEXT NOT NULL); CREATE TABLE meta (key TEXT PRIMARY KEY, value "
            "TEXT NOT NULL); INSERT INTO vendors VALUES (1, 'Old Co', '2024-01-01');")
    store = Store(db)
    assert schema_version(store.db) == SCHEMA_VERSION
    assert store.count_vendors() == 1 and store.data_version() == 0
    store.add(extraction(vendor="OLD CO"))  # the NOCASE column still makes one vendor
    assert store.count_vendors() == 1 and store.data_version() == 1


def test_a_database_from_a_newer_program_is_refused_untouched(db_target):
    Store(db_target).set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this program"):
        Store(db_target)


def test_every_write_bumps_the_counter_another_server_sees(db_target):
    one, two = Store(db_target), Store(db_target)  # two app servers over one database
    seen = two.data_version()
    vid = one.add(extraction()).vendor_id
    assert two.data_version() > seen
    seen = two.data_version()
    one.set_review_status(vid, "approved", "ok", actor=ANN)
    assert two.data_version() == seen + 1


def _fill(path) -> Store:
    store = Store(path)
    a = store.add(extraction(vendor="Acme"), actor=ANN)
    store.add(extraction(sha="b" * 64, vendor="Acme", evidence="We never sell your data."))
    b = store.add(extraction(sha="c" * 64, vendor="Beta"))
    store.set_override(a.vendor_id, "sharing.no_sale", False, "section 4 says they do")
    store.set_review_status(b.vendor_id, "in review", "asked for the DPA", actor=ANN)
    SignInThrottle(store).failed("mallory", "ip 127.0.0.1")
    cache = EmbeddingCache(path)
    cache.put_many({cache.key("a clause"): np.arange(384, dtype=np.float32)})
    return store


def _everything(store: Store):
    recs = store.records()
    return (recs, [store.versions(r.vendor_id) for r in recs],
            [store.document(v.document_id) for r in recs for v in store.versions(r.vendor_id)],
            [store.document_facts(v.document_id) for r in recs
             for v in store.versions(r.vendor_id)],
            store.audit_log(), store.overrides(), store.reviews())


def test_a_sqlite_store_is_copied_into_postgresql_whole(tmp_path, pg_url):
    src = _fill(tmp_path / "privacy.db")
    out = subprocess.run([sys.executable, "-m", "extract.store_copy", str(src.target), pg_url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    dst = Store(pg_url)
    for table in ("vendors", "documents", "facts", "document_pages", "overrides", "reviews",
                  "audit", "sign_in_attempts", "embeddings"):
        count = f"SELECT COUNT(*) FROM {table}"
        assert dst._read(count) == src._read(count), table
        assert f"{table} " in out.stdout
    assert _everything(dst) == _everything(src)
    assert dst.data_version() >= src.data_version()
    cache = EmbeddingCache(pg_url)
    (vec,) = cache.get_many([cache.key("a clause")]).values()
    assert np.array_equal(vec, np.arange(384, dtype=np.float32))
    # New rows continue after the copied ids.
    new = dst.add(extraction(sha="d" * 64, vendor="Gamma"))
    assert new.created and new.vendor_id > max(r.vendor_id for r in src.records())
    assert dst.audit_log()[0].id > src.audit_log()[0].id


def test_copying_into_a_database_that_holds_a_store_is_refused(tmp_path, pg_url):
    src = _fill(tmp_path / "privacy.db")
    Store(pg_url).add(extraction(vendor="Already here"))
    out = subprocess.run([sys.executable, "-m", "extract.store_copy", str(src.target), pg_url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "already holds a store" in out.stderr
    assert [r.vendor for r in Store(pg_url).records()] == ["Already here"]


def test_a_postgresql_url_without_the_driver_says_how_to_install(tmp_path):
    script = ("import sys; sys.modules['psycopg'] = None\n"
              "from extract.store import Store\n"
              "try:\n    Store('postgresql://u@127.0.0.1:9/x')\n"
              "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = run_python(script, timeout=60)
    assert "StoreError" in out.stdout and "requirements-scale.txt" in out.stdout


def test_the_sqlite_path_never_imports_the_postgresql_driver(tmp_path):
    script = (f"from extract.store import Store; Store({str(tmp_path / 'p.db')!r}).records()\n"
              "import sys; print('psycopg' in sys.modules)")
    out = run_python(script, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
