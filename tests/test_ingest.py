"""The one ingest path (`extract.ingest`) shared by the Upload page and the CLI, and the settings
it reads. No model: the extractors here are stand-ins."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from extract import ingest
from extract.errors import EmptyFile, ExtractError
from extract.model import Document, Evidence, Extraction, Fact, Page
from extract.settings import Settings, settings
from extract.store import Store

POLICY = textwrap.dedent("""\
    Acme Privacy Policy
    You may ask us to delete your personal data at any time.
    We do not sell personal information to anyone.
    """).encode()


def fake_extraction(doc: Document, vendor: str | None = None) -> Extraction:
    ev = Evidence(doc.text[:40], 1, 0, 40)
    return Extraction(vendor or "Fake Vendor", doc, {
        "sharing.no_sale": Fact("sharing.no_sale", True, 0.9, [ev]),
        "rights.erasure": Fact("rights.erasure", True, 0.9, [ev]),
        "retention.level": Fact("retention.level", "none", 0.9),  # not stated
        "security.mfa": Fact("security.mfa", False, 0.9)}, [], "t")


class FakeExtractor:
    """The model's two entry points: bytes already read (uploads) and a path (the CLI)."""

    made = 0

    def __init__(self):
        type(self).made += 1

    def from_document(self, doc, vendor=None):
        if "boom" in doc.filename:
            raise RuntimeError("internal detail")
        return fake_extraction(doc, vendor)

    def __call__(self, path):
        name = Path(path).name
        if name.startswith("bad"):
            raise EmptyFile(f"{name} is empty.")
        if name.startswith("boom"):
            raise RuntimeError("internal detail")
        doc = Document(name, "0" * 64, "text", (Page(1, 0, 4),), "txt", ("odd file",))
        return fake_extraction(doc)


@pytest.fixture(autouse=True)
def fresh_counter():
    FakeExtractor.made = 0


# --------------------------------------------------------------------------- uploads
def test_one_bad_upload_never_stops_the_batch(tmp_db):
    store = Store(tmp_db)
    files = [("zero.txt", b""), ("boom.txt", POLICY + b"x"), ("a.txt", POLICY),
             ("again.txt", POLICY)]
    seen = []
    out = ingest.ingest_uploads(files, None, store, FakeExtractor,
                                on_progress=lambda i, name: seen.append((i, name)))
    assert [o.filename for o in out] == [f for f, _ in files]
    assert seen == [(i, f) for i, (f, _) in enumerate(files)]
    assert [o.status for o in out] == ["error", "error", "added", "duplicate"]
    assert out[0].message.endswith("Nothing was stored.") and not out[0].unexpected
    assert out[1].unexpected and "internal detail" not in out[1].message
    assert out[2].message == "Added: 2 facts stated." and out[2].extraction is not None
    assert out[3].vendor_id == out[2].vendor_id
    assert FakeExtractor.made == 1 and store.count_vendors() == 1


def test_the_app_and_the_cli_word_failures_their_own_way():
    exc = EmptyFile("x.txt is empty.")
    assert ingest.UPLOAD_WORDING.failed(exc) == "x.txt is empty. Nothing was stored."
    assert ingest.CLI_WORDING.failed(exc) == "x.txt is empty."
    assert "(KeyError)" in ingest.CLI_WORDING.unexpected(KeyError("k"))


def test_the_upload_widget_takes_every_suffix_the_reader_reads(tmp_db):
    from streamlit.testing.v1 import AppTest

    from extract.read import SUPPORTED_SUFFIXES

    assert "markdown" in ingest.accepted_types()  # the reader reads .markdown: so does the app
    assert [f".{t}" for t in ingest.accepted_types()] == list(SUPPORTED_SUFFIXES)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=60).run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    assert list(at.get("file_uploader")[0].proto.type) == list(SUPPORTED_SUFFIXES)


# --------------------------------------------------------------------------- the CLI
def test_extract_files_reports_each_file_and_goes_on(tmp_path):
    paths = [tmp_path / n for n in ("bad.txt", "boom.txt", "good.txt")]
    outs = ingest.extract_files(paths, FakeExtractor)
    assert FakeExtractor.made == 0  # lazy: nothing happens until the outcomes are read
    outs = list(outs)
    assert [o.status for o in outs] == ["error", "error", "extracted"]
    assert outs[0].message == "bad.txt is empty."
    assert outs[1].unexpected and "RuntimeError" in outs[1].message
    assert outs[2].extraction.vendor == "Fake Vendor" and outs[2].warnings == ("odd file",)
    assert [o.filename for o in outs] == [str(p) for p in paths]
    assert FakeExtractor.made == 1


def test_no_files_no_model():
    assert list(ingest.extract_files([], FakeExtractor)) == [] and FakeExtractor.made == 0


def test_collect_paths_lives_in_ingest_and_stays_in_the_cli(tmp_path):
    from extract.cli import collect_paths

    assert collect_paths is ingest.collect_paths
    (tmp_path / "d" / ".hidden").mkdir(parents=True)
    (tmp_path / "d" / "a.md").write_text("x")
    (tmp_path / "d" / ".hidden" / "b.txt").write_text("x")
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "logo.png").write_bytes(b"x")
    files, problems = collect_paths([str(tmp_path / "d"), str(tmp_path / "e"),
                                     str(tmp_path / "nope")])
    assert [f.name for f in files] == ["a.md", "logo.png"]
    assert len(problems) == 2 and "no policy files" in problems[0]
    assert "no such file" in problems[1]


def test_run_batch_turns_any_failure_into_an_outcome():
    def handle(name, item):
        if item == 1:
            raise ExtractError("unreadable.")
        if item == 2:
            raise ValueError("bug")
        return ingest.Outcome(name, "extracted", "ok")

    outs = list(ingest.run_batch([("a", 1), ("b", 2), ("c", 3)], handle, ingest.CLI_WORDING))
    assert [(o.status, o.unexpected) for o in outs] == [("error", False), ("error", True),
                                                        ("extracted", False)]


# --------------------------------------------------------------------------- settings
def test_settings_parse_every_variable_one_way():
    s = Settings.from_env({"PRIVACY_DB": " /x/p.db ", "PRIVACY_FAST_PATH": "Off",
                           "PRIVACY_VECTOR_CACHE": "", "PRIVACY_VECTOR_CACHE_ROWS": "0",
                           "PRIVACY_TORCH_THREADS": "-2", "PRIVACY_MAX_UPLOAD_MB": "2",
                           "PRIVACY_MAX_PAGES": "many", "PRIVACY_USERS_FILE": "  "})
    assert s.db == Path("/x/p.db") and s.users_file is None
    assert s.fast_path is False and s.vector_cache is True
    assert s.vector_cache_rows == 0 and s.torch_threads is None
    assert s.max_upload_bytes == 2 << 20 and s.max_pages == Settings().max_pages
    assert Settings.from_env({}) == Settings()


def test_settings_follow_the_environment(monkeypatch, tmp_path):
    from extract.store import default_db_path

    monkeypatch.setenv("PRIVACY_DB", str(tmp_path / "a.db"))
    first = settings()
    assert settings() is first  # read once
    assert default_db_path() == tmp_path / "a.db"
    monkeypatch.setenv("PRIVACY_DB", str(tmp_path / "b.db"))
    assert settings().db == tmp_path / "b.db" == default_db_path()
