"""Upload batches (issue 15, item 3): a batch runs as a background job whose state is in the
store, so no file is ever silently lost: each one ends added, already stored, failed with a
message, or (when its server process died) listed as not processed.

Also item 9's last point: a file that joins a vendor stored before, only because its name gives
the same vendor, says so in its upload message.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from extract import batches
from extract.batches import (CUT_SHORT_MESSAGE, INTERRUPTED_MESSAGE, get_batch, process_pending,
                             recent_batches, submit_batch)
from extract.errors import PermissionDenied
from extract.ingest import ingest_uploads
from extract.model import User
from extract.store import Store
from tests.test_app import POLICY_TXT, open_page, plain, server_page_mode  # noqa: F401
from tests.test_app import upload

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "seeds"
BROKEN = ("broken.pdf", b"%PDF-1.7\n" + bytes(range(200)) * 10)
REVIEWER = User("rita", "reviewer")
WAIT_S = 300  # the first file of the session loads the model


def seed(name: str) -> tuple[str, bytes]:
    return name, (SEEDS / name).read_bytes()


def wait_until_finished(store: Store, batch_id: int):
    """The batch once its worker is done with it (polls the store, as the pages do)."""
    deadline = time.monotonic() + WAIT_S
    while not (batch := get_batch(store, batch_id)).finished:
        assert time.monotonic() < deadline, f"batch {batch_id} still {batch.state}"
        time.sleep(0.05)
    return batch


def blobs_left(db) -> int:
    return Store(db)._read("SELECT COUNT(*) FROM batch_items WHERE data IS NOT NULL")[0][0]


def set_owner(db, batch_id: int, owner: str) -> None:
    with Store(db)._tx() as con:
        con.execute("UPDATE batches SET owner = ? WHERE id = ?", (owner, batch_id))


# ----------------------------------------------------------------------------- the worker
def test_a_batch_runs_in_the_background_and_reports_every_file(db_target, extractor):
    store = Store(db_target)
    files = [seed("itechno.txt"), BROKEN, seed("digi-smart-manager.txt")]
    batch_id = submit_batch(store, files, None, REVIEWER, lambda: extractor)
    batch = wait_until_finished(store, batch_id)

    assert batch.state == "done" and batch.finished_at
    assert [i.filename for i in batch.items] == [f[0] for f in files]  # upload order
    assert [i.status for i in batch.items] == ["added", "error", "added"]
    assert [i.vendor for i in batch.items] == ["Itechno", None, "Digi Smart Manager"]
    broken = batch.items[1]
    assert "broken.pdf" in broken.message and "Nothing was stored" in broken.message
    assert store.count_vendors() == 2
    uploads = [e for e in store.audit_log() if e.action == "upload"]
    assert sorted(e.target for e in uploads) == ["digi-smart-manager.txt", "itechno.txt"]
    assert {e.actor for e in uploads} == {"rita"}  # the batch's user, not the worker
    assert blobs_left(db_target) == 0  # the bytes are kept only until each file is done
    assert [b.id for b in recent_batches(store, "rita")] == [batch_id]
    assert recent_batches(store, "someone else") == []


def test_batches_run_in_order_and_a_second_one_waits_for_the_first(db_target, extractor):
    store = Store(db_target)
    first = submit_batch(store, [seed("itechno.txt")], "Itechno", REVIEWER)
    again = submit_batch(store, [seed("itechno.txt"), ("v2.txt", POLICY_TXT)], "Itechno",
                         REVIEWER)
    assert get_batch(store, first).state == "queued"
    assert blobs_left(db_target) == 3  # stored at once, before anything is processed
    assert process_pending(store, lambda: extractor) == 3
    assert [i.status for i in get_batch(store, first).items] == ["added"]
    second = get_batch(store, again)
    assert [i.status for i in second.items] == ["duplicate", "added"]
    assert second.items[1].message.endswith("Stored as version 2 of Itechno.")


def test_a_viewer_cannot_submit_a_batch(db_target):
    store = Store(db_target)
    with pytest.raises(PermissionDenied):
        submit_batch(store, [seed("itechno.txt")], None, User("vic", "viewer"))
    assert recent_batches(store, "vic") == [] and blobs_left(db_target) == 0


# ----------------------------------------------------------------------------- dying servers
DYING_SERVER = textwrap.dedent("""
    import os, sys
    from extract.batches import process_pending, submit_batch
    from extract.model import Evidence, Extraction, Fact
    from extract.store import Store

    class DiesOnSecondFile:
        calls = 0

        def from_document(self, doc, vendor=None):
            DiesOnSecondFile.calls += 1
            if DiesOnSecondFile.calls == 2:
                os._exit(9)  # as kill -9: no clean-up, no exception handler runs
            ev = Evidence(doc.text[:40], 1, 0, 40)
            return Extraction(vendor or "First Corp", doc,
                              {"sharing.no_sale": Fact("sharing.no_sale", True, 0.9, [ev])},
                              [], "t")

    store = Store(sys.argv[1])
    names = ["first-corp.txt", "second-corp.txt", "third-corp.txt"]
    files = [(n, sys.argv[2].encode() + n.encode()) for n in names]
    print(submit_batch(store, files, None, None), flush=True)
    process_pending(store, DiesOnSecondFile)
