"""The learned clause classifier: training material, training, the artefact and its loader.

    python -m extract.learn            # rebuild extract/models/clause_lr.{npz,json}
    python -m extract.learn --check    # rebuild in memory, compare with the checked-in artefact
    python -m extract.learn --report   # ToS;DR clause figures, held out by service + reliability

One L2-regularised logistic regression per fact on the 384-d sentence embedding
(`class_weight="balanced"`), then Platt scaling fitted on out-of-fold decision values of the
clauses that pass the fact's pattern gate — the only clauses the classifier ever judges in
the extractor (see the `classify` docstring for how the pieces combine).

Training material (`material()`), and how each source labels a clause for a fact F:

* **Taxonomy** (`facts.toml`): F's `examples` are positives, its `counter` sentences negatives.
  Another fact's sentence is a negative for F when it does not pass F's pattern gate, and is
  left out for F when it does (it may well state F too: "encrypted in transit" is encryption).
* **Gold policies** (`shared/gold/*.json`, read and segmented like any upload). Positives: the
  clauses holding F's gold evidence quote. Where gold says F is *false* for the policy, every
  clause passing F's gate is a hard negative: the labeller read the whole policy and found no
  statement of F, so these are the most reliable negatives we have. Where gold says F is true,
  gated clauses other than the quoted one are left out: a policy often states a right twice and
  gold quotes one place, so they are not known negatives.
* **ToS;DR clauses** (`shared/dev/tosdr_clauses.jsonl`). A clause labelled F is a positive when
  it passes F's gate; a labelled clause that fails the gate is left out (labels describe the
  reviewer's *case*: "access and deletion" labels a clause that only mentions deletion with
  both facts, and a clause the extractor never judges teaches the wrong boundary). Unlabelled
  clauses (and clauses labelled with other facts) are not guaranteed negatives: they are used
  as negatives for F only when they fail F's gate (easy negatives). Gated unlabelled clauses
  are hard negatives, down-weighted (`W_TOSDR_HARD`), only for facts a ToS;DR case covers
  (rights.access, …): a reviewer who quoted a service for that case had the chance to tag
  them; for facts no case covers they are left out. The coarse labels count as positives of
  one fact: `age` → children.min_age, `retention` → retention.level; `security` leaves the
  gated clauses of every security fact out.

LOPO: `material(exclude=...)` drops everything derived from a policy — its clauses, and the
ToS;DR clauses of the same service or quoted from its text. ToS;DR data is CC BY-SA (credit
"Terms of Service; Didn't Read (tosdr.org), CC BY-SA" where a derived model is shipped).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .model import Clause
from .taxonomy import TAXONOMY_VERSION, FactSpec, taxonomy

__all__ = ["MODEL_DIR", "ARTEFACT", "META", "SHARED_DIR", "Sample", "LearnedScorer",
           "material", "train", "build", "save", "load_scorer", "taxonomy_hash",
           "material_hash", "learned_facts", "derived_from", "EmbeddingCache", "tosdr_rows",
           "gold_policies", "main"]

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(__file__).with_name("models")
ARTEFACT = MODEL_DIR / "clause_lr.npz"
META = MODEL_DIR / "clause_lr.json"
SHARED_DIR = Path(os.environ.get("PRIVACY_SHARED_DIR", ROOT.parent / "shared"))
CACHE_DIR = ROOT / "artifacts" / "embed-cache"  # gitignored; the artefact never depends on it
FORMAT = 1

# Sample weights by source (see module docstring).
W_TAXONOMY = 1.0
W_GOLD = 2.0
W_TOSDR = 1.0
W_TOSDR_HARD = 0.5
C_REG = 1.0            # inverse L2 strength of the per-fact logistic regression
CAL_FOLDS = 5          # GroupKFold folds for the out-of-fold Platt scaling
PLATT_PRIOR = 20.0     # pseudo-observations pulling a fact's Platt fit to the pooled one
COARSE = {"age": "children.min_age", "retention": "retention.level"}
GOLD_FILES = ("gold/seeds.json", "gold/dev.json")
GOLD_DIRS = {"gold/seeds.json": "seeds", "gold/dev.json": "dev/policies"}


def learned_facts(specs: Sequence[FactSpec] | None = None) -> list[FactSpec]:
    """The facts the classifier scores: every fact judged on pattern candidates."""
    return [s for s in (specs or taxonomy()) if s.patterns and s.kind in ("bool", "level", "age")]


def taxonomy_hash(specs: Sequence[FactSpec] | None = None) -> str:
    """SHA-256 of what the model depends on in the taxonomy (ids, patterns, examples)."""
    h = hashlib.sha256()
    for s in learned_facts(specs):
        parts = [s.id, s.kind, s.negation, *(p.pattern for p in s.patterns), "|",
                 *(p.pattern for p in s.exclude), "|", s.context.pattern if s.context else "",
                 "|", *s.examples, "|", *s.counter]
        h.update("\x1f".join(parts).encode() + b"\x1e")
    return h.hexdigest()


# --------------------------------------------------------------------------- material
@dataclass
class Sample:
    """One training sentence: where it comes from and its label for each fact it informs."""

    text: str
    group: str                      # "taxonomy", "tosdr:<service>", "gold:<file name>"
    labels: dict[str, tuple[int, float]] = field(default_factory=dict)  # fact → (y, weight)
    real: bool = True               # a clause from a real document (used for calibration)
    gated: frozenset = frozenset()  # facts whose pattern gate the clause passes


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", Path(name).stem.lower())


def tosdr_rows(shared: Path = SHARED_DIR) -> list[dict]:
    """ToS;DR clauses, one per (service, text), labels merged, in a stable order."""
    merged: dict[tuple[str, str], set] = {}
    with (shared / "dev" / "tosdr_clauses.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            text = r["text"].strip()
            if text:
                merged.setdefault((r["service"], text), set()).update(r["labels"])
    return [{"service": s, "text": t, "labels": sorted(lab)}
            for (s, t), lab in sorted(merged.items())]


def gold_policies(shared: Path = SHARED_DIR) -> list[tuple[str, Path, dict]]:
    """(file name, path, gold entry) of every labelled policy that is present, sorted."""
    out = []
    for gfile in GOLD_FILES:
        gpath = shared / gfile
        if not gpath.is_file():
            continue
        gold = json.loads(gpath.read_text(encoding="utf-8"))["policies"]
        for name in sorted(gold):
            p = shared / GOLD_DIRS[gfile] / name
            if p.is_file():
                out.append((name, p, gold[name]))
    return out


def _read_clauses(path: Path) -> tuple[str, list[Clause]]:
    from .segment import segment
    try:
        from .read import read_path
        doc = read_path(path)
    except ImportError:  # reader not there yet: plain text as one page
        from .model import Document, Page
        text = path.read_text(encoding="utf-8")
        doc = Document(path.name, "", text, (Page(1, 0, len(text)),), "txt")
    return doc.text, segment(doc)


def _gates(specs: Sequence[FactSpec], clauses: Sequence[Clause]) -> dict[int, set]:
    from .classify import find_candidates
    out: dict[int, set] = {}
    for s in specs:
        for c in find_candidates(s, clauses):
            out.setdefault(c.clause.index, set()).add(s.id)
    return out


def _gold_truth(spec: FactSpec, values: Mapping) -> bool:
    from .evaluate import gold_value
    v = gold_value(values, spec.id, spec.kind)
    if spec.kind == "level":
        return v in ("specific", "vague")
    if spec.kind == "age":
        return v is not None
    return bool(v)


def _evidence_clauses(quote: str, clauses: Sequence[Clause]) -> list[Clause]:
    q = _norm(quote)
    if len(q) < 8:
        return []
    hits = [c for c in clauses if not c.is_heading and q in _norm(c.text)]
    if not hits:  # the quote spans several clauses
        hits = [c for c in clauses if not c.is_heading and len(c.text) >= 20
                and _norm(c.text) in q]
    return hits


def derived_from(policy: str, policy_text: str, row: dict) -> bool:
    """Whether a ToS;DR clause comes from `policy` (same service, or quoted from its text)."""
    if _slug(row["service"]) == _slug(policy):
        return True
    t = _norm(row["text"])
    return len(t) >= 40 and t in policy_text


_GOLD_CACHE: dict[str, tuple] = {}


def _gold_material(specs: Sequence[FactSpec], shared: Path) -> list[tuple[str, str, list[Sample]]]:
    """Per gold policy: (name, normalised text, samples)."""
    key = str(shared)
    if key in _GOLD_CACHE:
        return _GOLD_CACHE[key]
    out = []
    for name, path, entry in gold_policies(shared):
        text, clauses = _read_clauses(path)
        gates = _gates(specs, clauses)
        values, evidence = entry.get("values", {}), entry.get("evidence", {})
        samples: dict[int, Sample] = {}
        for spec in specs:
            truth = _gold_truth(spec, values)
            if truth:
                for c in _evidence_clauses(evidence.get(spec.id, ""), clauses):
                    samples.setdefault(c.index, Sample(c.text, f"gold:{name}",
                                                       gated=frozenset(gates.get(c.index, ()))))
                    samples[c.index].labels[spec.id] = (1, W_GOLD)
            else:
                for idx, fids in gates.items():
                    if spec.id in fids:
                        c = clauses[idx]
                        samples.setdefault(idx, Sample(c.text, f"gold:{name}",
                                                       gated=frozenset(fids)))
                        samples[idx].labels[spec.id] = (0, W_GOLD)
        out.append((name, _norm(text), [samples[i] for i in sorted(samples)]))
    _GOLD_CACHE[key] = out
    return out


def _tosdr_material(specs: Sequence[FactSpec], shared: Path) -> list[tuple[dict, Sample]]:
    rows = tosdr_rows(shared)
    clauses = [Clause(i, r["text"], 0, len(r["text"]), 1) for i, r in enumerate(rows)]
    gates = _gates(specs, clauses)
    ids = {s.id for s in specs}
    covered = {lab for r in rows for lab in r["labels"]} & ids
    coarse_security = {s.id for s in specs if s.area == "security"}
    out = []
    for i, r in enumerate(rows):
        g = gates.get(i, set())
        pos = {lab for lab in r["labels"] if lab in ids} | {COARSE[lab] for lab in r["labels"]
                                                            if lab in COARSE}
        unknown = coarse_security if "security" in r["labels"] else set()
        s = Sample(r["text"], f"tosdr:{r['service']}", gated=frozenset(g))
        for spec in specs:
            f = spec.id
            if f in pos:
                if f in g:
                    s.labels[f] = (1, W_TOSDR)
            elif f not in g:
                s.labels[f] = (0, W_TOSDR)
            elif f in covered and f not in unknown:
                s.labels[f] = (0, W_TOSDR_HARD)
        out.append((r, s))
    return out


def _taxonomy_material(specs: Sequence[FactSpec]) -> list[Sample]:
    sents: dict[str, Sample] = {}
    for spec in specs:
        for text, y in [(t, 1) for t in spec.examples] + [(t, 0) for t in spec.counter]:
            s = sents.setdefault(text, Sample(text, "taxonomy", real=False))
            if s.labels.get(spec.id, (0, 0))[0] == 1:
                continue
            s.labels[spec.id] = (y, W_TAXONOMY)
    clauses = [Clause(i, t, 0, len(t), 1) for i, t in enumerate(sents)]
    gates = _gates(specs, clauses)
    for i, s in enumerate(sents.values()):
        s.gated = frozenset(gates.get(i, ()))
        for spec in specs:
            if spec.id not in s.labels and spec.id not in s.gated:
                s.labels[spec.id] = (0, W_TAXONOMY)
    return list(sents.values())


def material(shared: Path = SHARED_DIR, exclude: Iterable[str] = (),
             specs: Sequence[FactSpec] | None = None, tosdr: bool = True,
             gold: bool = True) -> list[Sample]:
    """All training samples, without anything derived from the policies in `exclude`."""
    specs = learned_facts(specs)
    exclude = set(exclude)
    golds = _gold_material(specs, shared) if gold or exclude else []
    out = list(_taxonomy_material(specs))
    if gold:
        for name, _, samples in golds:
            if name not in exclude:
                out += samples
    if tosdr:
        for r, s in _tosdr_material(specs, shared):
            if any(derived_from(name, t, r) for name, t, _ in golds if name in exclude):
                continue
            out.append(s)
    return out


def material_hash(samples: Sequence[Sample]) -> str:
    h = hashlib.sha256()
    for s in samples:
        labs = ",".join(f"{f}={y}:{w:g}" for f, (y, w) in sorted(s.labels.items()))
        h.update(f"{s.group}\x1f{s.text}\x1f{labs}\x1f{int(s.real)}\x1e".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- embeddings
class EmbeddingCache:
    """text → embedding, computed once; optionally persisted under artifacts/ (gitignored).

    `matrix(texts)` encodes the missing texts in sorted order with fixed batches, so a matrix
    is the same whether or not some of it came from the cache of an earlier identical call.
    """

    def __init__(self, encode: Callable | None = None, disk: bool = False):
        self._encode = encode
        self._vec: dict[str, np.ndarray] = {}
        self.disk = disk

    @property
    def encode(self) -> Callable:
        if self._encode is None:
            from .embed import SentenceEncoder
            self._encode = SentenceEncoder().transform
        return self._encode

    def _disk_path(self, texts: Sequence[str]) -> Path:
        from .embed import MODEL_SHA256
        h = hashlib.sha256(MODEL_SHA256.encode())
        for t in texts:
            h.update(t.encode() + b"\x1e")
        return CACHE_DIR / f"{h.hexdigest()[:32]}.npy"

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self._vec})
        if missing:
            path = self._disk_path(missing) if self.disk else None
            if path is not None and path.is_file():
                emb = np.load(path)
            else:
                emb = np.asarray(self.encode(missing), dtype=np.float32)
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, emb)
            for t, v in zip(missing, emb):
                self._vec[t] = v
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vec[t] for t in texts])

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """An `encode` function for `FactExtractor`: cached, batch-independent per call."""
        return self.matrix(list(texts))


# --------------------------------------------------------------------------- model
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _platt(s: np.ndarray, y: np.ndarray, prior: tuple[float, float] | None = None,
           strength: float = 0.0) -> tuple[float, float]:
    """Platt scaling p = σ(a·s + b) by Newton's method, with Platt's smoothed targets and an
    optional Gaussian prior (worth `strength` observations) centred on `prior`."""
    n_pos, n_neg = float((y == 1).sum()), float((y == 0).sum())
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = prior if prior else (1.0, 0.0)
    mu = np.array(prior if prior else (1.0, 0.0))
    lam = strength / max(len(s), 1) if prior else 1e-6
    theta = np.array([a, b], dtype=float)
    X = np.column_stack([s, np.ones_like(s)])
    for _ in range(100):
        p = _sigmoid(X @ theta)
        grad = X.T @ (p - t) / max(len(s), 1) + lam * (theta - mu)
        hess = (X.T * (p * (1 - p))) @ X / max(len(s), 1) + lam * np.eye(2) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


def _fit_lr(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression
    if y.min() == y.max():
        return np.zeros(X.shape[1]), (4.0 if y[0] else -4.0)
    lr = LogisticRegression(C=C_REG, class_weight="balanced", max_iter=2000, tol=1e-6)
    lr.fit(X, y, sample_weight=w)
    return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


@dataclass
class FactModel:
    coef: np.ndarray
    intercept: float
    a: float
    b: float
    n_pos: int = 0
    n_neg: int = 0
    n_cal: int = 0


def _design(samples: Sequence[Sample], emb: np.ndarray, fid: str):
    rows = [i for i, s in enumerate(samples) if fid in s.labels]
    y = np.array([samples[i].labels[fid][0] for i in rows], dtype=int)
    w = np.array([samples[i].labels[fid][1] for i in rows], dtype=float)
    return rows, emb[rows], y, w


def _folds(samples: Sequence[Sample], n: int) -> np.ndarray:
    """A fold number for each real sample's group (-1 for taxonomy sentences), deterministic."""
    groups = sorted({s.group for s in samples if s.real})
    fold_of = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % n for g in groups}
    return np.array([fold_of[s.group] if s.real else -1 for s in samples])


