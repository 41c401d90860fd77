"""Per policy, warm model: the stage times (read, segment, embed, classify, score, store) with
the embedding cache cold, warm and off, and with the optimisations off; and whether every mode
gives the very same facts."""
from __future__ import annotations

import time
from pathlib import Path

from .common import STAGES, log, med
from .corpus import Item, facts_signature

__all__ = ["bench_stages"]

MODES = ("cold", "warm", "nocache", "slow")


def bench_stages(items: list[Item], reps: int, slow_reps: int, tmp: Path) -> dict:
    from extract.pipeline import Extractor

    log("\n== Per policy (warm model) ==")
    t0 = time.perf_counter()
    first = Extractor(cache=tmp / "warmup.db").warm()
    load_s = time.perf_counter() - t0
    scorer = first.facts.scorer
    log(f"model load + classifier build (first upload only): {load_s:.1f} s")
    rows = {item.name: {"kind": item.kind, "words": item.words, "cold": [], "warm": [],
                        "nocache": [], "slow": [], "candidates": None, "identical": True}
            for item in items}
    nocache = Extractor(scorer=scorer, cache=False)
    for rep in range(reps):
        _fast_rep(items, rows, rep, scorer, nocache, tmp)
    slow = Extractor(scorer=scorer, cache=False, prefilter=False)
    for rep in range(slow_reps):
        _slow_rep(items, rows, rep, slow, tmp)
    identical = all(r["identical"] for r in rows.values())
    out: dict = {"model_load_s": round(load_s, 2), "reps": reps, "slow_reps": slow_reps,
                 "policies": _summaries(rows)}
    big_pdf = max((i for i in items if i.kind == "pdf"), key=lambda i: i.words, default=None)
    big = big_pdf or max(items, key=lambda i: i.words)
    out["largest"] = {"name": big.name, "words": big.words, **out["policies"][big.name]}
    out["identical_facts"] = identical
    _log_largest(big, out["largest"], identical)
    return out


def _run(ex, item: Item, store_path: Path):
    """One extraction, timed per stage, then scored and stored (also timed)."""
    from extract.score import score
    from extract.store import Store

    res, tm = ex.timed(item.data, filename=item.name)
    t = time.perf_counter()
    score(res.facts)
    tm["score"] = time.perf_counter() - t
    store = Store(store_path)
    t = time.perf_counter()
    store.add(res)
    tm["store"] = time.perf_counter() - t
    tm["total"] = sum(tm[s] for s in STAGES)
    return res, tm


def _fast_rep(items: list[Item], rows: dict, rep: int, scorer, nocache, tmp: Path) -> None:
    """Each policy with a fresh cache (cold), the same cache again (warm), and no cache."""
    from extract.cache import EmbeddingCache
    from extract.pipeline import Extractor

    for k, item in enumerate(items):
        r = rows[item.name]
        cache = EmbeddingCache(tmp / f"cold-{rep}-{k}.db")
        len(cache)  # the file and table exist, as in the app: creating them is not a stage
        ex = Extractor(scorer=scorer, cache=cache)
        res_cold, tm = _run(ex, item, tmp / f"store-c-{rep}-{k}.db")
        tm["embedded"] = ex.cache.misses
        r["cold"].append(tm)
        res_warm, tm = _run(ex, item, tmp / f"store-w-{rep}-{k}.db")
        tm["embedded"] = ex.cache.misses - r["cold"][-1]["embedded"]
        r["warm"].append(tm)
        r["candidates"] = r["cold"][-1]["embedded"]
        r["sig"] = sig = facts_signature(res_cold)
        if facts_signature(res_warm) != sig:
            r["identical"] = False
        res_nc, tm = _run(nocache, item, tmp / f"store-n-{rep}-{k}.db")
        tm["embedded"] = r["candidates"]
        r["nocache"].append(tm)
        if facts_signature(res_nc) != sig:
            r["identical"] = False


def _slow_rep(items: list[Item], rows: dict, rep: int, slow, tmp: Path) -> None:
    """Each policy with the optimisations off: every clause embedded, no cache."""
    for k, item in enumerate(items):
        r = rows[item.name]
        res, tm = _run(slow, item, tmp / f"store-s-{rep}-{k}.db")
        tm["embedded"] = len({" ".join(c.text.split()) for c in res.clauses
                              if not c.is_heading})
        r["slow"].append(tm)
        if facts_signature(res) != r["sig"]:
            r["identical"] = False


def _summaries(rows: dict) -> dict:
    """Medians per policy and mode, logged as a table."""
    log(f"{'policy':44}{'words':>6}{'emb':>5}  " + "".join(f"{s:>9}" for s in STAGES)
        + f"{'total':>9}{'warm':>8}{'nocache':>8}{'slow':>8}{'ratio':>7}")
    policies = {}
    for name, r in rows.items():
        summary = {}
        for mode in MODES:
            runs = r[mode]
            if runs:
                summary[mode] = {s: med(t[s] for t in runs) for s in (*STAGES, "total")}
                summary[mode]["embedded"] = runs[-1]["embedded"]
        summary.update(kind=r["kind"], words=r["words"], n_clauses=r["cold"][-1]["n_clauses"],
                       identical_facts=r["identical"])
        if "slow" in summary:
            summary["slow_over_cold"] = round(summary["slow"]["total"]
                                              / summary["cold"]["total"], 2)
        policies[name] = summary
        c = summary["cold"]
        log(f"{name[:43]:44}{r['words']:>6}{c['embedded']:>5}  "
            + "".join(f"{c[s]:>9.3f}" for s in STAGES) + f"{c['total']:>9.3f}"
            + f"{summary['warm']['total']:>8.3f}{summary['nocache']['total']:>8.3f}"
            + (f"{summary['slow']['total']:>8.2f}{summary['slow_over_cold']:>6.1f}×"
               if "slow" in summary else ""))
    return policies


def _log_largest(big: Item, b: dict, identical: bool) -> None:
    log(f"\n{big.name} ({big.words} words, {b['n_clauses']} clauses, "
        f"{b['cold']['embedded']} embedded): cold cache {b['cold']['total']:.3f} s, "
        f"warm cache {b['warm']['total']:.3f} s, no cache {b['nocache']['total']:.3f} s"
        + (f"; optimisations off {b['slow']['total']:.2f} s ({b['slow']['embedded']} "
           f"embedded) = {b['slow_over_cold']}× slower" if "slow" in b else ""))
    log(f"facts identical with cache cold / warm / off / optimisations off: {identical}")