""")


def test_files_of_a_server_that_died_mid_batch_are_listed_never_lost(db_target, caplog):
    policy = POLICY_TXT.decode()
    out = subprocess.run([sys.executable, "-c", DYING_SERVER, str(db_target), policy], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 9, out.stderr[-2000:]
    batch_id = int(out.stdout.split()[0])

    store = Store(db_target)
    batch = get_batch(store, batch_id)  # any reader notices the dead owner
    assert batch.state == "interrupted" and batch.finished
    assert [(i.filename, i.status) for i in batch.items] == [
        ("first-corp.txt", "added"), ("second-corp.txt", "interrupted"),
        ("third-corp.txt", "interrupted")]
    assert batch.items[1].message == CUT_SHORT_MESSAGE  # the file being read: maybe the cause
    assert batch.items[2].message == INTERRUPTED_MESSAGE
    assert "was interrupted" in caplog.text  # and the server's log says so
    assert blobs_left(db_target) == 0
    assert [r.vendor for r in store.records()] == ["First Corp"]


def test_a_batch_of_a_server_still_running_is_left_alone(db_target):
    store = Store(db_target)
    batch_id = submit_batch(store, [seed("itechno.txt")], None, REVIEWER)
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        start = batches._start_time(other.pid)
        set_owner(db_target, batch_id, f"{socket.gethostname()}|{other.pid}|{start}")
        assert get_batch(store, batch_id).state == "queued"  # another live server's batch
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    assert get_batch(store, batch_id).state == "interrupted"  # ... until that server ends


def test_an_earlier_server_with_our_pid_is_not_taken_for_us(db_target):
    """In a container the restarted server often gets the same pid: the start time tells."""
    store = Store(db_target)
    batch_id = submit_batch(store, [seed("itechno.txt")], None, REVIEWER)
    set_owner(db_target, batch_id, f"{socket.gethostname()}|{os.getpid()}|1")
    batch = get_batch(store, batch_id)
    assert batch.state == "interrupted"
    assert [i.status for i in batch.items] == ["interrupted"]


def test_a_worker_stopped_by_a_bug_reports_its_batch(db_target, monkeypatch, extractor):
    store = Store(db_target)

    def broken_finish(*args):
        raise RuntimeError("a bug in the worker")

    monkeypatch.setattr(batches, "_finish", broken_finish)
    batch_id = submit_batch(store, [seed("itechno.txt"), seed("digi-smart-manager.txt")], None,
                            REVIEWER, lambda: extractor)
    batch = wait_until_finished(store, batch_id)
    assert batch.state == "interrupted"
    assert [i.message for i in batch.items] == [CUT_SHORT_MESSAGE, INTERRUPTED_MESSAGE]
    assert not batches.worker_running(store)


# ----------------------------------------------------------------------------- same vendor
def test_a_file_that_joins_a_vendor_by_its_name_says_so(db_target, extractor):
    store = Store(db_target)
    factory = lambda: extractor  # noqa: E731
    first, other = ingest_uploads([seed("itechno.txt"), ("acme-privacy.txt", POLICY_TXT)],
                                  None, store, factory)
    assert first.status == other.status == "added"
    assert "version" not in other.message  # a new vendor: nothing to warn about
    # Another company's policy whose file name also gives "Acme": stored as version 2.
    unrelated = (SEEDS / "cloud-services-provider.txt").read_bytes()
    (second,) = ingest_uploads([("acme-privacy-policy.txt", unrelated)], None, store, factory)
    assert second.vendor == "Acme"
    assert ("Stored as version 2 of Acme; if this is a different company, rename the file or "
            "set the vendor name.") in second.message
    # Named by the reviewer: a new version is what they asked for; no hint.
    newer = POLICY_TXT + b"\nWe encrypt data at rest.\n"
    (third,) = ingest_uploads([("acme-2026.txt", newer)], "Acme", store, factory)
    assert third.message.endswith("Stored as version 3 of Acme.")


def test_the_batch_path_gives_the_same_version_message(db_target, extractor):
    store = Store(db_target)
    batch_id = submit_batch(store, [("acme-privacy.txt", POLICY_TXT),
                                    ("acme.txt", seed("itechno.txt")[1])], None, REVIEWER)
    process_pending(store, lambda: extractor)
    items = get_batch(store, batch_id).items
    assert "version" not in items[0].message
    assert "Stored as version 2 of Acme; if this is a different company" in items[1].message


# ----------------------------------------------------------------------------- the app
def test_upload_page_runs_the_batch_as_a_job_and_every_session_sees_it(db_target):
    at = open_page("upload")
    upload(at, ("acme-cloud-privacy-policy.txt", POLICY_TXT, "text/plain"), BROKEN + (
        "application/pdf",))
    assert any("Acme Cloud" in s.value for s in at.success)
    assert any("broken.pdf" in plain(e.value) for e in at.error)
    store = Store(db_target)
    (batch,) = recent_batches(store, "local reviewer")
    assert batch.state == "done"
    assert [i.status for i in batch.items] == ["added", "error"]

    # Another session (a new tab) of the same user finds the batch on the Upload page ...
    other = open_page("upload")
    titles = [e.label for e in other.expander]
    assert any("2 files" in t and "1 added" in t and "1 failed" in t for t in titles), titles
    # ... and on the Overview, which names the file that was not stored.
    overview = open_page()
    notes = [plain(w.value) for w in overview.warning]
    assert any("Not stored: broken.pdf" in n for n in notes), notes


def test_an_interrupted_batch_is_listed_on_the_upload_page_and_the_overview(db_target):
    open_page()  # the app seeds the database
    store = Store(db_target)
    batch_id = submit_batch(store, [("lost-one.txt", POLICY_TXT), ("lost-two.txt", b"x")],
                            None, User("local reviewer", "admin"))
    set_owner(db_target, batch_id, f"{socket.gethostname()}|{os.getpid()}|1")  # a dead server

    overview = open_page()
    assert not overview.exception
    notes = [plain(w.value) for w in overview.warning]
    assert any("interrupted" in n and "lost-one.txt, lost-two.txt" in n for n in notes), notes
    at = open_page("upload")
    (box,) = [e for e in at.expander if "interrupted" in e.label]
    errors = [plain(e.value) for e in box.error]
    assert len(errors) == 2 and all("upload it again" in e for e in errors)


# ----------------------------------------------------------------------------- roles (item 5)
def test_a_user_demoted_while_a_batch_waits_stores_nothing_more(db_target, tmp_path, monkeypatch,
                                                               extractor):
    from extract.auth import UserEntry, hash_password, save_users

    users = tmp_path / "users.toml"
    entry = UserEntry("Rita", "reviewer", hash_password("rita-pw"))
    save_users(users, {"rita": entry})
    monkeypatch.setenv("PRIVACY_USERS_FILE", str(users))
    store = Store(db_target)
    batch_id = submit_batch(store, [seed("itechno.txt")], None, User("Rita", "reviewer"),
                            users_file=True)
    save_users(users, {"rita": UserEntry("Rita", "viewer", entry.password_hash)})
    process_pending(store, lambda: extractor)
    item = get_batch(store, batch_id).items[0]
    assert item.status == "error" and "viewer" in item.message
    assert store.count_vendors() == 0

    removed = submit_batch(store, [seed("itechno.txt")], None, User("Rita", "reviewer"),
                           users_file=True)
    save_users(users, {})
    process_pending(store, lambda: extractor)
    assert get_batch(store, removed).items[0].status == "error"
    assert store.count_vendors() == 0


def test_without_a_users_file_a_batch_keeps_the_role_it_was_submitted_with(db_target, extractor):
    store = Store(db_target)  # OIDC or no sign-in: nothing to look up again
    batch_id = submit_batch(store, [seed("itechno.txt")], None, REVIEWER)
    process_pending(store, lambda: extractor)
    assert get_batch(store, batch_id).items[0].status == "added"
