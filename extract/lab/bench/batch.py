"""A batch of policies through `Extractor.pipe(workers=N)`, each run in a fresh process
(`python -m extract.bench --_child-batch CONFIG`): policies per minute and peak memory, with
the optimisations on and off."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .common import ROOT, log, loadavg
from .corpus import Item
from .memory import TreeRSS, rusage_mb

__all__ = ["batch_child", "run_batch", "bench_batches", "batch_files"]


def batch_child(cfg: dict) -> dict:
    """Runs in a fresh process: one batch through `Extractor.pipe`, storing every result."""
    warnings.simplefilter("ignore")
    from extract.cache import EmbeddingCache
    from extract.errors import ExtractError
    from extract.pipeline import Extractor
    from extract.store import Store

    tmp = Path(cfg["tmp"])
    cache = EmbeddingCache(tmp / "batch-cache.db") if cfg["cache"] else False
    store = Store(tmp / "batch-store.db")
    paths = cfg["paths"]
    with TreeRSS() as rss:
        t0 = time.perf_counter()
        ex = Extractor(cache=cache, prefilter=cfg["prefilter"])
        done, failed, first = 0, 0, None
        for res in ex.pipe(paths, workers=cfg["workers"]):
            if isinstance(res, ExtractError):
                failed += 1
            else:
                store.add(res, vendor=f"{res.vendor} {done}")
            done += 1
            if first is None:
                first = time.perf_counter()
        t_end = time.perf_counter()
    n = len(paths)
    out = {"n": n, "failed": failed, "workers": cfg["workers"], "cache": bool(cfg["cache"]),
           "prefilter": cfg["prefilter"], "wall_s": round(t_end - t0, 2),
           "startup_s": round(first - t0, 2),
           "ppm_total": round(60 * n / (t_end - t0), 1),
           "ppm_steady": round(60 * (n - 1) / (t_end - first), 1) if n > 1 else None,
           "peak_tree_rss_mb": round(rss.peak_kb / 1024, 1),
           "peak_tree_pss_mb": round(rss.peak_pss_kb / 1024, 1), **rusage_mb(),
           "loadavg_after": loadavg()}
    if cache is not False:
        # hits and misses happen in the workers; count what the cache file now holds
        out["cache_rows"] = len(EmbeddingCache(tmp / "batch-cache.db"))
    # upper bound: this process plus every worker at the largest worker's peak, all at once
    w = cfg["workers"] if cfg["workers"] > 1 else 0
    out["rss_upper_bound_mb"] = round(out["self_peak_mb"] + w * out["largest_child_peak_mb"], 1)
    return out


def batch_files(items: list[Item], n: int, folder: Path) -> list[Path]:
    """`n` files in `folder`, the corpus repeated in order (written once; later runs reuse
    them)."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        it = items[i % len(items)]
        p = folder / f"{i:04d}-{it.name}"
        if not p.exists():
            p.write_bytes(it.data)
        paths.append(p)
    return paths


def run_batch(items: list[Item], n: int, workers: int, cache: bool, prefilter: bool,
              tmp: Path, label: str) -> dict:
    paths = [str(p) for p in batch_files(items, n, tmp / "batch-files")]
    run_tmp = Path(tempfile.mkdtemp(dir=tmp, prefix="batch-"))
    cfg = {"tmp": str(run_tmp), "paths": paths, "workers": workers, "cache": cache,
           "prefilter": prefilter}
    cmd = [sys.executable, "-m", "extract.bench", "--_child-batch", json.dumps(cfg)]
    la = loadavg()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        log(f"batch {label} failed:\n{proc.stderr[-3000:]}")
        return {"label": label, "error": proc.stderr[-3000:]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(label=label, loadavg_before=la)
    log(f"{label:44} {res['n']:>4} policies  {res['wall_s']:>7.1f} s  "
        f"{res['ppm_total']:>6.1f}/min (steady {res['ppm_steady']}/min)  "
        f"peak RSS {res['peak_tree_rss_mb']:.0f} MB (process tree)")
    return res


def bench_batches(items, n, workers, slow_n, compare_workers, tmp) -> dict:
    from extract.embed import cpu_count

    log(f"\n== Batch of {n} (fresh process each; {cpu_count()} cores) ==")
    out = {"n": n, "workers": workers, "runs": []}
    runs = out["runs"]
    runs.append(run_batch(items, n, workers, True, True, tmp,
                          f"fast, {workers} worker(s), fresh cache"))
    runs.append(run_batch(items, n, workers, False, True, tmp,
                          f"fast, {workers} worker(s), cache off"))
    if compare_workers:
        other = 1 if workers > 1 else max(2, cpu_count())
        runs.append(run_batch(items, n, other, False, True, tmp,
                              f"fast, {other} worker(s), cache off"))
    if slow_n:
        runs.append(run_batch(items, slow_n, 1, False, False, tmp,
                              "optimisations off (all clauses, no cache, 1 process)"))
    ok = [r for r in runs if "error" not in r]
    fast = next((r for r in ok if r["cache"] and r["prefilter"]), None)
    cold = next((r for r in ok if not r["cache"] and r["prefilter"] and r["workers"] == workers),
                None)
    slow = next((r for r in ok if not r["prefilter"]), None)
    if fast and slow:
        out["speedup_fast_vs_off"] = round(fast["ppm_steady"] / slow["ppm_steady"], 1)
    if cold and slow:
        out["speedup_cold_cache_vs_off"] = round(cold["ppm_steady"] / slow["ppm_steady"], 1)
    if "speedup_fast_vs_off" in out:
        log(f"batch throughput, fast / optimisations off: {out['speedup_fast_vs_off']}× "
            f"(cache off: {out.get('speedup_cold_cache_vs_off')}×)")
    return out
