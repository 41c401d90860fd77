"""Watching a vendor's policy page: add by URL, re-check, see what changed (issue 16).

An unchanged page records only the check time; a changed one becomes a new version with the
facts gained, lost and changed; a failed check stores nothing. The cron command re-checks every
URL vendor, one line each, exit code 1 when any failed. All pages come from a local server.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from extract.diff import diff_facts
from extract.errors import ExtractError, PermissionDenied
from extract.model import User
from extract.sources import Sources
from extract.store import Store
from extract.url_ingest import ingest_url, recheck
from tests.web_support import ROOT, SEEDS, Reply, page, seed_html, seed_text, serve

OLD, NEW = "itechno", "cloud-services-provider"  # two seeds whose facts differ both ways


@pytest.fixture
def allow_local(monkeypatch):
    monkeypatch.setenv("PRIVACY_FETCH_ALLOW_HOSTS", "127.0.0.1")


@pytest.fixture
def site():
    with serve({"/privacy": page(seed_html(seed_text(OLD)))}) as s:
        yield s


def _add(store, site, extractor, vendor="Acme"):
    out = ingest_url(site.url("/privacy"), vendor, store, lambda: extractor)
    assert out.status == "added", out.message
    return out


def test_a_vendor_added_by_url_keeps_its_url_and_fetch_time(db_target, site, extractor,
                                                            allow_local):
    store = Store(db_target)
    out = _add(store, site, extractor)
    src = Sources(store).get(out.vendor_id)
    assert (src.url, src.vendor, src.last_status) == (site.url("/privacy"), "Acme", "added")
    assert src.added_at and src.last_checked_at and not src.last_changed_at
    doc = store.versions(out.vendor_id)[-1]
    url, fetched_at = Sources(store).document_source(doc.document_id)
    assert url == site.url("/privacy") and fetched_at[:4] == src.added_at[:4]
    again = ingest_url(site.url("/privacy"), "Acme", store, lambda: extractor)
    assert again.status == "duplicate" and len(store.versions(out.vendor_id)) == 1


def test_unchanged_page_records_only_the_check_time(db_target, site, extractor, allow_local):
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    before = Sources(store).get(vid)
    # A new session id in the chrome: the raw page differs, the policy text does not.
    site.routes["/privacy"] = page(seed_html(seed_text(OLD)).replace("seen=1", "seen=2"))
    result = recheck(store, vid, lambda: extractor)
    after = Sources(store).get(vid)
    assert result.status == "unchanged" and result.diff == ()
    assert len(store.versions(vid)) == 1
    assert after.last_checked_at > before.last_checked_at and after.last_status == "unchanged"
    assert after.last_changed_at == ""


def test_the_server_s_etag_makes_the_next_check_conditional(db_target, site, extractor,
                                                            allow_local):
    site.routes["/privacy"] = page(seed_html(seed_text(OLD)), ETag='"v1"')
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    result = recheck(store, vid, lambda: extractor)
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'
    assert result.status == "unchanged" and "Not modified" in result.message


def test_changed_page_becomes_a_new_version_with_facts_gained_and_lost(db_target, site,
                                                                       extractor, allow_local):
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    site.routes["/privacy"] = page(seed_html(seed_text(NEW)))
    result = recheck(store, vid, lambda: extractor)
    assert result.status == "changed", result.message
    versions = store.versions(vid)
    assert len(versions) == 2 and result.document_id == versions[-1].document_id
    expected = diff_facts(extractor(SEEDS / f"{OLD}.txt").facts,
                          extractor(SEEDS / f"{NEW}.txt").facts)
    assert [(d.fact_id, d.change) for d in result.diff] == \
        [(d.fact_id, d.change) for d in expected]
    assert result.count("gained") >= 1 and result.count("lost") >= 1
    assert f"{result.count('gained')} gained" in result.message
    src = Sources(store).get(vid)
    assert src.last_status == "changed" and src.last_changed_at >= src.added_at
    assert Sources(store).document_source(versions[-1].document_id)[0] == site.url("/privacy")


def test_a_failed_check_stores_nothing_and_says_why(db_target, site, extractor, allow_local):
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    site.routes["/privacy"] = Reply(200, b"\x89PNG", {"Content-Type": "image/png"})
    result = recheck(store, vid, lambda: extractor)
    assert result.status == "failed" and "image/png" in result.message
    assert len(store.versions(vid)) == 1
    src = Sources(store).get(vid)
    assert src.last_status == "failed" and "image/png" in src.last_message
    site.routes.pop("/privacy")
    assert "answered 404" in recheck(store, vid, lambda: extractor).message


def test_viewers_cannot_recheck_and_uploaded_vendors_have_nothing_to_check(db_target, site,
                                                                          extractor, allow_local):
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    n = len(site.requests)
    with pytest.raises(PermissionDenied):
        recheck(store, vid, lambda: extractor, User("val", "viewer"))
    out = ingest_url(site.url("/privacy"), None, store, lambda: extractor, User("val", "viewer"))
    assert out.status == "error" and "add policies by URL" in out.message
    assert len(site.requests) == n  # refused before any request
    other = store.add(extractor(SEEDS / f"{NEW}.txt")).vendor_id
    with pytest.raises(ExtractError, match="not added by URL"):
        recheck(store, other, lambda: extractor)


def test_changed_since_each_reviewer_last_looked(db_target, site, extractor, allow_local):
    store = Store(db_target)
    vid = _add(store, site, extractor).vendor_id
    sources = Sources(store)
    assert not sources.get(vid, "alice").unseen_change  # a first add is not a change
    site.routes["/privacy"] = page(seed_html(seed_text(NEW)))
    recheck(store, vid, lambda: extractor)
    assert sources.get(vid, "alice").unseen_change and sources.get(vid, "bob").unseen_change
    sources.mark_seen(vid, "alice")
    assert not sources.get(vid, "alice").unseen_change
    assert [s.unseen_change for s in sources.all("bob")] == [True]


def test_an_existing_database_upgrades_in_place(tmp_path, site, extractor, allow_local):
    """A database made before URLs existed (no source tables) keeps its data and gains them."""
    path = tmp_path / "old.db"
    old = Store(path)
    kept = old.add(extractor(SEEDS / f"{NEW}.txt")).vendor_id
    with sqlite3.connect(path) as con:  # as the previous release left it: no source tables
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert "documents" in tables and not tables & {"sources", "document_sources", "source_views"}
    store = Store(path)
    vid = _add(store, site, extractor).vendor_id
    assert [s.vendor_id for s in Sources(store).all()] == [vid]
    assert store.record(kept) is not None and len(store.records()) == 2
    store.delete_vendor(vid)  # its source rows go with it
    assert Sources(store).all() == []


def _watch(db, env_extra=None):
    env = {**os.environ, "PRIVACY_FETCH_ALLOW_HOSTS": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "extract.watch", "--db", str(db)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


def test_the_cron_command_rechecks_every_url_vendor(tmp_path, extractor, allow_local):
    routes = {"/a": page(seed_html(seed_text(OLD))), "/b": page(seed_html(seed_text(NEW)))}
    with serve(routes) as site:
        store = Store(tmp_path / "p.db")
        for path, name in (("/a", "Alpha"), ("/b", "Beta")):
            assert ingest_url(site.url(path), name, store, lambda: extractor).status == "added"
        routes["/a"] = page(seed_html(seed_text("digi-smart-manager")))
        out = _watch(store.path)
        assert out.returncode == 0, out.stderr[-2000:]
        lines = out.stdout.splitlines()
        assert lines[0].startswith(f"changed\tAlpha\t{site.url('/a')}\t+")
        assert " gained, -" in lines[0] and " lost, " in lines[0]
        assert lines[1] == f"unchanged\tBeta\t{site.url('/b')}"
        assert "2 checked, 0 failed" in out.stderr
        routes.pop("/b")
        out = _watch(store.path)
    assert out.returncode == 1
    assert out.stdout.splitlines()[1].startswith(f"failed\tBeta\t{site.url('/b')}\t")
    assert "answered 404" in out.stdout and "2 checked, 1 failed" in out.stderr
    assert len(store.versions(Sources(store).all()[0].vendor_id)) == 2


def test_the_cron_command_with_nothing_to_watch(tmp_path):
    Store(tmp_path / "empty.db")
    out = _watch(tmp_path / "empty.db")
    assert out.returncode == 0 and out.stdout == "" and "nothing to check" in out.stderr


def test_a_url_added_in_the_app_runs_as_a_background_batch(tmp_path, site, extractor,
                                                           allow_local):
    from extract.batches import get_batch, process_pending, submit_batch

    store = Store(tmp_path / "p.db")
    batch_id = submit_batch(store, [], "Acme", None, urls=[site.url("/privacy"),
                                                           "http://10.0.0.1/privacy"])
    assert process_pending(store, lambda: extractor) == 2
    added, refused = get_batch(store, batch_id).items
    assert (added.status, added.vendor, added.filename) == ("added", "Acme",
                                                            site.url("/privacy"))
    assert Sources(store).get(added.vendor_id).url == site.url("/privacy")
    assert refused.status == "error" and "10.0.0.1" in refused.message