def train(samples: Sequence[Sample], emb: np.ndarray,
          specs: Sequence[FactSpec] | None = None, calibrate: bool = True) -> dict[str, FactModel]:
    """Fit one calibrated logistic regression per fact."""
    specs = learned_facts(specs)
    folds = _folds(samples, CAL_FOLDS)
    fitted: dict[str, tuple] = {}
    oof: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for spec in specs:
        fid = spec.id
        rows, X, y, w = _design(samples, emb, fid)
        coef, b0 = _fit_lr(X, y, w)
        fitted[fid] = (coef, b0, int(y.sum()), int((1 - y).sum()))
        if not calibrate:
            continue
        # Out-of-fold decision values of the real clauses that pass the gate.
        cal = np.array([samples[i].real and fid in samples[i].gated for i in rows])
        s_oof, y_oof = [], []
        f_rows = folds[rows]
        for k in range(CAL_FOLDS):
            test = cal & (f_rows == k)
            if not test.any():
                continue
            train_m = f_rows != k
            c, b = _fit_lr(X[train_m], y[train_m], w[train_m])
            s_oof.append(X[test] @ c + b)
            y_oof.append(y[test])
        oof[fid] = (np.concatenate(s_oof) if s_oof else np.zeros(0),
                    np.concatenate(y_oof) if y_oof else np.zeros(0, dtype=int))
    models = {}
    if calibrate:
        all_s = np.concatenate([v[0] for v in oof.values()])
        all_y = np.concatenate([v[1] for v in oof.values()])
        pooled = _platt(all_s, all_y) if len(all_s) and 0 < all_y.sum() < len(all_y) else (1.0, 0.0)
    for spec in specs:
        coef, b0, n_pos, n_neg = fitted[spec.id]
        if calibrate:
            s, y = oof[spec.id]
            a, b = _platt(s, y, pooled, PLATT_PRIOR) if len(s) else pooled
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


