"""Several app servers over one database (issue 17, part 2), without a browser.

Each server is its own process with its own memory: what one writes, the others must see on
their next page run (the cached tables follow the database's change counter), and an upload
batch belongs to the server that runs it (another server neither runs it nor calls it
interrupted while its owner lives). Every test runs on SQLite and on PostgreSQL.
The browser journey over two real servers is tests/test_e2e_two_servers.py.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from extract import batches
from extract.batches import get_batch, process_pending, recent_batches, submit_batch
from extract.model import User
from extract.store import Store
from tests.core_fixtures import run_python
from tests.test_app import open_page, score_table, server_page_mode  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
REVIEWER = User("rita", "reviewer")
OTHER_PROCESS_WRITES = """
import sys
from extract.model import User
from extract.store import Store

store = Store(sys.argv[1])
vid = {r.vendor: r.vendor_id for r in store.records()}["Itechno"]
store.set_override(vid, "security.mfa", True, "MFA confirmed", User("otto", "reviewer"))
"""


def in_another_process(code: str, *args: str) -> None:
    out = run_python(code, *args, env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]


def test_a_write_by_another_server_shows_on_this_servers_next_page_run(db_target):
    """The override is written by another process (as by server B): this process's cached
    table is stale in memory, and only the database's counter can tell."""
    at = open_page()
    before = score_table(at).set_index("Vendor")["Overall"]["Itechno"]
    seen = Store(db_target).data_version()
    in_another_process(OTHER_PROCESS_WRITES, str(db_target))
    assert Store(db_target).data_version() > seen
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert score_table(at).set_index("Vendor")["Overall"]["Itechno"] > before


def _refuse_to_run():
    raise AssertionError("this server must not run another server's batch")


def test_another_servers_batch_is_neither_run_here_nor_called_interrupted(db_target):
    """A batch of a live server on this host, and one of a server on another host (whose
    life cannot be told from here): both stay queued for their owner."""
    store = Store(db_target)
    here = submit_batch(store, [("a-corp.txt", b"We do not sell personal data.")], None,
                        REVIEWER)
    there = submit_batch(store, [("b-corp.txt", b"We do not sell your data.")], None, REVIEWER)
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        owner = f"{batches.socket.gethostname()}|{other.pid}|{batches._start_time(other.pid)}"
        with store._tx() as con:
            con.execute("UPDATE batches SET owner = ? WHERE id = ?", (owner, here))
            con.execute("UPDATE batches SET owner = ? WHERE id = ?",
                        ("another-host.internal|4242|12345", there))
        assert process_pending(store, _refuse_to_run) == 0  # this server's worker: nothing
        for batch in (get_batch(store, here), get_batch(store, there),
                      *recent_batches(store, REVIEWER.name)):
            assert batch.state == "queued", batch
            assert [i.status for i in batch.items] == ["pending"]
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    # Once the owner on this host has ended, any reader reports its files; the other host's
    # batch waits for a server of that host (its own restart, same host name) to tell.
    assert get_batch(store, here).state == "interrupted"
    assert get_batch(store, there).state == "queued"
