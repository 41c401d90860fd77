"""The learned clause classifier: artefact, loader, reproducible rebuild, and a guard that the
taxonomy stays general (no seed vendor, no copied seed/dev sentence). Held-out ToS;DR figures
and calibration: test_audit.py."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "dev" / "tosdr_clauses.jsonl").is_file(),
                                  reason="shared/ data not found beside the project")


@pytest.fixture(scope="session")
def learn_cache():
    from extract.learn import EmbeddingCache
    return EmbeddingCache(disk=True)


# ----------------------------------------------------------------------------- artefact
def test_artefact_loads_and_matches_taxonomy():
    from extract import learn
    from extract.taxonomy import TAXONOMY_VERSION
    scorer = learn.load_scorer(strict=True)
    meta = json.loads(learn.META.read_text())
    assert meta["taxonomy_version"] == TAXONOMY_VERSION
    assert meta["facts"] == [s.id for s in learn.learned_facts()]
    assert meta["taxonomy_hash"] == learn.taxonomy_hash(), \
        "facts.toml changed since training: run `python -m extract.learn` and commit extract/models/"
    assert meta["sklearn_version"] and meta["training_data_hash"]
    assert "tosdr.org" in meta["credits"]
    assert learn.ARTEFACT.stat().st_size < 200_000
    emb = np.zeros((2, 384), dtype=np.float32)
    p = scorer.score("rights.access", emb)
    assert p.shape == (2,) and ((0 <= p) & (p <= 1)).all()


def test_extractor_uses_learned_scorer_by_default():
    from extract.classify import FactExtractor
    from extract.learn import LearnedScorer

    def never(texts):  # the learned scorer needs no embedding at construction
        raise AssertionError("encode called at construction")
    fx = FactExtractor(never)
    assert isinstance(fx.scorer, LearnedScorer) and fx.calibrated


@pytest.mark.parametrize("change", ["version", "facts"])
def test_loader_falls_back_when_taxonomy_differs(tmp_path, change):
    from extract import learn
    shutil.copy(learn.ARTEFACT, tmp_path / learn.ARTEFACT.name)
    meta = json.loads(learn.META.read_text())
    if change == "version":
        meta["taxonomy_version"] = "0.9"
    else:
        meta["facts"] = meta["facts"][:-1]
    (tmp_path / learn.META.name).write_text(json.dumps(meta))
    with pytest.warns(RuntimeWarning, match="prototype scorer"):
        assert learn.load_scorer(tmp_path) is None
    with pytest.raises(ValueError):
        learn.load_scorer(tmp_path, strict=True)


def test_missing_artefact_falls_back_to_prototype(tmp_path):
    from extract.classify import PrototypeScorer, default_scorer
    with pytest.warns(RuntimeWarning, match="no clause model"):
        scorer = default_scorer(lambda texts: np.ones((len(texts), 384), dtype=np.float32),
                                model_dir=tmp_path)
    assert isinstance(scorer, PrototypeScorer)


# ----------------------------------------------------------------------------- rebuild
@needs_shared
def test_training_material_is_unchanged():
    """The checked-in artefact was trained on exactly today's material (taxonomy, gold,
    ToS;DR, reader and segmenter): otherwise it must be rebuilt."""
    from extract import learn
    meta = json.loads(learn.META.read_text())
    samples = learn.material(SHARED)
    assert learn.material_hash(samples) == meta["training_data_hash"], \
        "training material changed: run `python -m extract.learn` and commit extract/models/"


@needs_shared
def test_rebuild_reproduces_artefact(learn_cache):
    from extract import learn
    problems = learn.check(SHARED, learn_cache)
    assert not problems, problems


def test_training_is_deterministic_on_a_subset():
    """Same inputs, same bytes: fixed order, no randomness, rounded coefficients."""
    from extract import learn
    rng = np.random.default_rng(0)
    samples = learn._taxonomy_material(learn.learned_facts())
    emb = rng.normal(size=(len(samples), 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    a = learn.LearnedScorer(learn.train(samples, emb))
    b = learn.LearnedScorer(learn.train(samples, emb.copy()))
    assert learn._npz_bytes(learn._arrays(a)) == learn._npz_bytes(learn._arrays(b))


# ----------------------------------------------------------------------------- generality
SEED_VENDORS = re.compile(r"precision[ -](?:e[ -]tech|optical)|digi[ -]?smart|itechno|"
                          r"cloud[ -]services[ -]provider", re.I)
SEED_VENDOR_CAPS = re.compile(r"\bPRECISION\b")  # the seed vendor's name as written


def _norm(t: str) -> str:
    return re.sub(r"\s+", " ", t.replace("’", "'")).strip().lower()


def test_no_seed_vendor_in_rules_or_examples():
    for name in ("facts.toml", "classify.py", "learn.py"):
        text = (ROOT / "extract" / name).read_text(encoding="utf-8")
        assert not SEED_VENDORS.search(text), f"{name} mentions a seed vendor"
        assert not SEED_VENDOR_CAPS.search(text), f"{name} mentions a seed vendor"


@needs_shared
def test_no_seed_or_dev_sentence_copied_into_taxonomy():
    from extract.taxonomy import taxonomy
    corpus = [_norm(p.read_text(encoding="utf-8", errors="replace"))
              for folder in ("seeds", "dev/policies") for p in sorted((SHARED / folder).iterdir())]
    for spec in taxonomy():
        for sent in spec.examples + spec.counter:
            s = _norm(sent).rstrip(".")
            assert not any(s in doc for doc in corpus), f"{spec.id}: copied sentence «{sent}»"
