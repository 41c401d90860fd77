"""Benchmark: `python -m extract.bench [PATH...] [--batch 100] [--workers N] [--json FILE]`.

Measures, on this machine, with the optimisations on and off:

* per-stage medians per policy (read, segment, embed, classify, score, store), warm model,
  with a cold embedding cache (first upload of a text) and a warm one (same text again);
* a batch (default 100 policies: the seeds as TXT and as PDFs made from them, repeated)
  through `Extractor.pipe(workers=N)`, in a fresh process: policies per minute, peak RSS;
* the same batch on a local Dask cluster (`--cluster-workers 2`) beside the in-process run:
  policies per minute, per worker, scheduler overhead per task, memory per worker;
* the same per policy and batch with the optimisations off (every clause embedded, no cache,
  one process), printed as a ratio, and whether the facts are identical;
* prefilter recall on the gold quotes, and the evaluation figures with and without the fast
  path (`extract.evaluate`), on `$PRIVACY_SHARED_DIR/gold/{dev,seeds}.json` (default
  `../shared`);
* the UI with 1,000 synthetic vendors (the functions the pages use, and AppTest runs);
* cold start: `streamlit run app.py` to the matrix visible in headless Chromium.
* OCR seconds per page: a seed's pages scanned to images and read by tesseract (`--ocr-pages`).
* store writes: `Store.add` of real extractions into SQLite and PostgreSQL, documents and facts
  per second, one and four writers (`--store-writes N`, `--pg-url URL`).

Results go to stdout and to a JSON file (default `artifacts/bench.json`). Timings are medians
of several runs; the machine is shared, so they vary: compare ratios, and the load average
recorded beside them. No test asserts a time.

The package, one module per section (`extract/bench.py` is the entry point):

    cli         the command line and the order of the sections
    common      paths, stage names, targets, logging; `project_module` (tests/, pages/)
    corpus      the policies benchmarked; `facts_signature` to compare runs
    stages      per policy, per stage, cache cold / warm / off, optimisations off
    batch       a batch through `Extractor.pipe`, in a fresh process
    cluster     the batch on a local Dask cluster beside the in-process one
    memory      RSS / PSS of a process tree, peaks
    gold        prefilter recall and evaluation against the gold files
    kernels     encoder variants and int8 (--experiments)
    ui          the UI with many vendors
    cold_start  `streamlit run` to the matrix in Chromium
    ocr         OCR seconds per page of a scanned PDF
    store_writes  Store.add rate on SQLite and PostgreSQL (a throwaway server if none given)
    report      targets and the JSON file

Importing it loads no model, torch or scikit-learn: every section imports what it measures.
"""
from __future__ import annotations

from .cli import main
from .corpus import facts_signature

__all__ = ["main", "facts_signature"]
