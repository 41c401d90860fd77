"""Experiments (`--experiments`): encoder variants timed on the largest policy's candidates,
and `QuantisedEncoder`, the int8-quantised model the accuracy section evaluates."""
from __future__ import annotations

import time

from .common import log, med
from .corpus import Item

__all__ = ["QuantisedEncoder", "bench_kernels"]


class QuantisedEncoder:
    """Experiment only: the same encoder over a dynamically int8-quantised copy of the model."""

    _model = None

    def transform(self, X):
        from extract.embed import SentenceEncoder

        cls = type(self)
        if cls._model is None:
            import copy

            import torch

            from extract.embed import load_model
            cls._model = torch.ao.quantization.quantize_dynamic(
                copy.deepcopy(load_model()), {torch.nn.Linear}, dtype=torch.qint8)
        enc = SentenceEncoder()
        enc._model = lambda: cls._model
        return enc.transform(X)


def bench_kernels(items: list[Item], reps: int) -> dict:
    """Encoding the candidates of the largest policy: our encoder vs sentence-transformers'
    own padded batches, 1 vs 2 threads, and int8 quantisation (speed only)."""
    import copy

    import numpy as np
    import torch

    from extract.embed import SentenceEncoder, load_model

    log("\n== Encoder variants (candidates of the largest policy) ==")
    big = max(items, key=lambda i: i.words)
    texts = _candidate_texts(big)
    model = load_model()
    lengths = [len(t) for t in model.tokenizer(texts)["input_ids"]]
    q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear},
                                               dtype=torch.qint8)
    ours1, ours2 = SentenceEncoder(threads=1), SentenceEncoder(threads=2)
    qenc = SentenceEncoder(threads=2)
    qenc._model = lambda: q
    variants = _variants(model, texts, ours1, ours2, qenc)
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(reps):
        for k, f in variants.items():  # interleaved, so load changes hit all alike
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    ref = ours2.transform(texts)
    single = np.stack([ours2.transform([t])[0] for t in texts])
    st_vecs = model.encode(texts, batch_size=32, normalize_embeddings=True,
                           show_progress_bar=False)
    st_single = np.stack([model.encode([t], normalize_embeddings=True, show_progress_bar=False)[0]
                          for t in texts])
    out = {"policy": big.name, "texts": len(texts), "tokens": sum(lengths),
           "max_tokens": max(lengths), "over_128_tokens": sum(n > 128 for n in lengths),
           "median_s": {k: med(v) for k, v in times.items()},
           "ours_batch_equals_single_bitwise": bool(np.array_equal(ref, single)),
           "st_batch_vs_single_max_abs_diff": float(np.abs(st_vecs - st_single).max()),
           "int8_vs_float32_max_abs_diff": float(np.abs(qenc.transform(texts) - ref).max())}
    _log_kernels(out, lengths)
    return out


def _candidate_texts(big: Item) -> list[str]:
    """The distinct candidate clauses of every fact in one policy, as the encoder sees them."""
    from extract.classify import find_candidates
    from extract.embed import canonical
    from extract.read import read_document
    from extract.segment import segment
    from extract.taxonomy import taxonomy

    clauses = segment(read_document(big.data, big.name))
    return list(dict.fromkeys(canonical(c.clause.text) for s in taxonomy()
                              for c in find_candidates(s, clauses)))


def _variants(model, texts: list[str], ours1, ours2, qenc) -> dict:
    import torch

    def st_encode(bs, threads):
        def f():
            torch.set_num_threads(threads)
            try:
                return model.encode(texts, batch_size=bs, normalize_embeddings=True,
                                    show_progress_bar=False)
            finally:
                torch.set_num_threads(1)
        return f

    return {
        "ours: padded to own length, 1 intra-op thread, 2 Python threads": lambda: ours2.transform(texts),
        "ours, 1 Python thread": lambda: ours1.transform(texts),
        "sentence-transformers encode, batch 32, 2 intra-op threads": st_encode(32, 2),
        "sentence-transformers encode, batch 8, 2 intra-op threads": st_encode(8, 2),
        "sentence-transformers encode, batch 8, 1 thread": st_encode(8, 1),
        "ours + int8 dynamic quantisation (not used)": lambda: qenc.transform(texts),
    }


def _log_kernels(out: dict, lengths: list[int]) -> None:
    log(f"{out['texts']} texts, {sum(lengths)} tokens, longest {max(lengths)}, "
        f"{out['over_128_tokens']} over 128 tokens (max_seq_length 128 would change nothing "
        "here and save nothing: batches are padded to their texts, not to max_seq_length)")
    for k, v in out["median_s"].items():
        log(f"  {k:70} {v:.3f} s")
    log(f"  ours bitwise identical alone vs in batch: {out['ours_batch_equals_single_bitwise']}; "
        f"sentence-transformers batch vs alone differs by up to "
        f"{out['st_batch_vs_single_max_abs_diff']:.1e}; int8 differs by up to "
        f"{out['int8_vs_float32_max_abs_diff']:.1e}")
