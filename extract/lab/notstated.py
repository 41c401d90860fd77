"""Fit the "not stated" model (`scorers.NotStatedModel`) on held-out gold predictions.

For each gold policy, the extractor built without that policy (`build(exclude=...)`, passed in
by `lab.train`, which sits above this module) extracts it; every boolean fact it finds "not
stated" gives one row: the signals of
`FactExtractor.extract_with_signals` and whether the gold says the policy states the fact
after all. A logistic regression on those rows (plus how often the *other* policies state the
fact) is the calibrated probability that a "not stated" is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ..scorers import NotStatedModel, learned_facts
from .gold import SHARED_DIR, _gold_truth, _read_clauses, gold_policies
from .material import _audit_key, taxonomy_hash

__all__ = ["Signal", "lopo_signals", "fit_not_stated", "not_stated_model", "C_NOT_STATED"]

C_NOT_STATED = 1.0
_SIGNALS: dict[tuple, list] = {}


@dataclass(frozen=True)
class Signal:
    """One "not stated" value of a held-out policy and whether gold says it is stated."""

    policy: str
    fact_id: str
    net_best: float
    cand_best: float
    has_pattern: bool
    area_share: float
    stated: bool


def not_stated_model(build: Callable, shared: Path, cache,
                     exclude: Iterable[str] = ()) -> NotStatedModel:
    """The "not stated" model fitted on the LOPO signals of the gold policies not in `exclude`;
    `build(shared, cache, exclude=...)` trains the clause model without a policy."""
    return fit_not_stated(lopo_signals(shared, cache, build, exclude), shared, exclude)


def lopo_signals(shared: Path, cache, build: Callable,
                 exclude: Iterable[str] = ()) -> list[Signal]:
    """Signals of every gold policy not in `exclude`, each extracted by a model trained
    without it (`build(shared, cache, exclude={policy})`). Kept per process (the same LOPO
    builds serve evaluation)."""
    key = (str(shared), taxonomy_hash(), _audit_key())
    if key not in _SIGNALS:
        _SIGNALS[key] = _signals(shared, cache, build)
    skip = set(exclude)
    return [s for s in _SIGNALS[key] if s.policy not in skip]


def _signals(shared: Path, cache, build: Callable) -> list[Signal]:
    from ..classify import FactExtractor
    specs = {s.id: s for s in learned_facts()}
    out = []
    for name, path, entry in gold_policies(shared):
        fx = FactExtractor(cache, build(shared, cache, exclude={name}))
        _, clauses = _read_clauses(path)
        _, signals = fx.extract_with_signals(clauses)
        for fid, sig in sorted(signals.items()):
            out.append(Signal(name, fid, *sig, _gold_truth(specs[fid], entry.get("values", {}))))
    return out


def _priors(shared: Path, exclude: Iterable[str]) -> dict[str, float]:
    """Share of the gold policies (not excluded) stating each fact, Laplace-smoothed."""
    skip = set(exclude)
    specs = learned_facts()
    entries = [e for n, _, e in gold_policies(shared) if n not in skip]
    return {s.id: (sum(_gold_truth(s, e.get("values", {})) for e in entries) + 1)
            / (len(entries) + 2) for s in specs if s.is_bool or s.kind == "level"}


def fit_not_stated(signals: Sequence[Signal], shared: Path | None = None,
                   exclude: Iterable[str] = ()) -> NotStatedModel:
    """Logistic regression of `stated` on the signals and the fact's prior."""
    from sklearn.linear_model import LogisticRegression
    priors = _priors(shared or SHARED_DIR, exclude)
    X = np.array([NotStatedModel.features(s.net_best, s.cand_best, s.has_pattern, s.area_share,
                                          priors.get(s.fact_id, 0.3)) for s in signals])
    y = np.array([s.stated for s in signals], dtype=int)
    if len(set(y)) < 2:
        return NotStatedModel(prior=priors)
    lr = LogisticRegression(C=C_NOT_STATED, max_iter=1000, tol=1e-8)
    lr.fit(X, y)
    return NotStatedModel(lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), priors)
