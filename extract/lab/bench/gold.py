"""Against the hand-labelled gold files (`$PRIVACY_SHARED_DIR/gold/{dev,seeds}.json`): the
prefilter's recall on the gold quotes, and the evaluation figures with the fast path (cache
cold, then warm) and without it."""
from __future__ import annotations

import difflib
import json
import time
from pathlib import Path

from .common import log
from .corpus import facts_signature

__all__ = ["gold_sets", "bench_recall", "bench_accuracy"]

INT8 = "int8 dynamic quantisation (experiment)"


def gold_sets(shared: Path) -> list[tuple[str, Path, Path]]:
    """(label, gold file, policy folder) for each gold file present under `shared`."""
    return [(name, shared / "gold" / f"{name}.json", folder)
            for name, folder in (("dev", shared / "dev" / "policies"), ("seeds", shared / "seeds"))
            if (shared / "gold" / f"{name}.json").is_file()]


# --------------------------------------------------------------------------- recall
def _why_not(spec, clauses, i) -> str:
    """Why clause i is not a candidate of `spec` (mirrors classify.find_candidates)."""
    from extract.classify import _negated

    c = clauses[i]
    if c.is_heading:
        return "heading"
    hits = [m for p in spec.patterns if (m := p.search(c.text))]
    if not hits:
        return "no pattern matches"
    ex = [x.pattern for x in spec.exclude if x.search(c.text)]
    if ex:
        return f"excluded by {ex[0]!r}"
    before = clauses[i - 1].text if i else ""
    if spec.context and not any(spec.context.search(t) for t in (c.text, before, c.section)):
        return "context pattern not found"
    if spec.negation == "block" and all(_negated(c.text, m.start(), m.end()) for m in hits):
        return "read as negated"
    return "?"


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def _overlaps(q: str, text: str) -> bool:
    t = _norm(text)
    return bool(t) and (q in t or (len(t) >= 20 and t in q))


def bench_recall(gold_sets) -> dict:
    """For each gold quote of a true boolean fact: does a candidate clause of that fact
    overlap it (whitespace-normalised, case-folded, substring either way)?"""
    log("\n== Prefilter recall on gold quotes ==")
    counts = {"total": 0, "no_quote": 0}
    lost: list[dict] = []
    unlocated: list[str] = []
    for label, gold_path, folder in gold_sets:
        policies = json.loads(gold_path.read_text(encoding="utf-8"))["policies"]
        for name, g in policies.items():
            if (folder / name).is_file():
                _policy_recall(label, folder, name, g, counts, lost, unlocated)
    if lost:  # is the fact still found, through another clause?
        _still_found(lost, {label: folder for label, _, folder in gold_sets})
    total = counts["total"]
    out = {"quotes": total, "lost": len(lost), "recall": round(1 - len(lost) / total, 4)
           if total else None, "true_facts_without_quote": counts["no_quote"],
           "lost_quotes": lost, "facts_missed": sum(not x["fact_still_found"] for x in lost),
           "quotes_not_within_one_clause": unlocated}
    log(f"{total} gold quotes of true boolean facts; {len(lost)} have no candidate clause "
        f"(recall {out['recall']}); of those facts {out['facts_missed']} are missed, the rest "
        f"found through another clause; {counts['no_quote']} true facts have no quote to check")
    for x in lost:
        log(f"  LOST {x['gold']}/{x['policy']} {x['fact']} (fact "
            f"{'still found' if x['fact_still_found'] else 'MISSED'}): {x['why']} — "
            f"«{x['clause'][:80]}»")
    return out


def _policy_recall(label: str, folder: Path, name: str, g: dict, counts: dict,
                   lost: list[dict], unlocated: list[str]) -> None:
    """Check one gold policy's quotes of true boolean facts against their candidates."""
    from extract.classify import find_candidates
    from extract.read import read_path
    from extract.segment import segment
    from extract.taxonomy import taxonomy

    clauses = segment(read_path(folder / name))
    for spec in taxonomy():
        if not spec.is_bool or g.get("values", {}).get(spec.id) is not True:
            continue
        quote = _norm(g.get("evidence", {}).get(spec.id, "") or "")
        if not quote:
            counts["no_quote"] += 1
            continue
        counts["total"] += 1
        if any(_overlaps(quote, c.clause.text) for c in find_candidates(spec, clauses)):
            continue
        where = [i for i, c in enumerate(clauses) if _overlaps(quote, c.text)]
        if not where:
            # the quote spans clauses partially: locate it by its longest common run
            best = max(range(len(clauses)), key=lambda i: difflib.SequenceMatcher(
                None, quote, _norm(clauses[i].text)).find_longest_match().size)
            where = [best]
            unlocated.append(f"{label}/{name} {spec.id}")
        lost.append({"gold": label, "policy": name, "fact": spec.id,
                     "quote": quote[:160],
                     "clause": clauses[where[0]].text[:200],
                     "why": _why_not(spec, clauses, where[0])})


