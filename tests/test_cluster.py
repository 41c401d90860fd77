"""Batches on a Dask cluster (`python -m extract PATH... --cluster local:N|tcp://...`): the same
results as in-process, in input order, bad files reported and skipped, the model loaded once
per worker, results stored with `--store`, and a clear message when Dask is not installed.

Skipped when Dask is not installed (`pip install -r requirements-scale.txt`), except under
CI=true, where that is a failure. The local clusters bind to 127.0.0.1 only."""
from __future__ import annotations

import builtins
import json

import pytest

from extract.cli import main
from extract.cluster import INSTALL_HINT, parse_cluster
from extract.ingest import extract_files
from extract.lab.bench import facts_signature
from extract.seeds import SEED_DIR
from extract.store import Store
from tests.core_fixtures import in_ci, run_python
from tests.pdfs import pdf_from_text

BAD = "bad-vendor.pdf"


def need_dask():
    try:
        import distributed  # noqa: F401
    except ImportError:
        if in_ci():
            pytest.fail("Dask is missing in CI (.ci/run installs requirements-scale.txt)",
                        pytrace=False)
        pytest.skip("Dask is not installed (.venv/bin/pip install -r requirements-scale.txt)")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list:
    """Two seeds as TXT, one as a PDF, a damaged PDF in the middle and a missing file."""
    folder = tmp_path_factory.mktemp("batch")
    names = ("itechno.txt", "digi-smart-manager.txt")
    for name in names:
        (folder / name).write_bytes((SEED_DIR / name).read_bytes())
    pdf_text = (SEED_DIR / "precision-e-technologies.txt").read_text(encoding="utf-8")
    (folder / "precision.pdf").write_bytes(pdf_from_text(pdf_text))
    (folder / BAD).write_bytes(b"\x00\x01 renamed, not really a PDF")
    return [folder / names[0], folder / BAD, folder / "precision.pdf", folder / "gone.txt",
            folder / names[1]]


@pytest.fixture(scope="module")
def client():
    need_dask()
    from extract.cluster import connect

    with connect(parse_cluster("local:2")) as c:
        yield c


def _as_comparable(outcomes) -> list:
    return [(o.filename, o.status, o.message,
             facts_signature(o.extraction) if o.extraction else None,
             o.extraction.vendor if o.extraction else None) for o in outcomes]


def test_cluster_spec_is_local_n_or_a_scheduler_address():
    assert parse_cluster("local:2").workers == 2 and parse_cluster("local:2").local
    assert parse_cluster("tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:", "2", "http://host:8786", "tcp://host", "local:two"):
        with pytest.raises(ValueError, match="local:N"):
            parse_cluster(bad)


@pytest.mark.parametrize("send_bytes", [False, True], ids=["paths", "bytes"])
def test_a_batch_on_two_workers_equals_the_in_process_run(client, batch, extractor,
                                                          send_bytes):
    """Same facts, values, evidence and confidences, in input order; the damaged and the
    missing file are reported with the in-process message and the others still extracted.
    Paths: a local cluster's workers share the file system; bytes: a remote cluster's."""
    from extract.cluster import extract_on_cluster

    here = _as_comparable(extract_files(batch, lambda: extractor))
    there = _as_comparable(extract_on_cluster(client, batch, extractor, send_bytes=send_bytes))
    assert [s for _, s, *_ in there] == ["extracted", "error", "extracted", "error", "extracted"]
    assert there == here
    assert "not a PDF" in there[1][2] and "Cannot open gone.txt" in there[3][2]


def test_the_model_loads_once_per_worker_not_per_file(client, batch):
    from extract.cluster import extract_on_cluster, worker_loads
    from extract.pipeline import Extractor

    def builds() -> dict:  # extractors each worker process has built so far
        return {w: sum(counts.values()) for w, counts in client.run(worker_loads).items()}

    before = builds()
    files = [p for p in batch if p.exists() and p.name != BAD] * 3  # 9 files on 2 workers
    fresh = Extractor(cache=False)  # settings no earlier batch had: every worker builds anew
    outcomes = list(extract_on_cluster(client, files, fresh, send_bytes=False))
    assert [o.status for o in outcomes] == ["extracted"] * len(files)
    after = builds()
    assert len(after) == 2
    new = {w: after[w] - before.get(w, 0) for w in after}
    assert all(n <= 1 for n in new.values()), new      # once per worker ...
    assert 1 <= sum(new.values()) <= 2 < len(files)     # ... never once per file


def test_cli_cluster_run_writes_the_same_output_and_stores_the_vendors(batch, tmp_path,
                                                                       capsys):
    need_dask()
    args = [str(p) for p in batch if p.exists()]  # a missing path is the CLI's own error
    local_out, cluster_out = tmp_path / "local.json", tmp_path / "cluster.json"
    db = tmp_path / "s.db"
    assert main([*args, "-o", str(local_out)]) == 1
    capsys.readouterr()
    code = main([*args, "--cluster", "local:2", "--store", "--db", str(db), "-o",
                 str(cluster_out)])
    err = capsys.readouterr().err
    assert code == 1  # the damaged file failed; the batch went on
    assert f"error: {batch[1]}: " in err and "not a PDF" in err
    assert "3 stored, 0 already stored" in err and "3 processed, 1 failed" in err
    assert json.loads(cluster_out.read_text()) == json.loads(local_out.read_text())
    store = Store(db)
    assert sorted(r.vendor for r in store.records()) == ["Digi Smart Manager", "Itechno",
                                                         "Precision"]
    assert {r.source for r in store.records()} == {"itechno.txt", "digi-smart-manager.txt",
                                                   "precision.pdf"}


def test_store_flag_in_process_keeps_the_duplicate_rule(batch, tmp_path, capsys):
    db = tmp_path / "s.db"
    seed = str(batch[0])
    assert main([seed, "--store", "--db", str(db)]) == 0
    assert "1 stored, 0 already stored" in capsys.readouterr().err
    assert main([seed, "--store", "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert f"note: {seed}: already stored" in err and "0 stored, 1 already stored" in err
    assert Store(db).count_vendors() == 1


def test_without_dask_the_flag_says_how_to_install_it(batch, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    assert main([str(batch[0]), "--cluster", "local:2"]) == 2
    err = capsys.readouterr().err
    assert INSTALL_HINT in err and ".venv/bin/pip install -r requirements-scale.txt" in err


def test_without_the_flag_dask_is_never_imported(batch):
    code = ("import sys; from extract.cli import main; main([sys.argv[1]]); "
            "print('imported:', sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('dask', 'distributed')))")
    proc = run_python(code, str(batch[1]), timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "imported: []", proc.stderr[-2000:]
