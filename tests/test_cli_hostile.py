"""`python -m extract` over a folder that mixes good policies with every kind of bad file.

The command must process the good files exactly as it would on their own, name each bad file
on stderr with the reason, and exit non-zero. The folder is built here, file by file.
"""
from __future__ import annotations

import dataclasses
import io
import json
import random
import zipfile

import pytest

import extract.read as read
from extract.cli import main
from extract.seeds import SEED_DIR
from tests.pdfs import bomb_pdf, encrypted_pdf, pdf_from_text, scanned_pdf

POLICY = (SEED_DIR / "itechno.txt").read_text(encoding="utf-8")
SECOND = (SEED_DIR / "digi-smart-manager.txt").read_text(encoding="utf-8")

def bad_files() -> dict[str, tuple[bytes, str]]:
    """name → (bytes, a phrase its stderr message must contain: the reader's own wording, so a
    generic or missing message fails)."""
    good_pdf = pdf_from_text(POLICY)
    fake_docx = io.BytesIO()
    with zipfile.ZipFile(fake_docx, "w") as zf:
        zf.writestr("photos/cat.txt", "meow")
    return {
        "locked.pdf": (encrypted_pdf(POLICY[:2000]), "encrypted"),
        "scan.pdf": (scanned_pdf(pages=2), "no text layer"),
        "cut.pdf": (good_pdf[: len(good_pdf) // 2], "incomplete"),
        "noise.pdf": (random.Random(7).randbytes(5000), "not a PDF"),
        "zero.pdf": (b"", "empty"),
        "bomb.pdf": (bomb_pdf(inflated_mb=64), "16 MB"),
        "big.txt": (b"We keep data. " * 200_000, "upload limit"),
        "photos.docx": (fake_docx.getvalue(), "not a Word document"),
        "setup.exe": (b"MZ\x90\x00" + bytes(200), "this tool reads"),
        "logo.png": (b"\x89PNG\r\n\x1a\n" + bytes(100), "this tool reads"),
    }


@pytest.fixture
def mixed_folder(tmp_path, monkeypatch):
    # 2 MB upload limit for this test, so "big.txt" can be over it without a huge file.
    monkeypatch.setattr(read, "LIMITS", dataclasses.replace(read.LIMITS, max_bytes=2 << 20))
    folder = tmp_path / "vendors"
    (folder / "nested").mkdir(parents=True)
    (folder / "itechno.txt").write_text(POLICY, encoding="utf-8")
    (folder / "nested" / "second.pdf").write_bytes(pdf_from_text(SECOND))
    # Odd but readable: Windows-1252 text and HTML with scripts are read, not refused.
    (folder / "legacy.txt").write_bytes(
        "Privacy notice – we don’t sell personal data. Users may request deletion of their "
        "data.\n".encode("cp1252"))
    (folder / "page.html").write_text(
        "<html><body><script>alert(1)</script><p onclick='x()'>We encrypt personal data in "
        "transit using TLS.</p></body></html>", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # hidden files are not policies
    for name, (data, _) in bad_files().items():
        (folder / name).write_bytes(data)
    return folder


def test_mixed_folder_reports_each_bad_file_and_extracts_the_good(mixed_folder, capsys,
                                                                   extractor):
    code = main([str(mixed_folder), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    errors = {line for line in err.splitlines() if line.startswith("error: ")}
    for name, (_, phrase) in bad_files().items():
        line = next((e for e in errors if f"/{name}:" in e), None)
        assert line is not None, f"{name} not reported on stderr:\n{err}"
        assert phrase.lower() in line.lower(), line
    assert len(errors) == len(bad_files())  # nothing good reported, nothing bad missed
    assert ".DS_Store" not in err
    assert "4 processed, 10 failed" in err

    results = {o["source"]: o for o in json.loads(out)}
    assert set(results) == {"itechno.txt", "second.pdf", "legacy.txt", "page.html"}
    # The good files get exactly the facts they get on their own.
    alone = extractor(mixed_folder / "itechno.txt")
    assert {k: v["value"] for k, v in results["itechno.txt"]["facts"].items()} == \
        {k: f.value for k, f in alone.facts.items()}
    assert results["legacy.txt"]["facts"]["rights.erasure"]["value"] is True
    assert results["page.html"]["facts"]["security.encryption_in_transit"]["value"] is True
    assert all("alert" not in e["text"] for f in results["page.html"]["facts"].values()
               for e in f["evidence"])


def test_a_folder_of_only_bad_files_outputs_an_empty_list_and_fails(tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "zero.pdf").write_bytes(b"")
    (folder / "setup.exe").write_bytes(b"MZ" + bytes(50))
    code = main([str(folder), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out) == []
    assert "zero.pdf" in err and "setup.exe" in err


def test_unexpected_failure_of_one_file_does_not_end_the_batch(tmp_path, capsys, monkeypatch):
    """A bug in the extractor on one file is reported for that file; the rest go on."""
    from extract import pipeline

    real = pipeline.Extractor.__call__

    def flaky(self, source, *args, **kwargs):
        if str(source).endswith("boom.txt"):
            raise RuntimeError("simulated bug")
        return real(self, source, *args, **kwargs)

    monkeypatch.setattr(pipeline.Extractor, "__call__", flaky)
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "boom.txt").write_text(POLICY, encoding="utf-8")
    (folder / "ok.txt").write_text(POLICY, encoding="utf-8")
    code = main([str(folder), "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "boom.txt" in err and "unexpected error" in err and "Traceback" not in err
    assert len(out.strip().splitlines()) == 2 and "ok.txt" in out
