"""The UI at scale: a synthetic store of many vendors (the seeds' facts, varied), the functions
the pages call timed on it, and AppTest runs of the overview and scorecard pages."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from .common import ROOT, log, med, project_module

__all__ = ["build_synthetic_store", "bench_ui"]


def build_synthetic_store(path: Path, n: int, seed: int = 7) -> float:
    """`n` vendors whose facts are the seeds' with random variations; returns seconds."""
    import dataclasses
    import hashlib

    from extract.model import Document, Extraction, Fact, Page
    from extract.seeds import load_seed_extractions
    from extract.store import Store
    from extract.taxonomy import taxonomy

    rng = random.Random(seed)
    seeds = load_seed_extractions()
    specs = {s.id: s for s in taxonomy()}
    store = Store(path)
    store.set_meta("seeded", "1")  # the app must not add the five seeds on top
    words = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
             "Soylent", "Hooli", "Vandelay", "Wonka", "Aperture", "Gringotts", "Monarch"]
    t0 = time.perf_counter()
    for i in range(n):
        base = rng.choice(seeds)
        facts = {}
        for fid, f in base.facts.items():
            f = dataclasses.replace(f, evidence=list(f.evidence))
            kind = specs[fid].kind if fid in specs else "bool"
            if kind == "bool" and rng.random() < 0.2:
                # a flipped "yes" has no quote: the UI shows it as "needs review"
                f = Fact(fid, not f.value, round(rng.uniform(0.4, 0.99), 3), [])
            elif kind == "age" and rng.random() < 0.3:
                f = Fact(fid, rng.choice([None, 13, 16, 18]), f.confidence, f.evidence)
            elif kind == "level" and rng.random() < 0.3:
                f = Fact(fid, rng.choice(["specific", "vague", "none"]), f.confidence,
                         f.evidence)
            facts[fid] = f
        name = f"{rng.choice(words)} {rng.choice(words)} {i:04d}"
        text = base.document.text
        doc = Document(f"{name.lower().replace(' ', '-')}.txt",
                       hashlib.sha256(f"{i}:{name}".encode()).hexdigest(), text,
                       (Page(1, 0, len(text)),), "txt")
        store.add(Extraction(name, doc, facts, [], base.extractor_version))
    return time.perf_counter() - t0


def bench_ui(n_vendors: int, reps: int, tmp: Path, apptest: bool) -> dict:
    os.environ.setdefault("STREAMLIT_GLOBAL_DEVELOPMENT_MODE", "false")
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from extract.export import scorecard_rows, to_csv
    from extract.score import Rubric
    from extract.store import Store

    log(f"\n== UI with {n_vendors} vendors (synthetic store) ==")
    db = tmp / f"ui-{n_vendors}.db"
    build_s = build_synthetic_store(db, n_vendors)
    log(f"built {n_vendors} vendors in {build_s:.1f} s ({db.stat().st_size / 1e6:.1f} MB)")
    ui = project_module("pages.ui")

    store = Store(db)
    rubric = Rubric()
    records = store.records()
    areas = list(ui.AREAS)
    page = ui.ranked(records, rubric)[:ui.MATRIX_PAGE_SIZE]
    fns = {
        "store.records()": lambda: store.records(),
        "ui.score_frame": lambda: ui.score_frame(records, rubric),
        "ui.ranked": lambda: ui.ranked(records, rubric),
        # What the overview sends: one page of vendors in the matrix and the ranking chart.
        "ui.matrix_html (one page)": lambda: ui.matrix_html(page, areas, rubric),
        "ui.matrix_figure(one page).to_json()": lambda: ui.matrix_figure(page, areas,
                                                                         rubric).to_json(),
        "ui.ranking_figure(one page).to_json()": lambda: ui.ranking_figure(page,
                                                                           rubric).to_json(),
        "ui.matrix_figure(all vendors).to_json()": lambda: ui.matrix_figure(records, areas,
                                                                            rubric).to_json(),
        "export.scorecard_rows": lambda: scorecard_rows(records, rubric),
        "export.to_csv": lambda: to_csv(records, rubric),
    }
    out: dict = {"vendors": n_vendors, "build_s": round(build_s, 2), "median_s": {}}
    for k, f in fns.items():
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        out["median_s"][k] = med(ts)
        log(f"  {k:40} {out['median_s'][k]:.3f} s")
    out["matrix_html_mb"] = round(len(ui.matrix_html(page, areas, rubric)) / 1e6, 3)
    out["matrix_json_mb"] = round(len(ui.matrix_figure(page, areas, rubric).to_json()) / 1e6, 3)
    out["ranking_json_mb"] = round(len(ui.ranking_figure(page, rubric).to_json()) / 1e6, 3)
    out["matrix_json_all_vendors_mb"] = round(
        len(ui.matrix_figure(records, areas, rubric).to_json()) / 1e6, 2)
    log(f"  sent to the browser per overview run: matrix HTML {out['matrix_html_mb']} MB, "
        f"heat-map JSON {out['matrix_json_mb']} MB, ranking {out['ranking_json_mb']} MB "
        f"(one page of {len(page)} vendors; all {n_vendors} in one heat-map would be "
        f"{out['matrix_json_all_vendors_mb']} MB)")
    if apptest:
        out["apptest_s"] = _apptest_times(db, reps=max(2, min(reps, 3)))
        for k, v in out["apptest_s"].items():
            log(f"  AppTest {k:36} {v:.2f} s")
    return out


def _apptest_times(db: Path, reps: int) -> dict:
    """AppTest runs of the overview and scorecard pages, in a fresh process."""
    code = f"""
import json, os, sys, time, statistics
sys.path.insert(0, {str(ROOT)!r})
os.environ["PRIVACY_DB"] = {str(db)!r}
from streamlit.testing.v1 import AppTest
res = {{}}
for page in ("pages/overview.py", "pages/scorecard.py"):
    ts = []
    for i in range({reps}):
        at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=600)
        t = time.perf_counter()
        at.run()
        if page != "pages/overview.py":
            t = time.perf_counter()
            at.switch_page(page).run()
        ts.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    res[page + " first run"] = ts[0]
    res[page + " median of later runs"] = statistics.median(ts[1:]) if len(ts) > 1 else ts[0]
print(json.dumps(res))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        log(f"  AppTest failed: {proc.stderr[-1500:]}")
        return {}
    return {k: round(v, 3) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}
