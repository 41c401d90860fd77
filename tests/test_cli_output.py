"""`python -m extract ... -o FILE`: an output that cannot be written is refused before the batch
runs (exit code 2, one clear line, no traceback), and a write that fails at the end is reported
the same way."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extract.cli import _check_writable, main
from tests.core_fixtures import ROOT

SEED = ROOT / "data" / "seeds" / "itechno.txt"


def _batch(tmp_path: Path) -> Path:
    """A folder with one good policy and one broken file (its error line shows it was read)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SEED.read_bytes())
    (folder / "broken.pdf").write_bytes(b"\x00garbage" * 50)
    return folder


@pytest.mark.parametrize("where", ["missing folder", "a folder", "under a file"])
def test_unwritable_output_is_refused_before_any_file_is_read(tmp_path, capsys, where):
    folder = _batch(tmp_path)
    (tmp_path / "plain.txt").write_text("x")
    out = {"missing folder": tmp_path / "no" / "such" / "out.csv",
           "a folder": tmp_path,
           "under a file": tmp_path / "plain.txt" / "out.csv"}[where]
    code = main([str(folder), "--format", "csv", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: cannot write the output file") and str(out) in err
    # Nothing was read: no per-file error, no batch summary.
    assert "broken.pdf" not in err and "processed" not in err
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_folder_is_refused_first(tmp_path, capsys):
    folder = _batch(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code = main([str(folder), "-o", str(locked / "out.json")])
    finally:
        locked.chmod(0o700)
    _, err = capsys.readouterr()
    assert code == 2 and "Permission denied" in err and "processed" not in err


def test_probe_neither_truncates_an_existing_file_nor_leaves_one_behind(tmp_path):
    """The check runs before a batch that may be interrupted: it must not empty yesterday's
    results, nor leave an empty file when the output did not exist."""
    existing = tmp_path / "keep.csv"
    existing.write_text("old results\n")
    assert _check_writable(existing) is None
    assert existing.read_text() == "old results\n"
    fresh = tmp_path / "fresh.csv"
    assert _check_writable(fresh) is None
    assert not fresh.exists()


def test_writable_output_gets_the_results(tmp_path, capsys):
    out = tmp_path / "out" / "scorecard.csv"
    out.parent.mkdir()
    assert main([str(_batch(tmp_path)), "--format", "csv", "-o", str(out)]) == 1  # broken.pdf
    assert "1 processed, 1 failed" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8").startswith("vendor,source,sha256")
    assert [p.name for p in out.parent.iterdir()] == ["scorecard.csv"]


def test_failure_while_writing_at_the_end_is_a_clear_message(tmp_path):
    """/dev/full accepts the probe (it opens for appending) and fails the real write with
    "No space left on device": the disk filling up while the batch ran."""
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full not available")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SEED.read_bytes())
    r = subprocess.run([sys.executable, "-m", "extract", str(folder), "-o", "/dev/full"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error: cannot write the output file /dev/full: No space left on device" in r.stderr
    assert "1 result(s) not saved" in r.stderr


def test_unwritable_output_as_a_command_has_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "extract", str(SEED), "-o",
                        str(tmp_path / "missing" / "out.json")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"error: cannot write the output file {tmp_path / 'missing' / 'out.json'}: "
        "No such file or directory"]
