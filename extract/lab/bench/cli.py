"""`python -m extract.bench`: the command line, and the run of every section it asks for."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

from . import __doc__ as DOC
from .batch import batch_child, bench_batches
from .common import DEFAULT_JSON, log, loadavg, shared_dir
from .corpus import Item, make_corpus
from .report import write_report
from .stages import bench_stages

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m extract.bench",
                                 description=DOC.split("\n")[0])
    ap.add_argument("paths", nargs="*", metavar="PATH",
                    help="policy files or folders (default: the seeds as TXT and PDF)")
    ap.add_argument("--batch", type=int, default=100, help="policies in the batch (100)")
    ap.add_argument("--workers", type=int, default=1,
                    help="pool workers for the batch (default 1: in-process, encoding on "
                         "every core; the run is compared with one worker per core)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per policy (5)")
    ap.add_argument("--slow-reps", type=int, default=2,
                    help="repetitions with the optimisations off (2)")
    ap.add_argument("--slow-batch", type=int, default=None,
                    help="policies in the optimisations-off batch (default: --batch)")
    ap.add_argument("--json", default=str(DEFAULT_JSON), metavar="PATH",
                    help="where to write the results (artifacts/bench.json)")
    ap.add_argument("--ui-vendors", type=int, default=1000)
    ap.add_argument("--no-ui", action="store_true", help="skip the UI-at-scale section")
    ap.add_argument("--no-apptest", action="store_true", help="UI section without AppTest")
    ap.add_argument("--no-browser", action="store_true",
                    help="cold start without Chromium (health check only)")
    ap.add_argument("--no-cold-start", action="store_true")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument("--cluster-workers", type=int, default=2,
                    help="workers of the local Dask cluster the batch also runs on (2; 0: "
                         "skip; skipped with a note when Dask is not installed)")
    ap.add_argument("--ocr-pages", type=int, default=3,
                    help="scanned pages OCR'd for the OCR seconds per page (3; 0: skip)")
    ap.add_argument("--no-accuracy", action="store_true",
                    help="skip the gold recall and evaluation sections")
    ap.add_argument("--experiments", action="store_true",
                    help="also time encoder variants and evaluate int8 quantisation")
    ap.add_argument("--store-writes", type=int, default=200, metavar="N",
                    help="documents added per store-write run, SQLite and PostgreSQL (200; 0: "
                         "skip)")
    ap.add_argument("--pg-url", metavar="URL",
                    help="an empty PostgreSQL database for the store writes (default: a "
                         "throwaway local server when PostgreSQL is installed)")
    ap.add_argument("--quick", action="store_true",
                    help="tiny run for tests: 2 policies, batch 4, 1 rep, no UI/browser/gold")
    ap.add_argument("--_child-batch", dest="child_batch", help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child_batch:
        print(json.dumps(batch_child(json.loads(args.child_batch))))
        return 0
    warnings.simplefilter("ignore")  # e.g. a stale learned-scorer artefact: not a timing matter
    if args.quick:
        args.reps, args.slow_reps, args.batch = 1, 1, min(args.batch, 4)
        args.ocr_pages = min(args.ocr_pages, 1)
        args.store_writes = min(args.store_writes, 20)
        args.no_ui = args.no_cold_start = args.no_accuracy = True
    t_start = time.perf_counter()
    res: dict = {"command": " ".join(["python -m extract.bench", *(argv or sys.argv[1:])]),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "quick": args.quick,
                 "machine": _machine()}
    items = make_corpus(args.paths)
    if args.quick:
        items = sorted(items, key=lambda i: i.words)[:2] if not args.paths else items[:2]
    if not items:
        log("error: no policy files to benchmark")
        return 2
    log(f"corpus: {len(items)} files ({', '.join(sorted({i.kind for i in items}))}), "
        f"{min(i.words for i in items)}–{max(i.words for i in items)} words; "
        f"{res['machine']['cores']} cores; load average {loadavg()}")
    with tempfile.TemporaryDirectory(prefix="privacy-bench-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ["PRIVACY_DB"] = str(tmp / "default.db")  # never the user's database
        _run_sections(args, items, tmp, res)
    res["machine"]["loadavg_end"] = loadavg()
    res["bench_seconds"] = round(time.perf_counter() - t_start, 1)
    write_report(res, Path(args.json))
    return 0


def _machine() -> dict:
    from extract.embed import cpu_count

    machine = {"cores": cpu_count(), "python": platform.python_version(),
               "platform": platform.platform(), "loadavg_start": loadavg()}
    with contextlib.suppress(Exception):
        import importlib.metadata as md
        machine["torch"] = md.version("torch")
        machine["sentence_transformers"] = md.version("sentence-transformers")
    return machine


def _run_sections(args: argparse.Namespace, items: list[Item], tmp: Path, res: dict) -> None:
    """Every section the arguments ask for, in order, each adding its results to `res`."""
    res["per_policy"] = bench_stages(items, args.reps, args.slow_reps, tmp)
    if args.experiments:
        from .kernels import bench_kernels

        res["encoder_variants"] = bench_kernels(items, max(3, args.reps))
    if not args.no_batch and args.batch > 0:
        slow_n = args.batch if args.slow_batch is None else args.slow_batch
        res["batch"] = bench_batches(items, args.batch, max(1, args.workers), slow_n,
                                     compare_workers=not args.quick, tmp=tmp)
    if not args.no_batch and args.batch > 0 and args.cluster_workers > 0:
        from .cluster import bench_cluster

        res["cluster"] = bench_cluster(items, args.batch, args.cluster_workers, tmp)
    if args.store_writes > 0:
        from .store_writes import bench_store_writes

        res["store_writes"] = bench_store_writes(args.store_writes, tmp, args.pg_url)
    gold = _gold_sets()
    if not args.no_accuracy and gold:
        from .gold import bench_accuracy, bench_recall

        res["recall"] = bench_recall(gold)
        res["accuracy"] = bench_accuracy(gold, tmp, args.experiments)
    if not args.no_ui:
        from .ui import bench_ui

        res["ui"] = bench_ui(args.ui_vendors, max(3, min(args.reps, 5)), tmp,
                             apptest=not args.no_apptest)
    if not args.no_cold_start:
        from .cold_start import bench_cold_start

        big = tmp / f"ui-{args.ui_vendors}.db" if not args.no_ui else None
        res["cold_start"] = bench_cold_start(5, tmp, browser=not args.no_browser, big_db=big)
    if args.ocr_pages > 0:  # last: the other sections' timings never share the CPU with it
        from .ocr import bench_ocr

        res["ocr"] = bench_ocr(args.ocr_pages)


def _gold_sets() -> list:
    from .gold import gold_sets

    return gold_sets(shared_dir())
