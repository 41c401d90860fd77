"""Runtime scorers: how a clause's likelihood of stating a fact is computed when serving an upload.

* `ClauseScorer` — the protocol `FactExtractor` uses: per-fact probabilities for clause embeddings.
* `PrototypeScorer` — fallback: similarity to the taxonomy's examples against its counter-examples.
* `LearnedScorer` — the checked-in calibrated logistic regressions (trained by
  `python -m extract.learn`, artefact in `extract/models/`), loaded by `load_scorer`.
* `RecallNet` — the cheap learned recall net: hashed word n-grams into one sparse linear model
  per fact. Every clause gets a score per fact without embedding; clauses above the fact's
  recall-oriented threshold become candidates next to the pattern candidates, and the best
  score anywhere in a policy informs how sure a "not stated" is.
* `extra_features` — the pattern side of a clause that the learned scorer also sees.

Nothing here trains or evaluates; the lab (`extract.learn`, `extract.evaluate`) builds on it.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Protocol, Sequence

import numpy as np

from .taxonomy import TAXONOMY_VERSION, FactSpec, taxonomy

__all__ = ["ClauseScorer", "PrototypeScorer", "LearnedScorer", "FactModel", "RecallNet",
           "NotStatedModel", "text_features", "extra_features", "learned_facts", "load_scorer",
           "default_scorer", "sigmoid", "MODEL_DIR", "ARTEFACT", "META", "NET_ARTEFACT",
           "FORMAT", "N_EXTRA", "N_HASH"]

MODEL_DIR = Path(__file__).with_name("models")
ARTEFACT = MODEL_DIR / "clause_lr.npz"
NET_ARTEFACT = MODEL_DIR / "recall_net.npz"
META = MODEL_DIR / "clause_lr.json"
FORMAT = 3
N_EXTRA = 3
N_HASH = 2 ** 18  # hashed n-gram space of the recall net
N_NOT_STATED = 5  # features of the "not stated" model


def sigmoid(z):
    """The logistic function, clipped so that exp never overflows."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def learned_facts(specs: Sequence[FactSpec] | None = None) -> list[FactSpec]:
    """The facts the classifier scores: every fact judged on pattern candidates."""
    return [s for s in (specs or taxonomy()) if s.patterns and s.kind in ("bool", "level", "age")]


def extra_features(fact_id: str, gated: Mapping[str, float], specs: Sequence[FactSpec]
                   ) -> list[float]:
    """The pattern side of a clause for one fact: passes the gate, pattern strength, and how
    many other facts of the same area it is a candidate for (a list of rights or controls)."""
    area = {s.id: s.area for s in specs}
    n_area = sum(1 for f in gated if f != fact_id and area.get(f) == area.get(fact_id))
    return [float(fact_id in gated), float(gated.get(fact_id, 0.0)), min(n_area, 4) / 4]


