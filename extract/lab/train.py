"""Training of the clause classifier (one calibrated logistic regression per fact; the model is
described in `extract.learn`'s docstring), the full build with the recall net and the "not
stated" model, and the artefact's bytes: `save` writes it, `check` compares a rebuild with it.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..scorers import (ARTEFACT, FORMAT, META, MODEL_DIR, N_EXTRA, NET_ARTEFACT, FactModel,
                       LearnedScorer, extra_features, learned_facts)
from ..scorers import sigmoid as _sigmoid
from ..taxonomy import TAXONOMY_VERSION, FactSpec
from .gold import SHARED_DIR, _gold_truth, _read_clauses, gold_policies
from .material import (Q_GUESSED, Q_GUESSED_DEFAULT, W_GOLD, W_TAXONOMY, W_TOSDR, W_TOSDR_HARD,
                       Sample, _audit_key, material, material_hash, taxonomy_hash)
from .net import net_material, net_params, train_net
from .notstated import not_stated_model
from .vectors import EmbeddingCache

__all__ = ["train", "build", "save", "check", "absent_rate", "MIN_CAL", "C_REG", "CAL_FOLDS",
           "PLATT_PRIOR"]

MIN_CAL = 5            # a fact gets its own Platt fit with >= MIN_CAL gated positives and negatives
C_REG = 4.0            # inverse L2 strength of the per-fact logistic regression
CAL_FOLDS = 5          # GroupKFold folds for the out-of-fold Platt scaling
PLATT_PRIOR = 20.0     # pseudo-observations pulling a fact's Platt fit to the pooled one


def _platt(s: np.ndarray, t: np.ndarray, prior: tuple[float, float] | None = None,
           strength: float = 0.0) -> tuple[float, float]:
    """Platt scaling p = σ(a·s + b) on targets `t` (1 / 0, or a soft target in between),
    with Platt's smoothing of the hard targets and an optional Gaussian prior (worth about
    `strength` observations) centred on `prior` (the pooled fit)."""
    from scipy.optimize import minimize
    s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
    n_pos, n_neg = float((t == 1).sum()), float((t == 0).sum())
    t = np.where(t == 1, (n_pos + 1) / (n_pos + 2), np.where(t == 0, 1 / (n_neg + 2), t))
    mu = np.array(prior if prior else (1.0, 0.0))
    lam = strength if prior else 1e-3

    def loss(theta):
        z = theta[0] * s + theta[1]
        p = _sigmoid(z)
        g = np.array([((p - t) * s).sum(), (p - t).sum()]) + lam * (theta - mu)
        return (np.logaddexp(0, z) - t * z).sum() + 0.5 * lam * ((theta - mu) ** 2).sum(), g

    res = minimize(loss, mu.copy(), jac=True, method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


def _fit_lr(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression
    if y.min() == y.max():
        return np.zeros(X.shape[1]), (4.0 if y[0] else -4.0)
    lr = LogisticRegression(C=C_REG, class_weight="balanced", max_iter=2000, tol=1e-6)
    lr.fit(X, y, sample_weight=w)
    return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


def _design(samples: Sequence[Sample], emb: np.ndarray, fid: str,
            specs: Sequence[FactSpec] | None = None):
    specs = specs or learned_facts()
    rows = [i for i, s in enumerate(samples) if fid in s.labels]
    y = np.array([samples[i].labels[fid][0] for i in rows], dtype=int)
    w = np.array([samples[i].labels[fid][1] for i in rows], dtype=float)
    extra = np.array([extra_features(fid, samples[i].gated, specs) for i in rows]).reshape(-1, N_EXTRA)
    return rows, np.hstack([emb[rows].astype(np.float64), extra]), y, w


def _folds(samples: Sequence[Sample], n: int) -> np.ndarray:
    """A fold number for each real sample's group (-1 for taxonomy sentences), deterministic."""
    groups = sorted({s.group for s in samples if s.real})
    fold_of = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % n for g in groups}
    return np.array([fold_of[s.group] if s.real else -1 for s in samples])


