"""ToS;DR clause figures held out by service (`python -m extract.learn --report`): per fact, the
classifier alone, the pattern gate and both, against the ToS;DR labels and the blind audit
(`extract.audit`), and a reliability table of the held-out probabilities.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..audit import AUDITED_FACTS, clause_id, load_audit
from ..scorers import LearnedScorer, extra_features, learned_facts
from .gold import SHARED_DIR
from .material import COARSE, _gold_material, _taxonomy_material, _tosdr_material, derived_from
from .train import train
from .vectors import EmbeddingCache

__all__ = ["tosdr_report", "format_tosdr_report"]


def tosdr_report(shared: Path = SHARED_DIR, cache: EmbeddingCache | None = None,
                 n_splits: int = 5) -> dict:
    """Held-out ToS;DR clause figures (GroupKFold by service) and a reliability table."""
    from ..classify import DECISION_THRESHOLD
    specs = learned_facts()
    cache = cache or EmbeddingCache(disk=True)
    tos = _tosdr_material(specs, shared, subsample=False)
    rows = [r for r, _ in tos]
    services = np.array([r["service"] for r in rows])
    ids = [s.id for s in specs]
    P = _held_out(specs, shared, cache, tos, services, n_splits)
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
    thr = DECISION_THRESHOLD
    _label_figures(result, rows, ids, label_facts, P, gated, thr)
    if verdicts:  # the same predictions against the blind re-annotation (`extract.audit`)
        _audit_figures(result, rows, ids, verdicts, cids, P, gated, thr)
    _security_figures(result, rows, specs, P, gated, thr)
    _reliability(result, rows, ids, label_facts, verdicts, cids, P, gated)
    return result


def _held_out(specs, shared: Path, cache: EmbeddingCache, tos: list, services: np.ndarray,
              n_splits: int) -> np.ndarray:
    """Probabilities of every ToS;DR clause for every fact, each from a model trained without
    the clause's service (and without the gold policies it is derived from)."""
    from sklearn.model_selection import GroupKFold
    tax = _taxonomy_material(specs)
    golds = _gold_material(specs, shared)
    train_keys = {(r["service"], r["text"]) for r, _ in _tosdr_material(specs, shared)}
    rows = [r for r, _ in tos]
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
    return P


def _labelled(rows: Sequence[dict], f: str) -> np.ndarray:
    """Each clause: does ToS;DR label it with `f` (coarse labels mapped)?"""
    return np.array([f in r["labels"] or any(COARSE.get(l) == f for l in r["labels"])
                     for r in rows])


def _audited(verdicts: dict, cids: Sequence[str], f: str) -> np.ndarray:
    """Each clause: does the blind audit say it states `f`? (unaudited: no)"""
    return np.array([verdicts.get((c, f), False) for c in cids])


def _prf(pred, gold) -> dict:
    tp = int((pred & gold).sum()); fp = int((pred & ~gold).sum()); fn = int((~pred & gold).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"P": round(p, 3), "R": round(r, 3),
            "F1": round(2 * p * r / (p + r) if p + r else 0.0, 3), "tp": tp, "fp": fp, "fn": fn}


def _label_figures(result: dict, rows, ids, label_facts, P, gated, thr) -> None:
    """Per labelled fact, against the ToS;DR labels; the held-out false positives."""
    for f, n in sorted(label_facts.items(), key=lambda t: -t[1]):
        if f == "security" or f not in ids:
            continue
        j = ids.index(f)
        gold = _labelled(rows, f)
        fp = np.flatnonzero(gated[:, j] & (P[:, j] >= thr) & ~gold)
        result.setdefault("false_positives", {})[f] = [
            (round(float(P[i, j]), 3), rows[i]["service"], rows[i]["text"][:200]) for i in fp]
        result["per_fact"][f] = {"n": int(gold.sum()),
                                 "classifier": _prf(P[:, j] >= thr, gold),
                                 "gate": _prf(gated[:, j], gold),
                                 "gate+classifier": _prf(gated[:, j] & (P[:, j] >= thr), gold)}


def _audit_figures(result: dict, rows, ids, verdicts, cids, P, gated, thr) -> None:
    """Per audited fact, the same predictions against the blind re-annotation."""
    for f in AUDITED_FACTS:
        if f not in result["per_fact"]:
            continue
        j = ids.index(f)
        tosdr = _labelled(rows, f)
        seen = np.array([(c, f) in verdicts for c in cids])
        gold = _audited(verdicts, cids, f)
        unaudited = int((gated[:, j] & ~seen).sum())
        result["per_fact"][f]["audited"] = _prf(gated[:, j] & (P[:, j] >= thr), gold)
        result["per_fact"][f]["audit"] = {
            "n": int(gold.sum()), "audited": int(seen.sum()), "unaudited_gated": unaudited,
            # how often the ToS;DR label agrees with the re-annotation, where either is set
            "label_agreement": round(float((tosdr == gold)[seen].mean()), 3)}


def _security_figures(result: dict, rows, specs, P, gated, thr) -> None:
    """"security" (coarse): any security fact."""
    ids = [s.id for s in specs]
    sec = [ids.index(s.id) for s in specs if s.area == "security"]
    gold = np.array(["security" in r["labels"] or any(l.startswith("security.") for l in r["labels"])
                     for r in rows])
    result["per_fact"]["security (any)"] = {
        "n": int(gold.sum()),
        "classifier": _prf((P[:, sec] >= thr).any(axis=1), gold),
        "gate": _prf(gated[:, sec].any(axis=1), gold),
        "gate+classifier": _prf((gated[:, sec] & (P[:, sec] >= thr)).any(axis=1), gold)}


def _reliability(result: dict, rows, ids, label_facts, verdicts, cids, P, gated) -> None:
    """Reliability on held-out gated clauses of the audited facts, against the audit (what the
    clause states); without the audit file, against the ToS;DR labels."""
    ps, ys = [], []
    for f in (AUDITED_FACTS if verdicts else label_facts):
        if f not in ids:
            continue
        j = ids.index(f)
        gold = _audited(verdicts, cids, f) if verdicts else _labelled(rows, f)
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

