"""The training embedding cache: text → sentence embedding, for training and evaluation runs.

Not the product's cache (`extract.cache.EmbeddingCache`, SQLite, bounded): this one lives in
memory for one run and, with `disk=True`, in one `.npz` file under `$PRIVACY_EMBED_CACHE`
(`settings().embed_cache_dir`, default `artifacts/embed-cache/`, gitignored).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..settings import settings

__all__ = ["EmbeddingCache"]


class EmbeddingCache:
    """text → embedding, each text encoded once; `disk=True` also keeps them across runs in
    `settings().embed_cache_dir` (gitignored, keyed by text and model checksum).

    Missing texts are encoded in sorted order, so a run from an empty cache is reproducible;
    a vector may differ in its last bits with the batch it was encoded in, which is why the
    artefact is compared with a tolerance (`check`).
    """

    def __init__(self, encode: Callable | None = None, disk: bool = False):
        self._encode = encode
        self._vec: dict[str, np.ndarray] = {}
        self.disk = disk
        self._loaded = False

    @property
    def encode(self) -> Callable:
        if self._encode is None:
            from ..embed import SentenceEncoder
            self._encode = SentenceEncoder().transform
        return self._encode

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _path(self) -> Path:
        from ..embed import MODEL_SHA256
        return settings().embed_cache_dir / f"minilm-{MODEL_SHA256[:12]}.npz"

    def _load_disk(self) -> dict[str, np.ndarray]:
        self._loaded = True
        try:
            with np.load(self._path()) as z:
                return dict(zip(z["keys"].tolist(), z["vecs"]))
        except (OSError, KeyError, ValueError):
            return {}

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self._vec})
        if missing and self.disk:
            stored = self._load_disk() if not self._loaded else {}
            self._disk = getattr(self, "_disk", {}) | stored
            for t in missing:
                v = self._disk.get(self._key(t))
                if v is not None:
                    self._vec[t] = v
            missing = [t for t in missing if t not in self._vec]
        if missing:
            emb = np.asarray(self.encode(missing), dtype=np.float32)
            for t, v in zip(missing, emb):
                self._vec[t] = v
            if self.disk:
                for t, v in zip(missing, emb):
                    self._disk[self._key(t)] = v
                path = self._path()
                path.parent.mkdir(parents=True, exist_ok=True)
                keys = sorted(self._disk)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, keys=np.array(keys), vecs=np.stack([self._disk[k] for k in keys]))
                os.replace(tmp, path)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vec[t] for t in texts])

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """An `encode` function for `FactExtractor`."""
        return self.matrix(list(texts))

