"""Policies by URL: a seed served as a web page reads like the seed itself, page chrome never
becomes evidence, and every bound (size, type, redirects, time) gives a clear message (issue 16).

Everything is served by a local http.server on 127.0.0.1, allowed with PRIVACY_FETCH_ALLOW_HOSTS.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

import pytest

from extract.errors import FetchFailed, FileTooLarge, UnsupportedFileType
from extract.fetch import fetch
from extract.url_ingest import extract_url, vendor_from_url
from extract.webpage import readable
from tests.pdfs import pdf_from_text
from tests.web_support import (CHROME_SENTENCES, ROOT, SEEDS, Reply, no_other_connections, page,
                               redirect, seed_html, seed_text, serve)

ALLOW = ["127.0.0.1"]
SEED_NAMES = sorted(p.stem for p in SEEDS.glob("*.txt"))


def _evidence(result: dict) -> list[str]:
    return [e["text"] for f in result["facts"].values() for e in f["evidence"]]


def test_cli_reads_a_policy_page_like_the_seed_and_never_quotes_the_chrome():
    """`PRIVACY_FETCH_ALLOW_HOSTS=127.0.0.1 python -m extract http://127.0.0.1:PORT/x.html
    --format json` gives the seed's TXT facts (≥ 95 % over fact ids, every seed), with no
    evidence from navigation, cookie banner, scripts or footer."""
    routes = {f"/{n}.html": page(seed_html(seed_text(n))) for n in SEED_NAMES}
    with serve(routes) as site:
        args = [str(SEEDS / f"{n}.txt") for n in SEED_NAMES] + [site.url(f"/{n}.html")
                                                                for n in SEED_NAMES]
        env = {**os.environ, "PRIVACY_FETCH_ALLOW_HOSTS": "127.0.0.1", "HF_HUB_OFFLINE": "1"}
        out = subprocess.run([sys.executable, "-m", "extract", *args, "--format", "json"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout)
    assert len(results) == 2 * len(SEED_NAMES)
    for name, txt, web in zip(SEED_NAMES, results, results[len(SEED_NAMES):]):
        assert web["source"] == site.url(f"/{name}.html")
        ids = sorted(txt["facts"])
        same = sum(txt["facts"][i]["value"] == web["facts"].get(i, {}).get("value") for i in ids)
        assert same / len(ids) >= 0.95, (name, same, len(ids))
        seed = " ".join(seed_text(name).split()).lower()
        for quote in _evidence(web):
            q = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", " ".join(quote.split()).lower())
            assert not any(c in q for c in CHROME_SENTENCES), (name, quote)
            assert q[:60] in seed, (name, quote)  # every quote is the policy's own text
    assert sum(len(_evidence(w)) for w in results[len(SEED_NAMES):]) > 20


def test_the_main_text_drops_nav_banner_scripts_and_footer():
    page_text, _ = readable(_fetched(seed_html(seed_text("itechno"))))
    text = page_text.decode().lower()
    assert "information collection and use" in text and "itechno" in text
    chrome_words = ("accept all cookies", "all rights reserved", "var banner", "max-age")
    for chrome in CHROME_SENTENCES + chrome_words:
        assert chrome not in text, chrome


def _fetched(html: str):
    with serve({"/p.html": page(html)}) as site:
        return fetch(site.url("/p.html"), allow=ALLOW)


def test_a_pdf_at_a_url_is_read_like_an_upload(extractor, monkeypatch):
    monkeypatch.setenv("PRIVACY_FETCH_ALLOW_HOSTS", "127.0.0.1")
    pdf = pdf_from_text(seed_text("digi-smart-manager"))
    with serve({"/legal/privacy-notice.pdf": Reply(200, pdf, {"Content-Type": "application/pdf"}),
                "/download?id=7": Reply(200, pdf, {"Content-Type": "application/octet-stream"}),
                "/files/policy.pdf": Reply(200, pdf,
                                           {"Content-Type": "application/octet-stream"})}) as site:
        got = fetch(site.url("/legal/privacy-notice.pdf"), allow=ALLOW)
        assert readable(got) == (pdf, "privacy-notice.pdf")  # the bytes as uploaded
        out = extract_url(site.url("/legal/privacy-notice.pdf"), lambda: extractor)
        assert fetch(site.url("/files/policy.pdf"), allow=ALLOW).suffix == ".pdf"
        with pytest.raises(UnsupportedFileType, match="application/octet-stream"):
            fetch(site.url("/download?id=7"), allow=ALLOW)  # a generic type needs a suffix
    upload = extractor((("privacy-notice.pdf", pdf)))
    assert out.status == "extracted", out.message
    assert {k: f.value for k, f in out.extraction.facts.items()} == \
        {k: f.value for k, f in upload.facts.items()}


def test_a_page_larger_than_the_limit_is_refused_while_streaming(monkeypatch):
    body = b"<p>" + b"policy text " * 20_000 + b"</p>"
    with serve({"/declared": Reply(200, body, {"Content-Type": "text/html"}),
                "/streamed": Reply(200, body, {"Content-Type": "text/html"}, stream=True)}) as site:
        no_other_connections(monkeypatch, site)
        for path in ("/declared", "/streamed"):
            with pytest.raises(FileTooLarge, match="larger than the limit of"):
                fetch(site.url(path), allow=ALLOW, limit=50_000)
        assert len(fetch(site.url("/streamed"), allow=ALLOW, limit=len(body)).data) == len(body)


@pytest.mark.parametrize("content_type", ["image/png", "application/json",
                                          "application/zip", "text/csv"])
def test_other_content_types_are_refused_with_a_clear_message(content_type):
    with serve({"/x": Reply(200, b"\x89PNG....", {"Content-Type": content_type})}) as site:
        with pytest.raises(UnsupportedFileType) as err:
            fetch(site.url("/x"), allow=ALLOW)
    assert content_type in str(err.value) and "only HTML pages, PDF, plain text" in str(err.value)


def test_redirects_are_followed_up_to_the_bound(monkeypatch):
    routes = {"/a": redirect("/b", 301), "/b": redirect("/c", 307), "/c": page("<p>hi</p>"),
              "/loop": redirect("/loop")}
    with serve(routes) as site:
        no_other_connections(monkeypatch, site)
        assert fetch(site.url("/a"), allow=ALLOW).url == site.url("/c")
        with pytest.raises(FetchFailed, match="redirected more than 5 times"):
            fetch(site.url("/loop"), allow=ALLOW)
        assert [p for p, _ in site.requests].count("/loop") == 6


def test_a_server_that_does_not_answer_in_time_is_a_clear_failure():
    hold = threading.Event()
    with serve({"/slow": Reply(200, b"<p>late</p>", {"Content-Type": "text/html"},
                               block=hold)}) as site:
        with pytest.raises(FetchFailed, match="did not answer within"):
            fetch(site.url("/slow"), allow=ALLOW, timeout=0.5)


def test_error_statuses_and_dead_ports_are_clear_failures():
    with serve({}) as site:
        with pytest.raises(FetchFailed, match="answered 404"):
            fetch(site.url("/missing"), allow=ALLOW)
        dead = site.port
    with pytest.raises(FetchFailed, match="refused the connection|could not be reached"):
        fetch(f"http://127.0.0.1:{dead}/", allow=ALLOW, timeout=2)


def test_a_page_without_main_text_is_not_a_policy():
    from extract.errors import NoPolicyText
    with pytest.raises(NoPolicyText, match="no main text"):
        readable(_fetched("<html><body><nav><a href='/'>Home</a></nav><script>app()</script>"
                          "</body></html>"))


def test_vendor_names_come_from_the_host():
    assert vendor_from_url("https://www.acme-cloud.com/legal/privacy") == "Acme Cloud"
    assert vendor_from_url("https://privacy.example.co.uk/notice") == "Example"
    assert vendor_from_url("http://127.0.0.1:8000/page.html") == "127.0.0.1"


def test_a_crafted_page_is_refused_before_the_boilerplate_remover_parses_it(monkeypatch):
    import trafilatura

    def parse(*_a, **_k):  # lxml's tree would be built in the app's process
        raise AssertionError("the crafted page reached trafilatura")

    monkeypatch.setattr(trafilatura, "extract", parse)
    bomb = "<html><body><div " + " ".join(f'a{i}="x"' for i in range(300_000)) + ">"
    with pytest.raises(FileTooLarge, match="crafted|too long"):
        readable(_fetched(bomb))
