"""The learned clause classifier: training material, training, the artefact and its loader.

    python -m extract.learn            # rebuild extract/models/clause_lr.{npz,json}
    python -m extract.learn --check    # rebuild in memory, compare with the checked-in artefact
    python -m extract.learn --report   # ToS;DR clause figures, held out by service + reliability

**Model.** One L2-regularised logistic regression per fact (`class_weight="balanced"`, C=4) on
the clause's 384-d sentence embedding plus three pattern features (`extra_features`: passes
the fact's gate, pattern strength, number of other same-area facts the clause is a candidate
for), then Platt scaling fitted on out-of-fold decision values (GroupKFold by source: ToS;DR
service or gold policy) of the real clauses that pass the fact's gate — the only clauses the
classifier ever judges in the extractor. A fact with fewer than `MIN_CAL` such positives or
negatives gets the pooled Platt fit; the others are pulled toward it (`PLATT_PRIOR`). How the
model combines with the rules is described once, in the `classify` docstring.

**Training material** (`material()`), and how each source labels a clause for a fact F:

* **Taxonomy** (`facts.toml`): F's `examples` are positives, its `counter` sentences negatives
  (written by us in general policy language). Another fact's sentence is a negative for F when
  it does not pass F's pattern gate, and is left out for F when it does (it may state F too:
  "encrypted in transit" is also encryption).
* **Gold policies** (`shared/gold/*.json`, read and segmented like any upload). Positives: the
  clauses holding F's gold evidence quote. Where gold says F is *false* for the policy, every
  clause passing F's gate is a hard negative: the labeller read the whole policy and found no
  statement of F, so these are the most reliable hard negatives we have (noise: labeller
  error only). Where gold says F is true, gated clauses other than the quoted one are left
  out: policies restate rights and gold quotes one place, so they are not known negatives.
* **ToS;DR clauses** (`shared/dev/tosdr_clauses.jsonl`, CC BY-SA). A clause labelled F is a
  positive when it passes F's gate; a labelled clause that fails the gate is left out (labels
  name the reviewer's *case*: "access and deletion" labels a clause that only mentions
  deletion with both facts, and the extractor never judges an ungated clause anyway). An
  unlabelled clause is not a guaranteed negative: it is an easy negative for F when it fails
  F's gate; when it passes the gate it is a *guessed* hard negative, weighted `W_TOSDR_HARD`
  (0.5), and only for facts a ToS;DR case covers (our fact ids, and `age`); for the others —
  rectification, retention (its cases cover only some retention statements) … — no reviewer
  could have tagged it, so it is left out. An audit of 40 random guessed negatives found 9
  of 23 stating the fact (rights 7 of 16) and 0 of 17 for children.min_age, so in calibration
  a guessed negative has the soft target 0.4 (`Q_GUESSED`; 0 for min_age), not 0. Gold
  policies alone give only 7 gated clauses of false facts: too few to calibrate on. Coarse
  labels: `age` → children.min_age and `retention` → retention.level are positives;
  `security` leaves the gated clauses of every security fact out. Of the ToS;DR clauses that
  no label or gate concerns (easy negatives for every fact), a fixed 1 in `EASY_KEEP` (by
  text hash) is kept, for speed.
  **Audited clauses override all of this.** For the nine facts ToS;DR labels ≥ 20 times, every
  gated or labelled clause was re-annotated blind for what it itself states
  (`extract.audit`, `data/eval/tosdr_audit.jsonl`); a gated clause with a verdict takes that
  verdict as its label (weight `W_TOSDR`, calibration target 1 / 0, not guessed). The held-out
  report trains on the audited labels of the training services only.

**LOPO.** `material(exclude=...)` drops everything derived from a policy: its clauses, and the
ToS;DR clauses of the same service or quoted from its text. `build(exclude=...)` also leaves
it out of the absent-fact rate. `python -m extract.evaluate --lopo` retrains per policy.

**Artefact.** `models/clause_lr.npz` (coefficients and Platt parameters, float32 rounded to
1e-5) and `models/clause_lr.json` (taxonomy version and hash, fact list, training-data hash,
sklearn version, per-fact counts, credits). Rebuilds are deterministic (sorted inputs, fixed
folds from hashed group names, no random state); `--check` compares a rebuild within 2e-4 and
says whether the bytes are identical. The loader refuses an artefact built for another
taxonomy version or fact set, and the extractor then falls back to the prototype scorer.
Credit: "Terms of Service; Didn't Read (tosdr.org), CC BY-SA".
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

from .audit import AUDIT_FILE, AUDITED_FACTS, clause_id, load_audit
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
# Embeddings kept across runs (gitignored; results never depend on it, only speed).
CACHE_DIR = Path(os.environ.get("PRIVACY_EMBED_CACHE", ROOT / "artifacts" / "embed-cache"))
FORMAT = 2

# Sample weights by source (see module docstring).
W_TAXONOMY = 1.0
W_GOLD = 2.0
W_TOSDR = 1.0
W_TOSDR_HARD = 0.5     # gated unlabelled ToS;DR clauses (guessed negatives; see docstring)
EASY_KEEP = 4          # keep 1 in EASY_KEEP ToS;DR clauses that no label or gate concerns
MIN_CAL = 5            # a fact gets its own Platt fit with >= MIN_CAL gated positives and negatives
# Calibration target of a gated ToS;DR clause without F's label: the share of such clauses that
# do state F, from an audit of 40 random ones: 0 of 17 for children.min_age (its gate is broad:
# "parents", "age"), 9 of 23 for the other facts (rights 7 of 16).
Q_GUESSED = {"children.min_age": 0.0}
Q_GUESSED_DEFAULT = 0.4
C_REG = 4.0            # inverse L2 strength of the per-fact logistic regression
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
    gated: dict = field(default_factory=dict)  # fact → pattern strength, for facts whose
                                               # pattern gate the clause passes
    checked: set = field(default_factory=set)  # facts whose label a person checked on this
                                               # clause (the ToS;DR audit): not guessed


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


_READ_CACHE: dict[tuple[str, int, int], tuple[str, list[Clause]]] = {}


def _read_clauses(path: Path) -> tuple[str, list[Clause]]:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _READ_CACHE:
        _READ_CACHE[key] = _read_clauses_uncached(path)
    return _READ_CACHE[key]


def _read_clauses_uncached(path: Path) -> tuple[str, list[Clause]]:
    from .segment import segment
    try:
        from .read import read_path
        doc = read_path(path)
    except ImportError:  # reader not there yet: plain text as one page
        from .model import Document, Page
        text = path.read_text(encoding="utf-8")
        doc = Document(path.name, "", text, (Page(1, 0, len(text)),), "txt")
    return doc.text, segment(doc)


def _gates(specs: Sequence[FactSpec], clauses: Sequence[Clause]) -> dict[int, dict]:
    """{clause index: {fact: pattern strength}} for the facts whose gate each clause passes."""
    from .classify import find_candidates
    out: dict[int, dict] = {}
    for s in specs:
        for c in find_candidates(s, clauses):
            out.setdefault(c.clause.index, {})[s.id] = c.strength
    return out


N_EXTRA = 3


def extra_features(fact_id: str, gated: Mapping[str, float], specs: Sequence[FactSpec]
                   ) -> list[float]:
    """The pattern side of a clause for one fact: passes the gate, pattern strength, and how
    many other facts of the same area it is a candidate for (a list of rights or controls)."""
    area = {s.id: s.area for s in specs}
    n_area = sum(1 for f in gated if f != fact_id and area.get(f) == area.get(fact_id))
    return [float(fact_id in gated), float(gated.get(fact_id, 0.0)), min(n_area, 4) / 4]


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


_GOLD_CACHE: dict[tuple[str, str], list] = {}


def _gold_material(specs: Sequence[FactSpec], shared: Path) -> list[tuple[str, str, list[Sample]]]:
    """Per gold policy: (name, normalised text, samples)."""
    key = (str(shared), taxonomy_hash(specs))
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
                                                       gated=dict(gates.get(c.index, {}))))
                    samples[c.index].labels[spec.id] = (1, W_GOLD)
            else:
                for idx, fids in gates.items():
                    if spec.id in fids:
                        c = clauses[idx]
                        samples.setdefault(idx, Sample(c.text, f"gold:{name}",
                                                       gated=dict(fids)))
                        samples[idx].labels[spec.id] = (0, W_GOLD)
        out.append((name, _norm(text), [samples[i] for i in sorted(samples)]))
    _GOLD_CACHE[key] = out
    return out


_TOSDR_CACHE: dict[tuple, list] = {}


def _audit_key() -> str:
    return hashlib.sha256(AUDIT_FILE.read_bytes()).hexdigest() if AUDIT_FILE.is_file() else ""



def _tosdr_material(specs: Sequence[FactSpec], shared: Path,
                    subsample: bool = True) -> list[tuple[dict, Sample]]:
    key = (str(shared), subsample, taxonomy_hash(specs), _audit_key())
    if key not in _TOSDR_CACHE:
        _TOSDR_CACHE[key] = _tosdr_material_uncached(specs, shared, subsample)
    return _TOSDR_CACHE[key]


def _tosdr_material_uncached(specs, shared, subsample) -> list[tuple[dict, Sample]]:
    rows = tosdr_rows(shared)
    clauses = [Clause(i, r["text"], 0, len(r["text"]), 1) for i, r in enumerate(rows)]
    gates = _gates(specs, clauses)
    ids = {s.id for s in specs}
    # Facts a ToS;DR case covers: our fact ids, and `age` (its one case is our fact). The
    # `retention` cases cover only some retention statements, so not retention.level.
    covered = {COARSE.get(lab, lab) for r in rows for lab in r["labels"]
               if lab != "retention"} & ids
    coarse_security = {s.id for s in specs if s.area == "security"}
    verdicts = load_audit()
    out = []
    for i, r in enumerate(rows):
        g = gates.get(i, {})
        if subsample and not g and not r["labels"] and \
                int(hashlib.sha256(r["text"].encode()).hexdigest(), 16) % EASY_KEEP:
            continue  # an easy negative for every fact: keep a fixed sample (speed)
        pos = {lab for lab in r["labels"] if lab in ids} | {COARSE[lab] for lab in r["labels"]
                                                            if lab in COARSE}
        unknown = coarse_security if "security" in r["labels"] else set()
        s = Sample(r["text"], f"tosdr:{r['service']}", gated=dict(g))
        cid = clause_id(r["service"], r["text"])
        for spec in specs:
            f = spec.id
            if f in g and (cid, f) in verdicts:  # audited: what the clause itself states
                s.labels[f] = (int(verdicts[cid, f]), W_TOSDR)
                s.checked.add(f)
            elif f in pos:
                if f in g:
                    s.labels[f] = (1, W_TOSDR)
            elif f not in g:
                s.labels[f] = (0, W_TOSDR)
            elif f in covered and f not in unknown and W_TOSDR_HARD > 0:
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
        s.gated = dict(gates.get(i, {}))
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
    """text → embedding, each text encoded once; `disk=True` also keeps them across runs in
    artifacts/embed-cache/ (gitignored, keyed by text and model checksum).

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
            from .embed import SentenceEncoder
            self._encode = SentenceEncoder().transform
        return self._encode

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _path(self) -> Path:
        from .embed import MODEL_SHA256
        return CACHE_DIR / f"minilm-{MODEL_SHA256[:12]}.npz"

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