def text_features(texts: Sequence[str]):
    """Clause texts → sparse rows of hashed word 1–2-grams (binary, L2-normalised).

    Stateless, so the lab and the runtime compute identical features with nothing stored."""
    from sklearn.feature_extraction.text import HashingVectorizer
    hv = HashingVectorizer(n_features=N_HASH, ngram_range=(1, 2), alternate_sign=False,
                           binary=True, norm="l2", lowercase=True,
                           token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
    return hv.transform(list(texts))


class ClauseScorer(Protocol):
    """Scores clause embeddings for one fact: returns probabilities in [0, 1]. `extra` holds
    the pattern features of each clause (`extra_features`); a scorer may ignore it."""

    def score(self, fact_id: str, embeddings: np.ndarray,
              extra: np.ndarray | None = None) -> np.ndarray: ...


class PrototypeScorer:
    """Similarity to the taxonomy's example sentences, against its counter-examples."""

    def __init__(self, encode, specs: Sequence[FactSpec] | None = None):
        self._pos: dict[str, np.ndarray] = {}
        self._neg: dict[str, np.ndarray] = {}
        for spec in specs or taxonomy():
            if spec.examples:
                self._pos[spec.id] = encode(list(spec.examples))
            if spec.counter:
                self._neg[spec.id] = encode(list(spec.counter))

    def score(self, fact_id: str, embeddings: np.ndarray,
              extra: np.ndarray | None = None) -> np.ndarray:
        if fact_id not in self._pos or len(embeddings) == 0:
            return np.full(len(embeddings), 0.5)
        pos = (embeddings @ self._pos[fact_id].T).max(axis=1)
        neg = (embeddings @ self._neg[fact_id].T).max(axis=1) if fact_id in self._neg else 0 * pos
        # Similar to an example and not closer to a counter-example → high probability.
        z = 10.0 * (pos - 0.3) + 6.0 * np.minimum(pos - neg, 0.0)
        return 1.0 / (1.0 + np.exp(-z))


@dataclass
class FactModel:
    """One fact's logistic regression on [embedding, pattern features] and its Platt head."""

    coef: np.ndarray
    intercept: float
    a: float
    b: float
    n_pos: int = 0
    n_neg: int = 0
    n_cal: int = 0


@dataclass
class RecallNet:
    """Sparse linear models over `text_features`, one per fact, with recall thresholds.

    `weights` is a (N_HASH × n_facts) sparse matrix; `thresholds[f]` is the score at or above
    which a clause becomes a candidate of fact f (chosen for recall at training time)."""

    facts: list[str]
    weights: object                  # scipy.sparse matrix, N_HASH × len(facts)
    intercepts: np.ndarray
    thresholds: dict[str, float]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts × n_facts) probabilities from the n-gram models."""
        if not len(texts):
            return np.zeros((0, len(self.facts)))
        z = np.asarray((text_features(texts) @ self.weights).todense()) + self.intercepts
        return sigmoid(z)

    def column(self, fact_id: str) -> int | None:
        return self.facts.index(fact_id) if fact_id in self.facts else None

    def arrays(self) -> dict[str, np.ndarray]:
        w = self.weights.tocoo()
        order = np.lexsort((w.row, w.col))
        return {"row": w.row[order].astype(np.int32), "col": w.col[order].astype(np.int16),
                "val": np.round(w.data[order], 5).astype(np.float32),
                "intercept": np.round(self.intercepts, 5).astype(np.float32),
                "threshold": np.array([self.thresholds[f] for f in self.facts], np.float32)}

    @classmethod
    def from_arrays(cls, facts: list[str], z: Mapping[str, np.ndarray]) -> "RecallNet":
        from scipy.sparse import csr_matrix
        w = csr_matrix((z["val"].astype(np.float64), (z["row"], z["col"].astype(np.int64))),
                       shape=(N_HASH, len(facts)))
        return cls(list(facts), w, z["intercept"].astype(np.float64),
                   {f: float(t) for f, t in zip(facts, z["threshold"])})


@dataclass
class NotStatedModel:
    """P(the policy states a fact after all | it was found "not stated"), a logistic model on
    what the policy offers: the best clause's recall-net score, the best candidate's
    probability, whether any pattern matched, the share of the other facts of the fact's area
    the policy states (a policy listing six rights likely grants the seventh), and how often
    policies state the fact. Fitted on held-out (leave-one-policy-out) gold predictions by the
    lab (`extract.lab.notstated`)."""

    coef: np.ndarray = field(default_factory=lambda: np.zeros(N_NOT_STATED))
    intercept: float = -3.0
    prior: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def features(net_best: float, cand_best: float, has_pattern: bool, area_share: float,
                 prior: float) -> np.ndarray:
        logit = lambda p: float(np.log((p + 0.01) / (1 - p + 0.01)))  # noqa: E731
        return np.array([logit(net_best), logit(cand_best), float(has_pattern), area_share,
                         logit(prior)])

    def p_stated(self, fact_id: str, net_best: float, cand_best: float, has_pattern: bool,
                 area_share: float = 0.0) -> float:
        x = self.features(net_best, cand_best, has_pattern, area_share,
                          self.prior.get(fact_id, 0.3))
        return float(sigmoid(x @ self.coef + self.intercept))

    def to_dict(self) -> dict:
        return {"coef": [round(float(c), 6) for c in self.coef],
                "intercept": round(float(self.intercept), 6),
                "prior": {f: round(p, 4) for f, p in sorted(self.prior.items())}}

    @classmethod
    def from_dict(cls, d: Mapping) -> "NotStatedModel":
        return cls(np.array(d["coef"], dtype=np.float64), float(d["intercept"]),
                   dict(d.get("prior", {})))


class LearnedScorer:
    """Calibrated per-fact logistic regression on clause embeddings (a `ClauseScorer`), with
    the recall net and the "not stated" model trained beside it."""

    calibrated = True

    def __init__(self, models: Mapping[str, FactModel], meta: Mapping | None = None,
                 net: RecallNet | None = None, not_stated: NotStatedModel | None = None):
        self.models = dict(models)
        self.meta = dict(meta or {})
        self.net = net
        self.not_stated = not_stated
        self.absent_confidence = float(self.meta.get("absent_confidence", 0.9))

    def decision(self, fact_id: str, embeddings: np.ndarray,
                 extra: np.ndarray | None = None) -> np.ndarray:
        """The logistic regression's decision value; `extra` are the pattern features
        (`extra_features`), by default those of a one-pattern candidate."""
        m = self.models[fact_id]
        if extra is None:
            extra = np.tile([1.0, 0.6, 0.0], (len(embeddings), 1))
        X = np.hstack([embeddings.astype(np.float64), np.asarray(extra, dtype=np.float64)])
        return X @ m.coef + m.intercept

    def score(self, fact_id: str, embeddings: np.ndarray,
              extra: np.ndarray | None = None) -> np.ndarray:
        if fact_id not in self.models or len(embeddings) == 0:
            return np.full(len(embeddings), 0.5)
        m = self.models[fact_id]
        return sigmoid(m.a * self.decision(fact_id, embeddings, extra) + m.b)


def load_scorer(directory: Path = MODEL_DIR, specs: Sequence[FactSpec] | None = None,
                strict: bool = False) -> LearnedScorer | None:
    """The checked-in scorer, or None (with a warning) when missing or built for another
    taxonomy version / fact set. `strict` raises instead."""
    specs = learned_facts(specs)
    a, m, n = directory / ARTEFACT.name, directory / META.name, directory / NET_ARTEFACT.name

    def refuse(msg: str):
        if strict:
            raise ValueError(msg)
        warnings.warn(f"{msg}; using the prototype scorer (run `python -m extract.learn`).",
                      RuntimeWarning, stacklevel=3)
        return None

    if not a.is_file() or not m.is_file():
        return refuse(f"no clause model at {a}")
    try:
        meta = json.loads(m.read_text(encoding="utf-8"))
        with np.load(a) as z:
            coef, head = z["coef"], z["head"]
        net = None
        if n.is_file():
            with np.load(n) as z:
                net = RecallNet.from_arrays(meta.get("facts", []), {k: z[k] for k in z.files})
    except (OSError, ValueError, KeyError) as exc:
        return refuse(f"clause model unreadable ({exc})")
    if meta.get("format") != FORMAT:
        return refuse(f"clause model format {meta.get('format')} is not {FORMAT}")
    if meta.get("taxonomy_version") != TAXONOMY_VERSION:
        return refuse(f"clause model built for taxonomy {meta.get('taxonomy_version')}, "
                      f"this is {TAXONOMY_VERSION}")
    if meta.get("facts") != [s.id for s in specs]:
        return refuse("clause model fact set differs from the taxonomy")
    if coef.shape != (len(specs), 384 + N_EXTRA) or head.shape != (len(specs), 3):
        return refuse("clause model arrays have the wrong shape")
    models = {f: FactModel(coef[i].astype(np.float64), float(head[i, 0]), float(head[i, 1]),
                           float(head[i, 2])) for i, f in enumerate(meta["facts"])}
    ns = NotStatedModel.from_dict(meta["not_stated"]) if meta.get("not_stated") else None
    if ns is not None and ns.coef.shape != (N_NOT_STATED,):
        return refuse("not-stated model has the wrong number of features")
    return LearnedScorer(models, meta, net, ns)


def default_scorer(encode, specs: Sequence[FactSpec] | None = None,
                   model_dir: Path | None = None) -> ClauseScorer:
    """The checked-in learned scorer when it fits this taxonomy, else the prototype scorer
    (`load_scorer` warns why)."""
    return load_scorer(model_dir or MODEL_DIR, specs) or PrototypeScorer(encode, specs)
