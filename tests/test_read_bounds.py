"""Reading is bounded before and while parsing, and the app reads in a limited worker.

Issue 15: a 20 MB HTML file with one unclosed tag full of attributes took ~64 s and ~2.5 GB
to refuse, and in the app every other session waited meanwhile. A lying <meta charset> gave
silent mojibake.
"""
from __future__ import annotations

import dataclasses
import html
import io
import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from extract import read
from extract.errors import FileTooLarge, UnsupportedFileType
from extract.read import read_document, read_document_isolated
from extract.read.worker import shutdown_workers
from tests.core_fixtures import run_python

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "seeds" / "itechno.txt"
MB = 20 * 1024 * 1024


def bomb(unit: str, head: str = "<html><body>", tail: str = "") -> bytes:
    """About 20 MB of `unit` after `head`."""
    return (head + unit * ((MB - len(head)) // len(unit)) + tail).encode()


BOMBS = {
    "one unclosed tag full of attributes": lambda: bomb(
        "".join(f'a{i}="x" ' for i in range(1000)), head="<html><body><div "),
    "millions of tiny tags": lambda: bomb("<b>x</b>"),
    "deeply nested tags": lambda: bomb("<div>"),
    "a quoted '>' hiding the tag's end": lambda: bomb('a=">" ', head="<html><body><div "),
    "an unclosed comment": lambda: bomb("x ", head="<html><body><p>Policy</p><!-- "),
    "millions of character references": lambda: bomb("&amp;"),
    # Under the tag limit, but each end tag used to scan every open <nav>: 9e9 steps.
    "deeply nested skipped tags": lambda: ("<nav>" * 100_000 + "</b>" * 90_000).encode(),
}


def legit_page(size: int = 2_000_000) -> bytes:
    """A seed policy as an ordinary web page, repeated to `size` bytes."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n") if p.strip()]
    body = "".join(f'<div class="section" id="s{i}"><p style="margin:0">{html.escape(p)}</p>'
                   f"</div>\n" for i, p in enumerate(paragraphs))
    head = ('<!doctype html><html><head><meta charset="utf-8"><title>Privacy</title>'
            "<script>var shown = 1 < 2;</script></head><body><nav><a href='/'>Home</a></nav>"
            "<main>")
    return (head + body * (size // len(body) + 1) + "</main></body></html>").encode()


# --------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize("kind", list(BOMBS))
def test_cli_refuses_an_html_bomb_within_5_s_and_1_gb(tmp_path, kind):
    path = tmp_path / "BOMB.html"
    path.write_bytes(BOMBS[kind]())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "extract", str(path), "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "error: " in out.stderr and "BOMB.html" in out.stderr
    assert any(w in out.stderr for w in ("looks crafted", "limit for one policy",
                                         "contains no readable text")), out.stderr
    assert json.loads(out.stdout) == []
    assert elapsed <= 5.0, f"{kind}: refused after {elapsed:.1f} s"
    # ru_maxrss of the children is the largest child so far; only meaningful if it grew.
    assert peak_kb <= 1024 * 1024 or peak_kb == before, f"{kind}: {peak_kb / 1024:.0f} MB"


def test_an_ordinary_2_mb_web_page_is_still_read():
    doc = read_document(legit_page(), "policy.html")
    assert doc.media_type == "html"
    assert len(doc.text) > 1_000_000
    assert "Home" not in doc.text  # the menu is still left out


# --------------------------------------------------------------------------- the limits
def limited(monkeypatch, **changes) -> None:
    monkeypatch.setattr(read, "LIMITS", dataclasses.replace(read.LIMITS, **changes))


def test_tag_count_is_checked_before_parsing(monkeypatch):
    limited(monkeypatch, max_html_tags=100)
    page = b"<html><body>" + b"<p>We collect your e-mail address.</p>" * 60
    with pytest.raises(FileTooLarge, match=r"has 12\d tags; the limit is 100"):
        read_document(page, "a.html")


def test_attributes_are_counted_before_and_while_parsing(monkeypatch):
    limited(monkeypatch, max_html_attributes=50)
    valued = b"<p>" + b"".join(b'<span a="%d">x</span>' % i for i in range(60))
    with pytest.raises(FileTooLarge, match="60 attributes; the limit is 50"):
        read_document(valued, "a.html")
    bare = b"<p>We collect data.</p>" + b"<span a b c d e f g h i j>x</span>" * 6
    with pytest.raises(FileTooLarge, match="more than 50 attributes"):
        read_document(bare, "a.html")


def test_an_unfinished_tag_is_refused_while_parsing(monkeypatch):
    # The quoted ">" hides the tag's end from the cheap scan; the parser's buffer does not.
    limited(monkeypatch, max_html_tag_chars=1000, max_html_attributes=10**6)
    page = b"<p>We collect data.</p><div " + b'a=">" ' * 400_000
    with pytest.raises(FileTooLarge, match="a tag longer than the limit of 1,000 characters"):
        read_document(page, "a.html")


def test_a_long_script_is_not_a_long_tag(monkeypatch):
    limited(monkeypatch, max_html_tag_chars=1000)
    page = (b"<html><body><script>" + b"if (a < b) { x = 1; }\n" * 20_000 + b"</script>"
            b"<p>We collect your e-mail address to send receipts.</p></body></html>")
    assert read_document(page, "a.html").text == "We collect your e-mail address to send receipts."


def test_word_xml_with_absurd_tag_counts_is_refused(monkeypatch):
    limited(monkeypatch, max_docx_tags=1000)
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "<w:p><w:r><w:t>We collect data.</w:t></w:r></w:p>" * 200
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", f"<w:document {w}><w:body>{body}</w:body></w:document>")
    with pytest.raises(FileTooLarge, match="XML tags in its text; the limit is 1,000"):
        read_document(buf.getvalue(), "a.docx")


# --------------------------------------------------------------------------- lying charsets
PHRASE = "Nous protégeons vos données personnelles – “toujours”. We collect your name."


def test_a_page_declaring_utf8_but_written_in_windows_1252_is_read_as_such():
    page = f'<html><head><meta charset="utf-8"></head><body><p>{PHRASE}</p></body></html>'
    doc = read_document(page.encode("cp1252"), "a.html")
    assert doc.text == PHRASE
    assert "The page declares charset utf-8 but is not utf-8; read as Windows-1252." in doc.warnings


def test_a_page_declaring_latin1_but_written_in_utf8_is_read_as_utf8():
    page = f'<html><head><meta charset="iso-8859-1"></head><body><p>{PHRASE}</p></body></html>'
    doc = read_document(page.encode("utf-8"), "a.html")
    assert doc.text == PHRASE  # not "protÃ©geons"
    assert "The page declares charset iso-8859-1 but is not iso-8859-1; read as UTF-8." \
        in doc.warnings


def test_an_honest_charset_gives_no_warning():
    for charset, encoding in (("utf-8", "utf-8"), ("windows-1252", "cp1252")):
        page = f'<meta charset="{charset}"><p>{PHRASE}</p>'
        doc = read_document(page.encode(encoding), "a.html")
        assert doc.text == PHRASE
        assert not any("declares charset" in w for w in doc.warnings)


# --------------------------------------------------------------------------- the worker
@pytest.fixture
def fresh_workers():
    shutdown_workers()
    yield
    shutdown_workers()


def test_the_isolated_read_gives_the_same_document(fresh_workers):
    data = SEED.read_bytes()
    assert read_document_isolated(data, "itechno.txt") == read_document(data, "itechno.txt")
    page = legit_page(50_000)
    assert read_document_isolated(page, "p.html") == read_document(page, "p.html")


def test_the_isolated_read_raises_the_same_errors(fresh_workers, monkeypatch):
    with pytest.raises(UnsupportedFileType) as isolated:
        read_document_isolated(b"\x89PNG\r\n\x1a\n....", "logo.png")
    with pytest.raises(UnsupportedFileType) as local:
        read_document(b"\x89PNG\r\n\x1a\n....", "logo.png")
    assert str(isolated.value) == str(local.value)
    limited(monkeypatch, max_html_tags=100)  # the worker reads with the limits in force
    with pytest.raises(FileTooLarge, match="the limit is 100"):
        read_document_isolated(b"<p>x</p>" * 100, "a.html")


def test_a_worker_over_its_time_limit_is_killed_and_replaced(fresh_workers, monkeypatch):
    monkeypatch.setenv("PRIVACY_READ_SECONDS", "0.2")
    start = time.monotonic()
    with pytest.raises(FileTooLarge, match="took longer than 0.2 seconds; the file is too "
                                           "complex to read safely"):
        read_document_isolated(legit_page(), "slow.html")
    assert time.monotonic() - start < 30
    monkeypatch.setenv("PRIVACY_READ_SECONDS", "120")
    assert read_document_isolated(SEED.read_bytes(), "itechno.txt").text


def test_a_worker_over_its_memory_limit_gives_a_clear_error(fresh_workers, monkeypatch):
    monkeypatch.setenv("PRIVACY_READ_MEMORY_MB", "64")
    with pytest.raises(FileTooLarge, match="too complex to read safely: reading it needed more "
                                           "than the 64 MB of memory allowed"):
        read_document_isolated(legit_page(), "big.html")
    monkeypatch.setenv("PRIVACY_READ_MEMORY_MB", "2048")
    assert read_document_isolated(SEED.read_bytes(), "itechno.txt").text


def test_the_worker_never_imports_the_model_or_streamlit():
    code = ("import sys; from extract.read import worker\n"
            "import extract.read\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'streamlit', 'sentence_transformers', 'transformers')))")
    out = run_python(code)
    assert out.stdout.strip() == "[]", out.stderr