# --------------------------------------------------------------------------- model
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


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


@dataclass
class FactModel:
    coef: np.ndarray
    intercept: float
    a: float
    b: float
    n_pos: int = 0
    n_neg: int = 0
    n_cal: int = 0


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


class LearnedScorer:
    """Calibrated per-fact logistic regression on clause embeddings (a `ClauseScorer`)."""

    calibrated = True

    def __init__(self, models: Mapping[str, FactModel], meta: Mapping | None = None):
        self.models = dict(models)
        self.meta = dict(meta or {})
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
        return _sigmoid(m.a * self.decision(fact_id, embeddings, extra) + m.b)


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
                                  f"prior {PLATT_PRIOR:g} toward pooled, guessed negatives "
                                  f"target {Q_GUESSED_DEFAULT:g} (min_age 0)"},
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
    if coef.shape != (len(specs), 384 + N_EXTRA) or head.shape != (len(specs), 3):
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
    tos = _tosdr_material(specs, shared, subsample=False)
    train_keys = {(r["service"], r["text"]) for r, _ in _tosdr_material(specs, shared)}
    rows = [r for r, _ in tos]
    services = np.array([r["service"] for r in rows])
    E_tos = cache.matrix([s.text for _, s in tos])
    ids = [s.id for s in specs]
    P = np.zeros((len(rows), len(ids)))
    for tr, te in GroupKFold(n_splits=n_splits).split(E_tos, groups=services):
        keep_gold = [smp for name, t, smps in golds
                     if not any(derived_from(name, t, rows[i]) for i in te) for smp in smps]
        samples = tax + keep_gold + [tos[i][1] for i in tr
                                     if (rows[i]["service"], rows[i]["text"]) in train_keys]
        emb = cache.matrix([s.text for s in samples])
        scorer = LearnedScorer(train(samples, emb, specs))
        for j, f in enumerate(ids):
            extra = np.array([extra_features(f, tos[i][1].gated, specs) for i in te])
            P[te, j] = scorer.score(f, E_tos[te], extra)
    gated = np.array([[f in s.gated for f in ids] for _, s in tos])
    label_facts = {}
    for r in rows:
        for lab in r["labels"]:
            f = COARSE.get(lab, lab)
            label_facts[f] = label_facts.get(f, 0) + 1
    result = {"per_fact": {}, "reliability": [], "n_clauses": len(rows),
              "n_services": len(set(services)), "reliability_reference": ""}
    verdicts = load_audit()
    cids = [clause_id(r["service"], r["text"]) for r in rows]

    def labelled(f: str) -> np.ndarray:
        """Each clause: does ToS;DR label it with `f` (coarse labels mapped)?"""
        return np.array([f in r["labels"] or any(COARSE.get(l) == f for l in r["labels"])
                         for r in rows])

    def audited(f: str) -> np.ndarray:
        """Each clause: does the blind audit say it states `f`? (unaudited: no)"""
        return np.array([verdicts.get((c, f), False) for c in cids])

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
        gold = labelled(f)
        fp = np.flatnonzero(gated[:, j] & (P[:, j] >= thr) & ~gold)
        result.setdefault("false_positives", {})[f] = [
            (round(float(P[i, j]), 3), rows[i]["service"], rows[i]["text"][:200]) for i in fp]
        result["per_fact"][f] = {"n": int(gold.sum()),
                                 "classifier": prf(P[:, j] >= thr, gold),
                                 "gate": prf(gated[:, j], gold),
                                 "gate+classifier": prf(gated[:, j] & (P[:, j] >= thr), gold)}
    # The same predictions against the blind re-annotation (`extract.audit`).
    if verdicts:
        for f in AUDITED_FACTS:
            if f not in result["per_fact"]:
                continue
            j = ids.index(f)
            tosdr = labelled(f)
            seen = np.array([(c, f) in verdicts for c in cids])
            gold = audited(f)
            unaudited = int((gated[:, j] & ~seen).sum())
            result["per_fact"][f]["audited"] = prf(gated[:, j] & (P[:, j] >= thr), gold)
            result["per_fact"][f]["audit"] = {
                "n": int(gold.sum()), "audited": int(seen.sum()), "unaudited_gated": unaudited,
                # how often the ToS;DR label agrees with the re-annotation, where either is set
                "label_agreement": round(float((tosdr == gold)[seen].mean()), 3)}
    # "security" (coarse): any security fact
    sec = [ids.index(s.id) for s in specs if s.area == "security"]
    gold = np.array(["security" in r["labels"] or any(l.startswith("security.") for l in r["labels"])
                     for r in rows])
    result["per_fact"]["security (any)"] = {
        "n": int(gold.sum()),
        "classifier": prf((P[:, sec] >= thr).any(axis=1), gold),
        "gate": prf(gated[:, sec].any(axis=1), gold),
        "gate+classifier": prf((gated[:, sec] & (P[:, sec] >= thr)).any(axis=1), gold)}
    # Reliability on held-out gated clauses of the audited facts, against the audit (what the
    # clause states); without the audit file, against the ToS;DR labels.
    ps, ys = [], []
    for f in (AUDITED_FACTS if verdicts else label_facts):
        if f not in ids:
            continue
        j = ids.index(f)
        gold = audited(f) if verdicts else labelled(f)
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
    result["reliability_reference"] = "the blind audit" if verdicts else "the ToS;DR labels"
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
    audited = [(f, d) for f, d in res["per_fact"].items() if "audited" in d]
    if audited:
        lines.append("\nThe same held-out predictions against the blind re-annotation "
                     "(extract/audit.py, data/eval/tosdr_audit.jsonl):")
        lines.append(f"{'fact':28}{'n':>5}  {'gate+classifier P/R/F1':>24}  {'audited':>8}"
                     f"  {'ToS;DR label agrees':>20}")
        for f, d in audited:
            a = d["audit"]
            cell = "{P:.2f}/{R:.2f}/{F1:.2f}".format(**d["audited"])
            extra = f"  ({a['unaudited_gated']} gated clauses unaudited)" \
                if a["unaudited_gated"] else ""
            lines.append(f"{f:28}{a['n']:5d}  {cell:>24}  {a['audited']:8d}"
                         f"  {a['label_agreement']:20.2f}{extra}")
    lines.append(f"\nReliability (held-out gated clauses, against {res['reliability_reference']}):")
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
    ap.add_argument("--show-fp", type=int, default=0, metavar="N",
                    help="with --report: print N held-out false positives per fact")
    ap.add_argument("--no-cache", action="store_true", help="do not use artifacts/embed-cache")
    args = ap.parse_args(argv)
    cache = EmbeddingCache(disk=not args.no_cache)
    if args.report:
        res = tosdr_report(args.shared, cache)
        print(format_tosdr_report(res))
        for f, fps in res.get("false_positives", {}).items() if args.show_fp else ():
            print(f"\n{f}: {len(fps)} gated clauses accepted but not labelled {f} (first "
                  f"{min(args.show_fp, len(fps))}, sorted by service):")
            for p_, svc, text in fps[:args.show_fp]:
                print(f"  {p_:.2f} [{svc}] {text}")
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
