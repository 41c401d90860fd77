"""The benchmark's report: its figures against the targets, and the JSON file."""
from __future__ import annotations

import json
from pathlib import Path

from .common import TARGETS, log

__all__ = ["targets", "write_report"]


def targets(res: dict) -> list[tuple[str, object, str, bool | None]]:
    """(what, measured, target, met: True/False, None for information) per figure."""
    rows = []
    st = res.get("per_policy", {}).get("largest")
    if st:
        rows.append((f"per policy, {st['words']}-word {st['kind'].upper()}, cold cache (s)",
                     st["cold"]["total"], f"≤ {TARGETS['per_policy_s']}",
                     st["cold"]["total"] <= TARGETS["per_policy_s"]))
        rows.append((f"per policy, {st['words']}-word {st['kind'].upper()}, warm cache (s)",
                     st["warm"]["total"], f"≤ {TARGETS['per_policy_s']}",
                     st["warm"]["total"] <= TARGETS["per_policy_s"]))
    for r in res.get("batch", {}).get("runs", []):
        if "error" in r or not r["prefilter"]:
            continue
        rows.append((f"batch of {r['n']}, {r['workers']} workers, cache "
                     f"{'fresh' if r['cache'] else 'off'} (policies/min, steady)",
                     r["ppm_steady"], f"≥ {TARGETS['batch_ppm']:.0f}",
                     r["ppm_steady"] >= TARGETS["batch_ppm"]))
        rows.append((f"  same batch, peak RSS of the process tree (MB)", r["peak_tree_rss_mb"],
                     f"≤ {TARGETS['batch_rss_mb']:.0f}",
                     r["peak_tree_rss_mb"] <= TARGETS["batch_rss_mb"]))
    cl = res.get("cluster")
    if cl and "cluster" in cl:
        c = cl["cluster"]
        rows.append((f"batch of {cl['n']} in-process, cache off (policies/min)",
                     cl["in_process"]["ppm"], "info", None))
        rows.append((f"  same batch, local Dask cluster, {c['workers']} workers (steady)",
                     c["ppm_steady"], "info", None))
        rows.append(("  per Dask worker (policies/min)", c["ppm_per_worker"], "info", None))
        rows.append(("  scheduler overhead per task (ms)", c["overhead"]["per_task_ms"],
                     "info", None))
        rows.append(("  memory per Dask worker, peak RSS (MB)", max(c["worker_peak_mb"]),
                     "info", None))
        rows.append(("  cluster facts identical to in-process", cl["identical_facts"], "True",
                     bool(cl["identical_facts"])))
    ocr = res.get("ocr")
    if ocr and ocr.get("seconds_per_page") is not None:
        rows.append((f"OCR of a scanned page, {ocr['dpi']} dpi (s per page, median of "
                     f"{ocr['pages']})", ocr["seconds_per_page"], "info", None))
    cs = res.get("cold_start")
    if cs and cs.get("first_paint_s") is not None:
        rows.append(("first paint of the matrix after start (s)", cs["first_paint_s"],
                     f"≤ {TARGETS['first_paint_s']}",
                     cs["first_paint_s"] <= TARGETS["first_paint_s"]))
        if cs.get("minimal_app_first_paint_s") is not None:
            rows.append(("  a minimal Streamlit app, same run (s)",
                         cs["minimal_app_first_paint_s"], "info", None))
    acc = res.get("accuracy")
    if acc:
        rows.append(("evaluation identical with and without fast path", acc["identical"],
                     "True", bool(acc["identical"])))
    rec = res.get("recall")
    if rec:
        # The bar: the prefilter loses no *fact* of the gold. A quote can lack a
        # candidate while its fact is still found through another clause (reported above).
        rows.append(("gold facts lost by the prefilter", rec["facts_missed"], "0",
                     rec["facts_missed"] == 0))
        rows.append((f"  gold quotes without a candidate clause (of {rec.get('quotes', '?')})",
                     rec["lost"], "info", None))
    return rows


def write_report(res: dict, path: Path) -> None:
    """Log the targets table and write `res` (with its targets) as JSON to `path`."""
    res["targets"] = [{"what": w, "measured": m, "target": t, "met": ok}
                      for w, m, t, ok in targets(res)]
    log("\n== Targets (medians on this machine) ==")
    for t in res["targets"]:
        mark = "" if t["met"] is None else "met" if t["met"] else "NOT met"
        log(f"  {t['what']:62} {t['measured']!s:>10}  target {t['target']:>6}  {mark}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in res.get("per_policy", {}).get("policies", {}).values():
        p.pop("sig", None)
    path.write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")
    log(f"\nwrote {path} ({res['bench_seconds']} s)")
