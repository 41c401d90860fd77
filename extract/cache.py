"""A persistent embedding cache in the store's SQLite file, and an encoder that uses it.

    cache = EmbeddingCache()                        # table `embeddings` in default_db_path()
    ex = Extractor(encoder=CachedEncoder(SentenceEncoder(), cache))

Key: SHA-256 of the encoder identity (model weights SHA-256, torch version, padding rule) and
the clause text as encoded (`embed.canonical`: whitespace collapsed). Value: the 384 float32s
exactly as the encoder returned them. Because `SentenceEncoder` is deterministic per text, a
hit is bit-for-bit what encoding afresh would give, so the cache never changes a fact.

Safety: WAL mode and a busy timeout, one short transaction per write (`INSERT OR REPLACE`), so
several processes (app, CLI, pool workers) can write at once. The cache is an optimisation and
never fails an upload: any SQLite or format error (locked past the timeout, damaged file, a
foreign `embeddings` table, a row of the wrong size) counts as a miss, is logged once, and the
text is encoded instead.

Size: bounded to `max_rows` rows (default 100,000, env `PRIVACY_VECTOR_CACHE_ROWS`; one row is
about 1.6 kB, so ~160 MB); when a write goes past the bound, the oldest rows are deleted.
About 45 clauses of a 5,000-word policy are embedded, so the default holds ~2,000 policies.
Delete the table (`DROP TABLE embeddings`) at any time; it is rebuilt as policies are read.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from contextlib import closing
from importlib import metadata
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from .embed import DIM, MODEL_SHA256, PAD_MULTIPLE, TransformerBase, canonical
from .settings import DEFAULT_VECTOR_CACHE_ROWS, settings

__all__ = ["EmbeddingCache", "CachedEncoder", "encoder_identity", "DEFAULT_MAX_ROWS"]

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = DEFAULT_VECTOR_CACHE_ROWS
_VEC_BYTES = DIM * 4
_CHUNK = 500  # keys per SELECT (SQLite's default limit on host parameters is 999+)
_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vec BLOB)"


def encoder_identity(model_sha: str = MODEL_SHA256) -> str:
    """What a vector depends on besides its text: model weights, torch version, padding rule."""
    try:
        torch_version = metadata.version("torch")  # no import: the cache must stay light
    except metadata.PackageNotFoundError:  # pragma: no cover
        torch_version = "?"
    return f"{model_sha}|torch-{torch_version}|pad{PAD_MULTIPLE}"


def _max_rows_default() -> int:
    return settings().vector_cache_rows


class EmbeddingCache:
    """text → embedding, persisted in the table `embeddings(key TEXT PRIMARY KEY, vec BLOB)`.

    `path` defaults to `extract.store.default_db_path()` (the store's own file), looked up on
    every call. Safe to share
    between threads and processes; picklable (it holds no open connection).
    """

    def __init__(self, path: str | os.PathLike | None = None, model_sha: str = MODEL_SHA256,
                 max_rows: int | None = None, timeout: float = 5.0):
        self._path = Path(path) if path is not None else None
        self.identity = encoder_identity(model_sha)
        self.max_rows = _max_rows_default() if max_rows is None else int(max_rows)
        self.timeout = timeout
        self.hits = self.misses = self.errors = 0
        self._ready: Path | None = None  # the file whose schema this process has ensured
        self._lock = threading.Lock()
        self._warned = False

    # -- pickling: no lock or state that belongs to this process -----------------------
    def __getstate__(self) -> dict:
        d = self.__dict__.copy()
        d.pop("_lock", None)
        d["_ready"] = None
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__.update(d)
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The database file: the one given, else the store's current `default_db_path()`
        (followed as `$PRIVACY_DB` changes, so the cache lives beside the data it serves)."""
        if self._path is not None:
            return self._path
        from .store import default_db_path
        return default_db_path()

    # -- keys ----------------------------------------------------------------------------
    def key(self, text: str) -> str:
        """The cache key of a text: SHA-256 of the encoder identity and the canonical text."""
        return hashlib.sha256(f"{self.identity}\x1f{canonical(text)}".encode("utf-8")).hexdigest()

    # -- plumbing ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
        try:
            if self._ready != path:
                con.execute("PRAGMA journal_mode=WAL")
                con.execute(_SCHEMA)
                self._ready = path
            con.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            con.close()
            raise
        return con

    def _failed(self, what: str, exc: BaseException) -> None:
        self.errors += 1
        if not self._warned:  # once per process: a broken cache must not flood the log
            self._warned = True
            log.warning("embedding cache %s: %s failed (%s); encoding without it", self.path,
                        what, exc)

    # -- API -----------------------------------------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those keys that are present and well-formed."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        if not keys:
            return found
        try:
            with closing(self._connect()) as con:
                for i in range(0, len(keys), _CHUNK):
                    part = keys[i:i + _CHUNK]
                    marks = ",".join("?" * len(part))
                    for k, blob in con.execute(
                            f"SELECT key, vec FROM embeddings WHERE key IN ({marks})", part):
                        if not isinstance(blob, bytes) or len(blob) != _VEC_BYTES:
                            continue  # damaged row: a miss, overwritten on the next put
                        vec = np.frombuffer(blob, dtype="<f4").astype(np.float32)
                        if np.isfinite(vec).all():
                            found[k] = vec
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._failed("read", exc)
            found = {}
        with self._lock:
            self.hits += len(found)
            self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        """Store vectors (float32, 384-d); a failure is logged and otherwise ignored."""
        rows = [(k, np.ascontiguousarray(v, dtype="<f4").tobytes()) for k, v in items.items()]
        rows = [r for r in rows if len(r[1]) == _VEC_BYTES]
        if not rows:
            return
        try:
            with closing(self._connect()) as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    con.executemany("INSERT OR REPLACE INTO embeddings(key, vec) VALUES (?, ?)",
                                    rows)
                    if self.max_rows > 0:
                        n = con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
                        if n > self.max_rows:
                            con.execute("DELETE FROM embeddings WHERE rowid IN (SELECT rowid "
                                        "FROM embeddings ORDER BY rowid LIMIT ?)",
                                        (n - self.max_rows,))
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._failed("write", exc)

    def __len__(self) -> int:
        try:
            with closing(self._connect()) as con:
                return int(con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
        except (sqlite3.Error, OSError) as exc:
            self._failed("count", exc)
            return 0

    def clear(self) -> None:
        """Delete every cached vector."""
        try:
            with closing(self._connect()) as con:
                con.execute("DELETE FROM embeddings")
        except (sqlite3.Error, OSError) as exc:
            self._failed("clear", exc)

    def stats(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "errors": self.errors}


class CachedEncoder(TransformerBase):
    """Wrap an encoder (anything with `transform(texts) -> array`) with an `EmbeddingCache`.

    `transform` looks every distinct text up, encodes only the misses (in one call), stores
    them, and returns float32 rows in input order. If the cache fails in any way the texts are
    simply encoded. Only wrap encoders whose vectors the cache key describes (the bundled
    model): a different encoder needs a cache with its own `model_sha`.
    """

    def __init__(self, encoder=None, cache: EmbeddingCache | None = None):
        self.encoder = encoder
        self.cache = cache

    def _inner(self):
        if self.encoder is None:
            from .embed import SentenceEncoder
            self.encoder = SentenceEncoder()
        return self.encoder

    def transform(self, X) -> np.ndarray:
        texts = [canonical(x) for x in X]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        cache = self.cache if self.cache is not None else EmbeddingCache()
        self.cache = cache
        try:
            keys = [cache.key(t) for t in texts]
            found = cache.get_many(keys)
        except Exception as exc:  # noqa: BLE001 - the cache must never fail an upload
            log.warning("embedding cache lookup failed (%s); encoding without it", exc)
            return np.asarray(self._inner().transform(texts), dtype=np.float32)
        missing: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k not in found:
                missing.setdefault(k, t)
        if missing:
            emb = np.asarray(self._inner().transform(list(missing.values())), dtype=np.float32)
            new = dict(zip(missing, emb))
            try:
                cache.put_many(new)
            except Exception as exc:  # noqa: BLE001
                log.warning("embedding cache write failed (%s)", exc)
            found.update(new)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
