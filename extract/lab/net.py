"""Training material and training of the recall net (`scorers.RecallNet`).

Labels per fact F, by source (weights as the clause classifier's in `lab.material`):

* taxonomy sentences: F's examples positive, its counter-examples negative, other facts'
  sentences negative;
* gold policies: every clause holding F's gold evidence positive; where gold says F is false,
  every other clause of the policy negative (the labeller read it all); where F is true, other
  clauses are left out (policies restate rights and gold quotes one place);
* ToS;DR clauses: the blind audit's verdict where there is one, else F's label positive, no
  label negative (weight `W_GUESS` when the clause passes F's gate: an unlabelled clause is not
  a guaranteed negative).

The net is used for recall: the extractor embeds a would-be "not stated" fact's best `NET_TOP_K`
clauses at or above `MIN_NET` (`classify`), and its best score anywhere feeds the "not stated"
model (`lab.notstated`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..scorers import RecallNet, text_features
from ..taxonomy import FactSpec
from .gold import _evidence_clauses, _gold_truth, _read_clauses, gold_policies
from .material import (COARSE, W_GOLD, _gold_material, _taxonomy_material, _tosdr_material,
                       derived_from)

__all__ = ["NetSample", "net_material", "train_net", "net_params"]

W_GUESS = 0.3
MIN_NET = 0.3
ALPHA = 2e-5
EPOCHS = 20


@dataclass
class NetSample:
    """One text and its label per fact: {fact: (y, weight)}."""

    text: str
    group: str
    labels: dict[str, tuple[int, float]] = field(default_factory=dict)


def net_material(specs: Sequence[FactSpec], shared: Path, exclude: Iterable[str] = ()
                 ) -> list[NetSample]:
    """All net training samples, without anything derived from the policies in `exclude`."""
    exclude = set(exclude)
    ids = [s.id for s in specs]
    out: list[NetSample] = []
    for s in _taxonomy_material(specs):
        out.append(NetSample(s.text, "taxonomy",
                             {f: (1 if s.labels.get(f, (0, 0))[0] else 0, 1.0) for f in ids}))
    golds = _gold_material(specs, shared)
    for name, path, entry in gold_policies(shared):
        if name in exclude:
            continue
        out += _gold_net_samples(specs, name, path, entry)
    for r, s in _tosdr_material(specs, shared):
        if any(derived_from(n, t, r) for n, t, _ in golds if n in exclude):
            continue
        labels = {}
        for f in ids:
            if f in s.checked:
                labels[f] = (s.labels[f][0], 1.0)
            elif f in s.labels and s.labels[f][0] == 1:
                labels[f] = (1, 1.0)
            elif f in r["labels"] or f in {COARSE.get(x) for x in r["labels"]}:
                labels[f] = (1, 0.5)  # labelled but outside the gate: the case, not the clause
            else:
                labels[f] = (0, W_GUESS if f in s.gated else 1.0)
        out.append(NetSample(s.text, f"tosdr:{r['service']}", labels))
    return out


def _gold_net_samples(specs, name, path, entry) -> list[NetSample]:
    _, clauses = _read_clauses(path)
    values, evidence = entry.get("values", {}), entry.get("evidence", {})
    samples = {c.index: NetSample(c.text, f"gold:{name}") for c in clauses if not c.is_heading}
    for spec in specs:
        if _gold_truth(spec, values):
            for c in _evidence_clauses(evidence.get(spec.id, ""), clauses):
                samples[c.index].labels[spec.id] = (1, W_GOLD)
        else:
            for s in samples.values():
                s.labels[spec.id] = (0, 1.0)
    return [s for s in samples.values() if s.labels]


def _fit(X, y, w):
    from sklearn.linear_model import SGDClassifier
    if y.min() == y.max():
        return None
    # Elastic net: sparse enough to ship (a few thousand n-grams per fact), fast on 2 cores;
    # a fixed seed and a fixed number of epochs make the fit reproducible.
    lr = SGDClassifier(loss="log_loss", penalty="elasticnet", l1_ratio=0.5, alpha=ALPHA,
                       class_weight="balanced", max_iter=EPOCHS, tol=None, random_state=0)
    lr.fit(X, y, sample_weight=w)
    return lr


def _design(samples, fid):
    rows = np.array([i for i, s in enumerate(samples) if fid in s.labels])
    y = np.array([samples[i].labels[fid][0] for i in rows])
    w = np.array([samples[i].labels[fid][1] for i in rows])
    return rows, y, w


def train_net(samples: Sequence[NetSample], specs: Sequence[FactSpec]) -> RecallNet:
    """One elastic-net SGD logistic regression per fact on hashed n-grams, each with the
    candidate threshold `MIN_NET` (a fact with a single class gets an inert model)."""
    from scipy.sparse import csc_matrix
    from threadpoolctl import threadpool_limits
    X = text_features([s.text for s in samples]).tocsr()
    ids = [s.id for s in specs]
    cols, rws, vals, icpt, thr = [], [], [], np.zeros(len(ids)), {}
    with threadpool_limits(1):
        for j, fid in enumerate(ids):
            rows, y, w = _design(samples, fid)
            lr = _fit(X[rows], y, w)
            if lr is None:
                icpt[j], thr[fid] = -10.0, 1.0
                continue
            nz = np.flatnonzero(lr.coef_[0])
            rws.append(nz); cols.append(np.full(len(nz), j)); vals.append(lr.coef_[0][nz])
            icpt[j] = lr.intercept_[0]
            thr[fid] = MIN_NET
    W = csc_matrix((np.concatenate(vals), (np.concatenate(rws), np.concatenate(cols))),
                   shape=(X.shape[1], len(ids)))
    return RecallNet(ids, W, icpt, thr)


def net_params() -> dict:
    """The net's training settings, for the artefact's metadata."""
    return {"features": "hashed word 1-2-grams, binary, L2", "model":
            "SGD logistic, elastic net", "alpha": ALPHA, "epochs": EPOCHS, "w_guess": W_GUESS,
            "min_score": MIN_NET}