class LearnedScorer:
    """Calibrated per-fact logistic regression on clause embeddings (a `ClauseScorer`)."""

    calibrated = True

    def __init__(self, models: Mapping[str, FactModel], meta: Mapping | None = None):
        self.models = dict(models)
        self.meta = dict(meta or {})
        self.absent_confidence = float(self.meta.get("absent_confidence", 0.9))

    def decision(self, fact_id: str, embeddings: np.ndarray) -> np.ndarray:
        m = self.models[fact_id]
        return embeddings.astype(np.float64) @ m.coef + m.intercept

    def score(self, fact_id: str, embeddings: np.ndarray) -> np.ndarray:
        if fact_id not in self.models or len(embeddings) == 0:
            return np.full(len(embeddings), 0.5)
        m = self.models[fact_id]
        return _sigmoid(m.a * self.decision(fact_id, embeddings) + m.b)


def _absent_confidence(shared: Path, specs, exclude: Iterable[str] = ()) -> float:
    from .classify import find_candidates
    pairs = []
    for name, path, entry in gold_policies(shared):
        if name in exclude:
            continue
        _, clauses = _read_clauses(path)
        truth = {s.id: _gold_truth(s, entry.get("values", {})) for s in specs if s.is_bool}
        cands = {s.id for s in specs if s.is_bool and find_candidates(s, clauses)}
        pairs.append((truth, cands))
    return round(absent_rate(pairs), 4)


