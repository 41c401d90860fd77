"""The embedding cache (extract/cache.py): hits are exact, keys are specific, concurrent
writers are safe, and a broken cache never fails an upload (it falls back to encoding)."""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import sqlite3

import numpy as np
import pytest

from extract.cache import CachedEncoder, EmbeddingCache
from extract.embed import DIM, canonical


class FakeEncoder:
    """Deterministic text → unit vector without the model; counts what it encodes."""

    def __init__(self, salt: str = ""):
        self.salt = salt
        self.calls: list[list[str]] = []

    def transform(self, X):
        texts = list(X)
        self.calls.append(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int(hashlib.sha256((self.salt + canonical(t)).encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    @property
    def encoded(self) -> list[str]:
        return [t for c in self.calls for t in c]


TEXTS = ["We encrypt data in transit using TLS.", "You may request access to your data.",
         "We keep logs for 30 days.", "We encrypt data in transit using TLS."]


def test_hit_returns_identical_vectors_and_skips_the_encoder(db_target):
    cache = EmbeddingCache(db_target)
    enc = FakeEncoder()
    first = CachedEncoder(enc, cache).transform(TEXTS)
    assert first.dtype == np.float32 and first.shape == (4, DIM)
    assert enc.encoded == TEXTS[:3]  # the duplicate is encoded once
    enc2 = FakeEncoder()
    second = CachedEncoder(enc2, EmbeddingCache(db_target)).transform(TEXTS)
    assert enc2.calls == []  # all hits, from a fresh cache object on the same file
    assert np.array_equal(first, second)  # bit for bit
    assert len(cache) == 3


def test_whitespace_variants_share_an_entry(db_target):
    cache = EmbeddingCache(db_target)
    enc = FakeEncoder()
    a = CachedEncoder(enc, cache).transform(["We keep logs\nfor 30 days. "])
    b = CachedEncoder(enc, cache).transform(["We  keep logs for 30 days."])
    assert np.array_equal(a, b) and len(enc.calls) == 1


def test_different_text_or_model_sha_is_a_miss(db_target):
    path = db_target
    CachedEncoder(FakeEncoder(), EmbeddingCache(path)).transform(TEXTS)
    enc = FakeEncoder()
    CachedEncoder(enc, EmbeddingCache(path)).transform(["We keep logs for 31 days."])
    assert enc.encoded == ["We keep logs for 31 days."]
    other = FakeEncoder(salt="other model")
    vec = CachedEncoder(other, EmbeddingCache(path, model_sha="0" * 64)).transform(TEXTS[:1])
    assert other.encoded == TEXTS[:1]  # another model: nothing reused
    assert np.array_equal(vec, other.transform(TEXTS[:1]))
    assert EmbeddingCache(path).key("x") != EmbeddingCache(path, model_sha="0" * 64).key("x")


def test_cache_lives_in_the_store_file_and_follows_privacy_db(tmp_db):
    from extract.store import Store

    Store(tmp_db)  # the store's own tables, then the cache's beside them
    CachedEncoder(FakeEncoder(), EmbeddingCache()).transform(TEXTS)
    with sqlite3.connect(tmp_db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        cols = [r[1] for r in con.execute("PRAGMA table_info(embeddings)")]
    assert {"vendors", "documents", "facts", "embeddings"} <= tables
    assert mode == "wal" and cols == ["key", "vec"]


def test_size_is_bounded_oldest_first(db_target):
    cache = EmbeddingCache(db_target, max_rows=5)
    enc = CachedEncoder(FakeEncoder(), cache)
    for i in range(12):
        enc.transform([f"sentence number {i}"])
    assert len(cache) == 5
    assert set(cache.get_many([cache.key(f"sentence number {i}") for i in range(12)])) == \
        {cache.key(f"sentence number {i}") for i in range(7, 12)}


def _writer(path: str, worker: int, n: int) -> None:
    enc = CachedEncoder(FakeEncoder(), EmbeddingCache(path, timeout=30))
    for i in range(n):
        # overlapping texts across workers: the same keys are written concurrently
        enc.transform([f"shared clause {i}", f"clause {i} of worker {worker}"])


def test_concurrent_writers(db_target):
    path = str(db_target)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 40)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    cache = EmbeddingCache(path)
    assert len(cache) == 40 + 4 * 40
    ref = FakeEncoder()
    texts = [f"shared clause {i}" for i in range(40)] + ["clause 7 of worker 3"]
    enc = FakeEncoder()
    assert np.array_equal(CachedEncoder(enc, cache).transform(texts), ref.transform(texts))
    assert enc.calls == [] and cache.errors == 0


@pytest.mark.parametrize("damage", ["garbage rows", "foreign table", "not a database"])
def test_corrupt_cache_falls_back_to_encoding(tmp_path, damage, caplog):
    path = tmp_path / "c.db"
    cache = EmbeddingCache(path)
    CachedEncoder(FakeEncoder(), cache).transform(TEXTS)
    if damage == "garbage rows":
        with sqlite3.connect(path) as con:
            con.execute("UPDATE embeddings SET vec = ?", (b"\x00\x01broken",))
            con.execute("UPDATE embeddings SET vec = ? WHERE rowid = 1",
                        (np.full(DIM, np.nan, dtype="<f4").tobytes(),))
    elif damage == "foreign table":
        with sqlite3.connect(path) as con:
            con.execute("DROP TABLE embeddings")
            con.execute("CREATE TABLE embeddings (id INTEGER, blob TEXT)")
    else:
        for p in tmp_path.iterdir():
            p.unlink()
        path.write_bytes(b"this is not an SQLite file" * 100)
    enc = FakeEncoder()
    out = CachedEncoder(enc, EmbeddingCache(path)).transform(TEXTS)
    assert np.array_equal(out, FakeEncoder().transform(TEXTS))  # correct vectors regardless
    assert enc.encoded == TEXTS[:3]  # everything was encoded again
    if damage == "garbage rows":  # damaged rows are overwritten: next time they hit again
        enc2 = FakeEncoder()
        CachedEncoder(enc2, EmbeddingCache(path)).transform(TEXTS)
        assert enc2.calls == []


def test_locked_database_does_not_block_an_upload_for_long(tmp_path):
    path = tmp_path / "c.db"
    EmbeddingCache(path).get_many(["x"])  # create the table
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        enc = FakeEncoder()
        cache = EmbeddingCache(path, timeout=0.2)
        out = CachedEncoder(enc, cache).transform(TEXTS)
        assert np.array_equal(out, FakeEncoder().transform(TEXTS))
        assert cache.errors >= 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_cache_is_picklable_for_pool_workers(db_target):
    import pickle

    cache = EmbeddingCache(db_target)
    CachedEncoder(FakeEncoder(), cache).transform(TEXTS)
    clone = pickle.loads(pickle.dumps(CachedEncoder(FakeEncoder(), cache)))
    assert clone.cache.path == cache.path
    assert clone.transform(TEXTS).shape == (4, DIM) and clone.encoder.calls == []


def test_real_encoder_is_deterministic_per_text(extractor):
    """A text's vector does not depend on what it is encoded with: what makes a cache hit
    (and the benchmark's embed-everything path) give the very same facts."""
    from extract.embed import SentenceEncoder

    texts = ["We encrypt personal data at rest using AES-256.",
             "You can ask us to delete your account and the data we hold about you at any "
             "time, by writing to privacy@example.com or through the settings page.",
             "Cookies.", "We retain server logs for 90 days, after which they are deleted."]
    enc = SentenceEncoder()
    together = enc.transform(texts)
    alone = np.stack([enc.transform([t])[0] for t in texts])
    shuffled = enc.transform(texts[::-1] + ["An unrelated, much longer sentence " * 5])[:4][::-1]
    assert np.array_equal(together, alone)
    assert np.array_equal(together, shuffled)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