def _still_found(lost: list[dict], folders: dict[str, Path]) -> None:
    """Mark each lost quote with whether its fact is found anyway (through another clause)."""
    from extract.pipeline import Extractor

    ex, found = Extractor(), {}
    for x in lost:
        key = (x["gold"], x["policy"])
        if key not in found:
            found[key] = ex(folders[x["gold"]] / x["policy"]).facts
        x["fact_still_found"] = found[key][x["fact"]].value is True


# --------------------------------------------------------------------------- accuracy
def bench_accuracy(gold_sets, tmp: Path, experiments: bool) -> dict:
    """The evaluation figures with the fast path (cache cold, then warm) and without it."""
    log("\n== Accuracy: evaluation with and without the fast path ==")
    modes = _accuracy_modes(tmp, experiments)
    out: dict = {"sets": {}}
    for label, gold_path, folder in gold_sets:
        out["sets"][label] = _evaluate_set(label, gold_path, folder, modes, experiments)
    out["identical"] = all(all(v for m, v in s["identical_report"].items() if "int8" not in m)
                           and all(v for m, v in s["identical_facts"].items() if "int8" not in m)
                           for s in out["sets"].values())
    return out


def _accuracy_modes(tmp: Path, experiments: bool) -> dict:
    from extract.cache import EmbeddingCache
    from extract.pipeline import Extractor

    base = Extractor(cache=False).warm()
    scorer = base.facts.scorer
    modes = {
        "fast, cache cold": Extractor(scorer=scorer, cache=EmbeddingCache(tmp / "acc.db")),
        "fast, cache warm": None,  # same extractor again
        "optimisations off": Extractor(scorer=scorer, cache=False, prefilter=False),
    }
    if experiments:
        from .kernels import QuantisedEncoder

        modes[INT8] = Extractor(QuantisedEncoder(), scorer=scorer, cache=False)
    return modes


def _evaluate_set(label: str, gold_path: Path, folder: Path, modes: dict,
                  experiments: bool) -> dict:
    """One gold set through every mode: figures, and whether reports and facts are identical."""
    from extract.evaluate import evaluate, format_report

    gold = json.loads(gold_path.read_text(encoding="utf-8"))["policies"]
    files = [folder / n for n in gold if (folder / n).is_file()]
    reports, sigs, out = {}, {}, {}
    prev = None
    for mode, ex in modes.items():
        ex = prev = ex or prev
        t = time.perf_counter()
        results = {p.name: ex(p) for p in files}
        seconds = round(time.perf_counter() - t, 2)
        rep = evaluate("extractor", gold, {n: r.facts for n, r in results.items()})
        reports[mode] = format_report([rep], show_errors=True)
        sigs[mode] = {n: facts_signature(r) for n, r in results.items()}
        out[mode] = {
            "micro_f1": round(rep.micro.f1, 4), "precision": round(rep.micro.precision, 4),
            "recall": round(rep.micro.recall, 4),
            "min_age_exact": f"{rep.age_exact}/{rep.n_policies}",
            "retention_level": f"{rep.retention_ok}/{rep.n_policies}", "seconds": seconds}
    ref = "fast, cache cold"
    same_report = out["identical_report"] = {m: reports[m] == reports[ref] for m in reports}
    same_facts = out["identical_facts"] = {m: sigs[m] == sigs[ref] for m in sigs}
    for m in reports:
        f = out[m]
        log(f"{label:6} {m:40} micro-F1 {f['micro_f1']:.3f}  P/R {f['precision']:.3f}/"
            f"{f['recall']:.3f}  age {f['min_age_exact']}  retention "
            f"{f['retention_level']}  report identical: {same_report[m]}, facts identical:"
            f" {same_facts[m]}  ({f['seconds']} s)")
    if experiments and INT8 in sigs:
        q = sigs[INT8]
        changed = [(n, fid) for n in q for fid in q[n]
                   if q[n][fid][0] != sigs[ref][n][fid][0] or q[n][fid][2] != sigs[ref][n][fid][2]]
        out["int8_changed_facts"] = changed
        log(f"{label:6} int8: {len(changed)} fact values/evidence differ from float32")
    return out