def build(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None,
          exclude: Iterable[str] = ()) -> LearnedScorer:
    """Train on all material (minus `exclude`) and return the scorer with its metadata."""
    import sklearn
    specs = learned_facts()
    samples = material(shared, exclude)
    cache = cache or EmbeddingCache(disk=True)
    emb = cache.matrix([s.text for s in samples])
    models = train(samples, emb, specs)
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
                           "platt_a": round(m.a, 6), "platt_b": round(m.b, 6)}
                     for fid, m in models.items()},
        "params": {"C": C_REG, "class_weight": "balanced", "w_taxonomy": W_TAXONOMY,
                   "w_gold": W_GOLD, "w_tosdr": W_TOSDR, "w_tosdr_hard": W_TOSDR_HARD,
                   "calibration": f"Platt on {CAL_FOLDS}-fold out-of-fold gated clauses, "
                                  f"prior {PLATT_PRIOR:g} toward pooled"},
        "credits": "Trained in part on Terms of Service; Didn't Read (tosdr.org), CC BY-SA.",
    }
    return LearnedScorer(models, meta)


# --------------------------------------------------------------------------- artefact
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
    m.write_bytes(_meta_bytes(scorer.meta))
    return a, m


def load_scorer(directory: Path = MODEL_DIR, specs: Sequence[FactSpec] | None = None,
                strict: bool = False) -> LearnedScorer | None:
    """The checked-in scorer, or None (with a warning) when missing or built for another
    taxonomy version / fact set. `strict` raises instead."""
    specs = learned_facts(specs)
    a, m = directory / ARTEFACT.name, directory / META.name

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
    except (OSError, ValueError, KeyError) as exc:
        return refuse(f"clause model unreadable ({exc})")
    if meta.get("format") != FORMAT:
        return refuse(f"clause model format {meta.get('format')} is not {FORMAT}")
    if meta.get("taxonomy_version") != TAXONOMY_VERSION:
        return refuse(f"clause model built for taxonomy {meta.get('taxonomy_version')}, "
                      f"this is {TAXONOMY_VERSION}")
    if meta.get("facts") != [s.id for s in specs]:
        return refuse("clause model fact set differs from the taxonomy")
    if coef.shape != (len(specs), 384) or head.shape != (len(specs), 3):
        return refuse("clause model arrays have the wrong shape")
    models = {f: FactModel(coef[i].astype(np.float64), float(head[i, 0]), float(head[i, 1]),
                           float(head[i, 2])) for i, f in enumerate(meta["facts"])}
    return LearnedScorer(models, meta)