def train(samples: Sequence[Sample], emb: np.ndarray,
          specs: Sequence[FactSpec] | None = None, calibrate: bool = True) -> dict[str, FactModel]:
    """Fit one calibrated logistic regression per fact."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):  # BLAS threads only oversubscribe on these small problems
        return _train(samples, emb, learned_facts(specs), calibrate)


def _train(samples, emb, specs, calibrate) -> dict[str, FactModel]:
    folds = _folds(samples, CAL_FOLDS)
    fitted: dict[str, tuple] = {}
    oof: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for spec in specs:
        fid = spec.id
        rows, X, y, w = _design(samples, emb, fid, specs)
        coef, b0 = _fit_lr(X, y, w)
        fitted[fid] = (coef, b0, int(y.sum()), int((1 - y).sum()))
        if not calibrate:
            continue
        # Out-of-fold decision values of the real clauses that pass the gate. Calibration
        # target: 1 / 0 for labelled clauses, Q_GUESSED for a guessed (ToS;DR) negative.
        cal = np.array([samples[i].real and fid in samples[i].gated for i in rows])
        guessed = np.array([samples[i].group.startswith("tosdr:") and y[k] == 0
                            and fid not in samples[i].checked for k, i in enumerate(rows)])
        target = np.where(guessed, Q_GUESSED.get(fid, Q_GUESSED_DEFAULT), y.astype(float))
        s_oof, t_oof = [], []
        f_rows = folds[rows]
        for k in range(CAL_FOLDS):
            test = cal & (f_rows == k)
            if not test.any():
                continue
            train_m = f_rows != k
            c, b = _fit_lr(X[train_m], y[train_m], w[train_m])
            s_oof.append(X[test] @ c + b)
            t_oof.append(target[test])
        oof[fid] = (np.concatenate(s_oof) if s_oof else np.zeros(0),
                    np.concatenate(t_oof) if t_oof else np.zeros(0))
    models = {}
    if calibrate:
        all_s = np.concatenate([v[0] for v in oof.values()])
        all_t = np.concatenate([v[1] for v in oof.values()])
        pooled = _platt(all_s, all_t) if len(all_s) and 0 < all_t.sum() < len(all_t) \
            else (1.0, 0.0)
    for spec in specs:
        coef, b0, n_pos, n_neg = fitted[spec.id]
        if calibrate:
            s, t = oof[spec.id]
            own = min(int((t == 1).sum()), int((t < 1).sum())) >= MIN_CAL
            a, b = _platt(s, t, pooled, PLATT_PRIOR) if own else pooled
        else:
            a, b = 1.0, 0.0
        models[spec.id] = FactModel(coef, b0, a, b, n_pos, n_neg,
                                    len(oof[spec.id][0]) if calibrate else 0)
    return models


def absent_rate(samples_by_policy: Iterable[tuple[dict, set]]) -> float:
    """P(gold false | the fact has no candidate in the policy), Laplace-smoothed."""
    n = k = 0
    for values_truth, cand_facts in samples_by_policy:
        for fid, truth in values_truth.items():
            if fid not in cand_facts:
                n += 1
                k += 0 if truth else 1
    return (k + 1) / (n + 2)


def _absent_confidence(shared: Path, specs, exclude: Iterable[str] = ()) -> float:
    from ..classify import find_candidates
    pairs = []
    for name, path, entry in gold_policies(shared):
        if name in exclude:
            continue
        _, clauses = _read_clauses(path)
        truth = {s.id: _gold_truth(s, entry.get("values", {})) for s in specs if s.is_bool}
        cands = {s.id for s in specs if s.is_bool and find_candidates(s, clauses)}
        pairs.append((truth, cands))
    return round(absent_rate(pairs), 4)


_BUILDS: dict[tuple, LearnedScorer] = {}


def build(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None,
          exclude: Iterable[str] = (), not_stated: bool = False) -> LearnedScorer:
    """Train on all material (minus `exclude`) and return the scorer with its metadata: the
    clause classifier, the recall net, and with `not_stated` the "not stated" model fitted on
    leave-one-policy-out predictions of the gold policies (`lab.notstated`). Builds are
    deterministic, so one process keeps each (LOPO runs and the rebuild check share them)."""
    # Only gold policies are training material: excluding any other file (an OPP-115 policy
    # scored "LOPO") is the whole-data build, trained once.
    exclude = frozenset(exclude) & {name for name, _, _ in gold_policies(shared)}
    key = (str(shared), exclude, taxonomy_hash(), _audit_key(), not_stated)
    if key not in _BUILDS:
        _BUILDS[key] = _build(shared, cache or EmbeddingCache(disk=True), set(exclude),
                              not_stated)
    return _BUILDS[key]


def _build(shared: Path, cache: EmbeddingCache, exclude: set, not_stated: bool) -> LearnedScorer:
    import sklearn
    specs = learned_facts()
    samples = material(shared, exclude)
    emb = cache.matrix([s.text for s in samples])
    models = train(samples, emb, specs)
    net = train_net(net_material(specs, shared, exclude), specs)
    meta = {
        "format": FORMAT,
        "taxonomy_version": TAXONOMY_VERSION,
        "taxonomy_hash": taxonomy_hash(specs),
        "facts": [s.id for s in specs],
        "training_data_hash": material_hash(samples),
        "n_samples": len(samples),
        "sources": {src: sum(1 for s in samples if s.group.split(":")[0] == src)
                    for src in ("taxonomy", "gold", "tosdr")},
        "sklearn_version": sklearn.__version__,
        "embedding_model": "all-MiniLM-L6-v2",
        "absent_confidence": _absent_confidence(shared, specs, exclude),
        "per_fact": {fid: {"n_pos": m.n_pos, "n_neg": m.n_neg, "n_calibration": m.n_cal,
                           "platt_a": round(m.a, 6), "platt_b": round(m.b, 6),
                           "net_threshold": round(net.thresholds[fid], 4),
                           "net_ngrams": int(net.weights[:, j].nnz)}
                     for j, (fid, m) in enumerate(models.items())},
        "params": {"C": C_REG, "class_weight": "balanced", "w_taxonomy": W_TAXONOMY,
                   "w_gold": W_GOLD, "w_tosdr": W_TOSDR, "w_tosdr_hard": W_TOSDR_HARD,
                   "calibration": f"Platt on {CAL_FOLDS}-fold out-of-fold gated clauses, "
                                  f"prior {PLATT_PRIOR:g} toward pooled, guessed negatives "
                                  f"target {Q_GUESSED_DEFAULT:g} (min_age 0)",
                   "recall_net": net_params()},
        "credits": "Trained in part on Terms of Service; Didn't Read (tosdr.org), CC BY-SA.",
    }
    scorer = LearnedScorer(models, meta, net)
    if not_stated:
        model = not_stated_model(build, shared, cache, exclude)
        scorer.not_stated = model
        scorer.meta["not_stated"] = model.to_dict()
    return scorer


def _arrays(scorer: LearnedScorer) -> dict[str, np.ndarray]:
    fids = list(scorer.models)
    # float32 rounded to 1e-5: small, and stable against last-bit noise of a rebuild
    coef = np.round(np.stack([scorer.models[f].coef for f in fids]), 5).astype(np.float32)
    head = np.round(np.array([[scorer.models[f].intercept, scorer.models[f].a,
                               scorer.models[f].b] for f in fids]), 5).astype(np.float32)
    return {"coef": coef, "head": head}


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    # np.savez writes zip entries with a fixed timestamp; write to memory for byte comparison
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _meta_bytes(meta: Mapping) -> bytes:
    return (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode()


def save(scorer: LearnedScorer, directory: Path = MODEL_DIR) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    a, m = directory / ARTEFACT.name, directory / META.name
    a.write_bytes(_npz_bytes(_arrays(scorer)))
    if scorer.net is not None:
        (directory / NET_ARTEFACT.name).write_bytes(_npz_bytes(scorer.net.arrays()))
    m.write_bytes(_meta_bytes(scorer.meta))
    return a, m


def check(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None) -> list[str]:
    """Rebuild in memory and compare with the checked-in artefact; return the differences."""
    problems = []
    built = build(shared, cache, not_stated=True)
    try:
        saved_meta = json.loads(META.read_text(encoding="utf-8"))
    except OSError:
        return [f"no artefact at {META}"]
    for key in ("taxonomy_version", "taxonomy_hash", "facts", "training_data_hash"):
        if saved_meta.get(key) != built.meta.get(key):
            problems.append(f"{key} differs: checked-in {str(saved_meta.get(key))[:16]}…, "
                            f"rebuilt {str(built.meta.get(key))[:16]}…")
    old_ns = np.array(saved_meta.get("not_stated", {}).get("coef", []))
    new_ns = np.array(built.meta["not_stated"]["coef"])
    if old_ns.shape != new_ns.shape or not np.allclose(old_ns, new_ns, atol=1e-3):
        problems.append("not-stated model differs")
    for path, new in ((ARTEFACT, _arrays(built)), (NET_ARTEFACT, built.net.arrays())):
        problems += _compare_arrays(path, new)
    return problems


def _compare_arrays(path: Path, new: Mapping[str, np.ndarray]) -> list[str]:
    problems = []
    if not path.is_file():
        return [f"no artefact at {path}"]
    with np.load(path) as z:
        old = {k: z[k] for k in z.files}
    for k in new:
        if k not in old or old[k].shape != new[k].shape:
            problems.append(f"{path.name}: array {k} shape differs")
        elif not np.allclose(old[k], new[k], atol=2e-4):
            problems.append(f"{path.name}: array {k} differs by up to "
                            f"{np.abs(old[k] - new[k]).max():.2g}")
    if not problems and _npz_bytes(new) != path.read_bytes():
        print(f"note: {path.name} rebuild equal within 2e-4 but not byte-identical",
              file=sys.stderr)
    return problems


