"""Training material of the clause classifier (`material()`; how each source labels a clause
is described in `extract.learn`'s docstring): taxonomy sentences, gold policies and ToS;DR
clauses as `Sample`s, and the hashes that say whether the material or taxonomy changed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..audit import AUDIT_FILE, clause_id, load_audit
from ..model import Clause
from ..scorers import learned_facts
from ..taxonomy import FactSpec
from .gold import SHARED_DIR, _evidence_clauses, _gold_truth, _norm, _read_clauses, gold_policies

__all__ = ["Sample", "material", "material_hash", "taxonomy_hash", "tosdr_rows", "derived_from",
           "COARSE", "W_TAXONOMY", "W_GOLD", "W_TOSDR", "W_TOSDR_HARD", "EASY_KEEP",
           "Q_GUESSED", "Q_GUESSED_DEFAULT"]

# Sample weights by source (see `extract.learn`'s docstring).
W_TAXONOMY = 1.0
W_GOLD = 2.0
W_TOSDR = 1.0
W_TOSDR_HARD = 0.5     # gated unlabelled ToS;DR clauses (guessed negatives; see docstring)
EASY_KEEP = 4          # keep 1 in EASY_KEEP ToS;DR clauses that no label or gate concerns
# Calibration target of a gated ToS;DR clause without F's label: the share of such clauses that
# do state F, from an audit of 40 random ones: 0 of 17 for children.min_age (its gate is broad:
# "parents", "age"), 9 of 23 for the other facts (rights 7 of 16).
Q_GUESSED = {"children.min_age": 0.0}
Q_GUESSED_DEFAULT = 0.4
COARSE = {"age": "children.min_age", "retention": "retention.level"}


def taxonomy_hash(specs: Sequence[FactSpec] | None = None) -> str:
    """SHA-256 of what the model depends on in the taxonomy (ids, patterns, examples)."""
    h = hashlib.sha256()
    for s in learned_facts(specs):
        parts = [s.id, s.kind, s.negation, *(p.pattern for p in s.patterns), "|",
                 *(p.pattern for p in s.exclude), "|", s.context.pattern if s.context else "",
                 "|", *s.examples, "|", *s.counter, "|",
                 s.heading.pattern if s.heading else "", *(p.pattern for p in s.in_section)]
        h.update("\x1f".join(parts).encode() + b"\x1e")
    return h.hexdigest()


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


def _gates(specs: Sequence[FactSpec], clauses: Sequence[Clause]) -> dict[int, dict]:
    """{clause index: {fact: pattern strength}} for the facts whose gate each clause passes."""
    from ..classify import find_candidates
    out: dict[int, dict] = {}
    for s in specs:
        for c in find_candidates(s, clauses):
            out.setdefault(c.clause.index, {})[s.id] = c.strength
    return out


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