def check(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None) -> list[str]:
    """Rebuild in memory and compare with the checked-in artefact; return the differences."""
    problems = []
    built = build(shared, cache)
    try:
        saved_meta = json.loads(META.read_text(encoding="utf-8"))
    except OSError:
        return [f"no artefact at {META}"]
    for key in ("taxonomy_version", "taxonomy_hash", "facts", "training_data_hash"):
        if saved_meta.get(key) != built.meta.get(key):
            problems.append(f"{key} differs: checked-in {str(saved_meta.get(key))[:16]}…, "
                            f"rebuilt {str(built.meta.get(key))[:16]}…")
    new = _arrays(built)
    with np.load(ARTEFACT) as z:
        old = {k: z[k] for k in z.files}
    for k in new:
        if k not in old or old[k].shape != new[k].shape:
            problems.append(f"array {k} shape differs")
        elif not np.allclose(old[k], new[k], atol=2e-4):
            problems.append(f"array {k} differs by up to {np.abs(old[k] - new[k]).max():.2g}")
    if not problems and _npz_bytes(new) != ARTEFACT.read_bytes():
        print("note: rebuild equal within 2e-4 but not byte-identical", file=sys.stderr)
    return problems


# --------------------------------------------------------------------------- report
def tosdr_report(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None,
                 n_splits: int = 5) -> dict:
    """Held-out ToS;DR clause figures (GroupKFold by service) and a reliability table."""
    from sklearn.model_selection import GroupKFold
    from .classify import DECISION_THRESHOLD
    specs = learned_facts()
    cache = cache or EmbeddingCache(disk=True)
    tax = _taxonomy_material(specs)
    golds = _gold_material(specs, shared)
    tos = _tosdr_material(specs, shared)
    rows = [r for r, _ in tos]
    services = np.array([r["service"] for r in rows])
    E_tos = cache.matrix([s.text for _, s in tos])
    ids = [s.id for s in specs]
    P = np.zeros((len(rows), len(ids)))
    for tr, te in GroupKFold(n_splits=n_splits).split(E_tos, groups=services):
        keep_gold = [smp for name, t, smps in golds
                     if not any(derived_from(name, t, rows[i]) for i in te) for smp in smps]
        samples = tax + keep_gold + [tos[i][1] for i in tr]
        emb = cache.matrix([s.text for s in samples])
        scorer = LearnedScorer(train(samples, emb, specs))
        for j, f in enumerate(ids):
            P[te, j] = scorer.score(f, E_tos[te])
    gated = np.array([[f in s.gated for f in ids] for _, s in tos])
    label_facts = {}
    for r in rows:
        for lab in r["labels"]:
            f = COARSE.get(lab, lab)
            label_facts[f] = label_facts.get(f, 0) + 1
    result = {"per_fact": {}, "reliability": [], "n_clauses": len(rows),
              "n_services": len(set(services))}

    def prf(pred, gold):
        tp = int((pred & gold).sum()); fp = int((pred & ~gold).sum()); fn = int((~pred & gold).sum())
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return {"P": round(p, 3), "R": round(r, 3),
                "F1": round(2 * p * r / (p + r) if p + r else 0.0, 3), "tp": tp, "fp": fp, "fn": fn}

    thr = DECISION_THRESHOLD
    for f, n in sorted(label_facts.items(), key=lambda t: -t[1]):
        if f == "security" or f not in ids:
            continue
        j = ids.index(f)
        gold = np.array([f in r["labels"] or any(COARSE.get(l) == f for l in r["labels"])
                         for r in rows])
        result["per_fact"][f] = {"n": int(gold.sum()),
                                 "classifier": prf(P[:, j] >= thr, gold),
                                 "gate": prf(gated[:, j], gold),
                                 "gate+classifier": prf(gated[:, j] & (P[:, j] >= thr), gold)}
    # "security" (coarse): any security fact
    sec = [ids.index(s.id) for s in specs if s.area == "security"]
    gold = np.array(["security" in r["labels"] or any(l.startswith("security.") for l in r["labels"])
                     for r in rows])
    result["per_fact"]["security (any)"] = {
        "n": int(gold.sum()),
        "classifier": prf((P[:, sec] >= thr).any(axis=1), gold),
        "gate": prf(gated[:, sec].any(axis=1), gold),
        "gate+classifier": prf((gated[:, sec] & (P[:, sec] >= thr)).any(axis=1), gold)}
    # Reliability on held-out gated clauses, facts a ToS;DR label covers (else no positives).
    ps, ys = [], []
    for f in label_facts:
        if f not in ids:
            continue
        j = ids.index(f)
        gold = np.array([f in r["labels"] or any(COARSE.get(l) == f for l in r["labels"])
                         for r in rows])
        m = gated[:, j]
        ps.append(P[m, j]); ys.append(gold[m])
    ps, ys = np.concatenate(ps), np.concatenate(ys).astype(float)
    edges = np.linspace(0, 1, 11)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (ps >= lo) & ((ps < hi) | (hi == 1.0))
        if m.any():
            result["reliability"].append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()),
                                          "mean_p": round(float(ps[m].mean()), 3),
                                          "observed": round(float(ys[m].mean()), 3)})
    ece = sum(b["n"] * abs(b["mean_p"] - b["observed"]) for b in result["reliability"]) / len(ps)
    result["calibration"] = {"n": int(len(ps)), "mean_p": round(float(ps.mean()), 3),
                             "observed": round(float(ys.mean()), 3),
                             "brier": round(float(((ps - ys) ** 2).mean()), 4),
                             "ece": round(float(ece), 4)}
    return result


