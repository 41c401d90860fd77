"""The pipeline end to end, the CLI contract, and the preloaded seeds."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extract.cli import main
from extract.seeds import SEED_DIR, SEED_FACTS, ensure_seeded, load_seed_extractions
from extract.store import Store
from extract.taxonomy import fact_ids
from tests.core_fixtures import ROOT, SHARED
from tests.pdfs import pdf_from_text


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared/ data not found beside the project")
def test_seeds_ship_with_the_product():
    shipped = sorted(p.name for p in SEED_DIR.glob("*.txt"))
    assert shipped == sorted(p.name for p in (SHARED / "seeds").glob("*.txt"))
    for name in shipped:
        assert (SEED_DIR / name).read_bytes() == (SHARED / "seeds" / name).read_bytes()


def test_precomputed_seed_facts_equal_a_fresh_extraction(extractor):
    """data/seeds/facts.json is what the current extractor produces (rebuild: python -m extract.seeds)."""
    saved = {o["source"]: o for o in json.loads(SEED_FACTS.read_text())}
    for path in sorted(SEED_DIR.glob("*.txt")):
        fresh = extractor(path)
        for fid in fact_ids():
            assert saved[path.name]["facts"][fid]["value"] == fresh.facts[fid].value, (path.name, fid)


def test_first_start_preloads_the_five_seeds_once(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    assert ensure_seeded(store) == 5
    assert ensure_seeded(store) == 0
    assert store.count_vendors() == 5
    rec = {r.source: r for r in store.records()}["itechno.txt"]
    assert rec.facts["children.min_age"].value == 18


def test_pdf_made_from_a_seed_gives_the_same_facts_as_its_txt(extractor, tmp_path):
    for name in ("digi-smart-manager.txt", "precision-e-technologies.txt"):
        txt = (SEED_DIR / name).read_text(encoding="utf-8")
        from_txt = extractor(SEED_DIR / name)
        from_pdf = extractor(pdf_from_text(txt), filename=name.replace(".txt", ".pdf"))
        assert from_pdf.document.n_pages > 1
        diff = {fid for fid in fact_ids() if fid != "retention.periods"
                and from_txt.facts[fid].value != from_pdf.facts[fid].value}
        assert not diff, (name, {f: (from_txt.facts[f].value, from_pdf.facts[f].value) for f in diff})


def test_cli_json_contract(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main([str(SEED_DIR / "itechno.txt"), "--format", "json", "-o", str(out)]) == 0
    (obj,) = json.loads(out.read_text())
    assert obj["source"] == "itechno.txt" and len(obj["sha256"]) == 64
    assert set(obj["facts"]) == set(fact_ids())
    age = obj["facts"]["children.min_age"]
    assert age["value"] == 18 and 0 <= age["confidence"] <= 1
    ev = age["evidence"][0]
    assert set(ev) >= {"text", "page", "start", "end", "section"}
    assert "under the age of 18" in ev["text"]
    assert set(obj["scores"]) == {"rights", "retention", "security", "children", "overall", "grade"}


def test_cli_reports_bad_files_and_still_processes_the_good(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text((SEED_DIR / "itechno.txt").read_text())
    (folder / "broken.pdf").write_bytes(b"\x00garbage" * 50)
    (folder / "empty.txt").write_bytes(b"")
    code = main([str(folder), "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "broken.pdf" in err and "empty.txt" in err
    assert out.splitlines()[0].startswith("vendor,source,sha256")
    assert len(out.strip().splitlines()) == 2 and "good.txt" in out


def test_cli_as_a_module_over_a_folder(tmp_path):
    # The policies only: data/seeds also holds facts.json, which the CLI reports as not a policy.
    for p in SEED_DIR.glob("*.txt"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    r = subprocess.run([sys.executable, "-m", "extract", str(tmp_path), "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 5
