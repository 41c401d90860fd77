"""The batch on a local Dask cluster beside the in-process one (`extract.cluster`): policies
per minute, per-worker throughput, scheduler overhead per task, memory per worker.

Both runs extract the same files with the cache off (every candidate clause encoded), so the
figures compare the engines, not the cache. The in-process run uses this process's warm
model; the cluster's start (workers spawned, model loaded in each) is reported apart from
its steady rate. Skipped, with a note, when Dask is not installed."""
from __future__ import annotations

import os
import time
from pathlib import Path

from .common import log
from .corpus import Item, facts_signature
from .batch import batch_files
from .memory import hwm_kb, rss_kb

__all__ = ["bench_cluster"]


def _noop(i: int) -> int:
    return i


def _worker_memory() -> dict:
    """This worker process's RSS now and its peak (VmHWM), in MB. (A local cluster's nannies
    run inside the client process, so they add nothing of their own to measure.)"""
    return {"rss_mb": round(rss_kb(os.getpid()) / 1024, 1), "peak_mb": round(hwm_kb() / 1024, 1)}


def _in_process(paths: list[Path]) -> tuple[dict, list]:
    from extract.ingest import extract_files
    from extract.pipeline import Extractor

    ex = Extractor(cache=False).warm()
    t0 = time.perf_counter()
    outs = list(extract_files(paths, lambda: ex))
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "ppm": round(60 * len(paths) / wall, 1)}, outs


def _overhead(client, n: int) -> dict:
    """Scheduler overhead per task: n trivial tasks at once (throughput), and one at a time
    (a round trip: submit, run on a worker, result back)."""
    t0 = time.perf_counter()
    client.gather(client.map(_noop, range(n), pure=False))
    batch = time.perf_counter() - t0
    k = max(5, n // 10)
    t0 = time.perf_counter()
    for i in range(k):
        client.submit(_noop, i, pure=False).result()
    rtt = time.perf_counter() - t0
    return {"tasks": n, "per_task_ms": round(1000 * batch / n, 2),
            "round_trip_ms": round(1000 * rtt / k, 2)}


def _on_cluster(paths: list[Path], workers: int) -> tuple[dict, list]:
    from extract.cluster import connect, extract_on_cluster, parse_cluster
    from extract.pipeline import Extractor

    t0 = time.perf_counter()
    with connect(parse_cluster(f"local:{workers}")) as client:
        started = time.perf_counter() - t0
        ex = Extractor(cache=False)
        outs, first = [], None
        t1 = time.perf_counter()
        for out in extract_on_cluster(client, paths, ex, send_bytes=False):
            outs.append(out)
            first = first or time.perf_counter()  # every worker has loaded its model by now
        t_end = time.perf_counter()
        # steady: after the first result, i.e. without the workers' model loads
        steady = 60 * (len(paths) - 1) / (t_end - first) if len(paths) > 1 else None
        mem = client.run(_worker_memory)
        res = {"workers": workers, "cluster_start_s": round(started, 2),
               "first_result_s": round(first - t1, 2), "wall_s": round(t_end - t1, 2),
               "ppm_total": round(60 * len(paths) / (t_end - t1), 1),
               "ppm_steady": round(steady, 1) if steady else None,
               "overhead": _overhead(client, 200),
               "worker_rss_mb": sorted(m["rss_mb"] for m in mem.values()),
               "worker_peak_mb": sorted(m["peak_mb"] for m in mem.values())}
    rate = res["ppm_steady"] or res["ppm_total"]
    res["ppm_per_worker"] = round(rate / workers, 1)
    return res, outs


def bench_cluster(items: list[Item], n: int, workers: int, tmp: Path) -> dict:
    """The cluster section: {"skipped": why} without Dask."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        log("\n== Batch on a local Dask cluster: skipped (pip install -r "
            "requirements-scale.txt) ==")
        return {"skipped": "dask not installed (pip install -r requirements-scale.txt)"}
    log(f"\n== Batch of {n} on a local Dask cluster ({workers} workers) vs in-process ==")
    paths = batch_files(items, n, tmp / "cluster-files")
    here, here_outs = _in_process(paths)
    there, there_outs = _on_cluster(paths, workers)
    same = [(o.status, o.extraction and facts_signature(o.extraction)) for o in here_outs] == \
           [(o.status, o.extraction and facts_signature(o.extraction)) for o in there_outs]
    out = {"n": n, "in_process": here, "cluster": there, "identical_facts": same,
           "failed": sum(o.status == "error" for o in there_outs)}
    oh = there["overhead"]
    log(f"in-process (warm model, cache off)  {here['wall_s']:>7.1f} s  {here['ppm']:>6.1f}/min")
    log(f"local cluster, {workers} workers             {there['wall_s']:>7.1f} s  "
        f"{there['ppm_total']:>6.1f}/min (steady {there['ppm_steady']}/min, "
        f"{there['ppm_per_worker']}/min per worker; start {there['cluster_start_s']} s, "
        f"first result {there['first_result_s']} s)")
    log(f"scheduler overhead per task {oh['per_task_ms']} ms ({oh['tasks']} at once), "
        f"round trip {oh['round_trip_ms']} ms; worker RSS {there['worker_rss_mb']} MB "
        f"(peak {there['worker_peak_mb']}); "
        f"identical facts: {same}")
    return out