def format_tosdr_report(res: dict) -> str:
    lines = [f"ToS;DR clauses held out by service (GroupKFold 5): {res['n_clauses']} clauses, "
             f"{res['n_services']} services; labels are the reviewers' cases (noisy, see docs)",
             f"{'fact':28}{'n':>5}  {'classifier alone P/R/F1':>26}  {'pattern gate P/R/F1':>22}"
             f"  {'gate+classifier P/R/F1':>24}"]
    for f, d in res["per_fact"].items():
        cells = ["{P:.2f}/{R:.2f}/{F1:.2f}".format(**d[k])
                 for k in ("classifier", "gate", "gate+classifier")]
        lines.append(f"{f:28}{d['n']:5d}  {cells[0]:>26}  {cells[1]:>22}  {cells[2]:>24}")
    lines.append("\nReliability (held-out gated clauses of the facts ToS;DR labels):")
    lines.append(f"{'bin':>10}{'n':>7}{'mean p':>9}{'observed':>10}")
    for b in res["reliability"]:
        lines.append(f"{b['bin']:>10}{b['n']:7d}{b['mean_p']:9.3f}{b['observed']:10.3f}")
    c = res["calibration"]
    lines.append(f"{'all':>10}{c['n']:7d}{c['mean_p']:9.3f}{c['observed']:10.3f}   "
                 f"Brier {c['brier']:.4f}  ECE {c['ece']:.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.learn", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED_DIR, help="the shared/ data folder")
    ap.add_argument("--check", action="store_true",
                    help="rebuild in memory and compare with the checked-in artefact")
    ap.add_argument("--report", action="store_true",
                    help="ToS;DR held-out figures by service and the reliability table")
    ap.add_argument("--no-cache", action="store_true", help="do not use artifacts/embed-cache")
    args = ap.parse_args(argv)
    cache = EmbeddingCache(disk=not args.no_cache)
    if args.report:
        print(format_tosdr_report(tosdr_report(args.shared, cache)))
        return 0
    if args.check:
        problems = check(args.shared, cache)
        for p in problems:
            print(f"differs: {p}")
        print("artefact reproduces" if not problems else
              "artefact is stale: run `python -m extract.learn` and commit extract/models/")
        return 1 if problems else 0
    scorer = build(args.shared, cache)
    a, m = save(scorer)
    print(f"wrote {a.relative_to(ROOT)} ({a.stat().st_size:,} bytes) and {m.relative_to(ROOT)}; "
          f"{scorer.meta['n_samples']} samples, data {scorer.meta['training_data_hash'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
