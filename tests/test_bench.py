"""The benchmark (extract/bench.py) in --quick mode, and the fast path's promises it measures:
the same facts with the optimisations on and off, and a process pool that keeps input order and
reports bad files. Structure and equality only: no test asserts a time."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "seeds"


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "extract.bench", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_quick_bench_writes_the_documented_structure(quick_bench):
    res, stdout = quick_bench
    assert res["quick"] is True and res["machine"]["cores"] >= 1
    per = res["per_policy"]
    assert per["model_load_s"] > 0 and per["policies"]
    kinds = set()
    for name, p in per["policies"].items():
        kinds.add(p["kind"])
        for mode in ("cold", "warm", "slow"):
            assert set(p[mode]) >= {"read", "segment", "embed", "classify", "score", "store",
                                    "total", "embedded"}, (name, mode)
            assert all(v >= 0 for k, v in p[mode].items())
        # the prefilter embeds fewer clauses than "everything", and a warm cache none at all
        assert p["cold"]["embedded"] <= p["slow"]["embedded"]
        assert p["warm"]["embedded"] == 0
        assert p["slow_over_cold"] > 0
    assert {"txt", "pdf"} <= kinds  # the default corpus has PDFs made from the seeds
    assert per["largest"]["name"] in per["policies"]
    batch = res["batch"]
    assert batch["runs"] and all("error" not in r for r in batch["runs"])
    for r in batch["runs"]:
        assert r["n"] == batch["n"] and r["failed"] == 0
        assert r["ppm_total"] > 0 and r["peak_tree_rss_mb"] > 0
        assert r["self_peak_mb"] > 0 and r["rss_upper_bound_mb"] >= r["self_peak_mb"]
    assert any(not r["prefilter"] for r in batch["runs"])  # the optimisations-off run
    assert {t["what"] for t in res["targets"]}
    cl = res["cluster"]  # the batch on a local Dask cluster, beside the in-process one
    try:
        import distributed  # noqa: F401
    except ImportError:
        assert "skipped" in cl and "requirements-scale.txt" in cl["skipped"]
    else:
        assert cl["n"] == batch["n"] and cl["failed"] == 0 and cl["identical_facts"] is True
        assert cl["in_process"]["ppm"] > 0 and cl["cluster"]["ppm_total"] > 0
        assert cl["cluster"]["workers"] == 2 and cl["cluster"]["ppm_per_worker"] > 0
        assert cl["cluster"]["overhead"]["per_task_ms"] > 0
        assert len(cl["cluster"]["worker_peak_mb"]) == 2
        assert min(cl["cluster"]["worker_peak_mb"]) > 0
        assert "local Dask cluster" in stdout
    assert "Targets" in stdout and "Per policy" in stdout


def test_quick_bench_reports_the_store_write_rate_on_both_engines(quick_bench):
    res, stdout = quick_bench
    sw = res["store_writes"]
    engines = ["sqlite"] + (["postgresql"] if "postgresql" in sw else [])
    if "postgresql" not in sw:  # no server here: said why, and the SQLite half still ran
        assert sw["postgresql_skipped"] and "postgresql skipped" in stdout
    for engine in engines:
        for run in sw[engine].values():
            assert run["documents"] == sw["n"] == 20 and run["facts"] > run["documents"]
            assert run["documents_per_s"] > 0 and run["facts_per_s"] > run["documents_per_s"]
    assert "store writes" in stdout


def test_quick_bench_reports_ocr_seconds_per_page(quick_bench):
    from extract.read import ocr

    res, stdout = quick_bench
    if not ocr.available():
        assert res["ocr"] == {"skipped": "tesseract not installed"}
        pytest.skip("tesseract is not installed: the bench reports OCR as skipped")
    assert res["ocr"]["pages"] >= 1 and res["ocr"]["seconds_per_page"] > 0
    assert 0 < res["ocr"]["mean_word_confidence"] <= 1
    assert "OCR (scanned PDF)" in stdout


def test_fast_and_slow_paths_give_identical_facts(quick_bench):
    res, _ = quick_bench
    assert res["per_policy"]["identical_facts"] is True
    assert all(p["identical_facts"] for p in res["per_policy"]["policies"].values())


def test_optimisations_off_embeds_every_clause_and_changes_nothing(tmp_path):
    """In-process, on a seed: prefilter + cache cold / warm vs every clause embedded."""
    from extract.lab.bench import facts_signature
    from extract.cache import EmbeddingCache
    from extract.pipeline import Extractor

    path = SEEDS / "itechno.txt"
    fast = Extractor(cache=EmbeddingCache(tmp_path / "c.db"))
    cold, t_cold = fast.timed(path)
    warm, t_warm = fast.timed(path)
    slow = Extractor(scorer=fast.facts.scorer, cache=False, prefilter=False)
    off, t_off = slow.timed(path)
    assert facts_signature(cold) == facts_signature(warm) == facts_signature(off)
    assert fast.cache.misses > 0 and fast.cache.hits == fast.cache.misses
    assert set(t_cold) >= {"read", "segment", "embed", "classify"}


def test_pipe_with_a_pool_keeps_order_and_reports_bad_files(tmp_path):
    from extract.lab.bench import facts_signature
    from extract.errors import ExtractError
    from extract.pipeline import Extractor

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 this is not really a PDF")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    sources = [SEEDS / "itechno.txt", bad, SEEDS / "cloud-services-provider.txt", empty,
               ("named.txt", (SEEDS / "digi-smart-manager.txt").read_bytes())]
    ex = Extractor(cache=tmp_path / "c.db")
    pooled = list(ex.pipe(sources, workers=2))
    inproc = list(ex.pipe(sources, workers=1))
    assert len(pooled) == len(sources)
    for a, b in zip(pooled, inproc):
        assert type(a) is type(b)
        if isinstance(a, ExtractError):
            assert str(a) == str(b) and a.source == b.source
        else:
            assert a.source == b.source and facts_signature(a) == facts_signature(b)
    assert isinstance(pooled[1], ExtractError) and pooled[1].source == str(bad)
    assert isinstance(pooled[3], ExtractError) and pooled[3].source == str(empty)
    assert pooled[4].source == "named.txt" and pooled[4].vendor == "Named"
