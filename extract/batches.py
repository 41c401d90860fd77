"""Upload batches: the app's uploads run as a background job whose state is kept in the store.

    batch_id = submit_batch(store, [(name, data), ...], vendor, actor, shared_extractor)
    batch = get_batch(store, batch_id)     # state, and every file's status and message
    recent_batches(store, actor.name)      # this user's running and recent batches

`submit_batch` stores every file's bytes in one transaction, then a worker thread of this
process (one per database, a daemon) runs the files in order through the one ingest path
(`extract.ingest.upload_handler`) and writes each file's outcome as soon as it is done, so a
reviewer who leaves the Upload page finds every file processed or reported. A file's bytes are
dropped from the store once it is done.

A batch belongs to the server process that runs it (`process_token()`: host, pid and the
process's start time). When that process has died (killed, crashed, restarted) with files left,
the next reader marks the batch "interrupted" and lists those files; they are not resumed on
their own, because the file being read when the process died may be the one that brought it
down. The reviewer uploads them again (files already stored are recognised as duplicates).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from .auth import UsersFileError, read_users, require_write, users_file_path
from .errors import StoreError
from .ingest import UPLOAD_WORDING, Outcome, run_batch, upload_handler
from .model import User, utc_now
from .schema import ensure_tables

__all__ = ["SCHEMA", "Batch", "BatchItem", "submit_batch", "get_batch", "recent_batches",
           "process_pending", "start_worker", "worker_running", "reap_interrupted",
           "process_token", "shared_extractor", "INTERRUPTED_MESSAGE", "CUT_SHORT_MESSAGE"]

log = logging.getLogger(__name__)

# Made on first use (`_tables`). `data` holds the upload until the file is done.
SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id              {id},
    created_at      TEXT NOT NULL,
    actor           TEXT NOT NULL,
    actor_role      TEXT NOT NULL,
    vendor_override TEXT,
    actor_source    TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL,
    state           TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX IF NOT EXISTS batches_actor ON batches(actor, id);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id  INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    filename  TEXT NOT NULL,
    data      {blob},
    status    TEXT NOT NULL,
    message   TEXT NOT NULL DEFAULT '',
    vendor_id INTEGER,
    vendor    TEXT,
    warnings  TEXT NOT NULL DEFAULT '[]',
    progress  TEXT NOT NULL DEFAULT '',
    url       TEXT,
    PRIMARY KEY (batch_id, position)
);
"""

UNFINISHED = ("queued", "running")  # batch states; then "done" or "interrupted"
INTERRUPTED_MESSAGE = ("Not processed: the server stopped before this file was read. Nothing "
                       "was stored; upload it again.")
CUT_SHORT_MESSAGE = ("The server stopped while this file was being processed (this file may "
                     "be the cause). Upload it again: if it was stored, it is recognised.")


@dataclass(frozen=True)
class BatchItem:
    """One file of a batch: "pending", "running", then "added", "duplicate", "error" or
    "interrupted" (never processed: the server stopped). Shown like an ingest `Outcome`."""

    position: int
    filename: str
    status: str
    message: str
    vendor_id: int | None = None
    vendor: str | None = None
    warnings: tuple[str, ...] = ()
    progress: str = ""  # while running: e.g. "OCR page 2 of 5"

    @property
    def finished(self) -> bool:
        return self.status not in ("pending", "running")


@dataclass(frozen=True)
class Batch:
    """One Process click: its files in upload order, and its state."""

    id: int
    created_at: str
    actor: str
    state: str  # queued, running, done or interrupted
    finished_at: str | None
    items: tuple[BatchItem, ...]

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED

    @property
    def n_done(self) -> int:
        return sum(i.finished for i in self.items)

    @property
    def current(self) -> BatchItem | None:
        """The file being processed now (or next), if any."""
        return next((i for i in self.items if not i.finished), None)

    def count(self, status: str) -> int:
        return sum(i.status == status for i in self.items)


_READY: weakref.WeakSet = weakref.WeakSet()  # stores whose database has the tables


def _tables(store):
    """`store`, once its database has this module's tables (made here, not by `Store`:
    the store does not depend on the batches)."""
    if store in _READY:
        return store
    # A read first: reading needs no write lock, so a reader works beside a writer.
    ensure_tables(store, {"batches", "batch_items"}, SCHEMA)
    _READY.add(store)
    return store


# --------------------------------------------------------------------------- who runs a batch
def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), "" where /proc is missing,
    None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else ""
    except OSError:
        return ""
    return stat[stat.rindex(")") + 2:].split()[19]  # field 22: after pid and (comm)


def process_token() -> str:
    """This process, as a batch's owner: host, pid and start time (a reused pid differs)."""
    return f"{socket.gethostname()}|{os.getpid()}|{_start_time(os.getpid()) or ''}"


def _owner_alive(owner: str) -> bool:
    """Whether the process that owns a batch still runs (True when this cannot be told)."""
    host, _, rest = owner.partition("|")
    pid_text, _, start = rest.partition("|")
    if owner == process_token() or host != socket.gethostname() or not pid_text.isdigit():
        return True  # ours (its worker reports its own end), or another host's: cannot tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # our pid, another start time: the owner was an earlier server
    now = _start_time(pid)
    if now is None:
        return False
    if now and start:
        return now == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # it exists but belongs to someone else
    return True


# --------------------------------------------------------------------------- submitting
def submit_batch(store, files: Sequence[tuple[str, bytes]], vendor_override: str | None,
                 actor: User | None,
                 extractor_factory: Callable[[], object] | None = None,
                 users_file: bool = False, urls: Sequence[str] = ()) -> int:
    """Store the files of one upload (and `urls`, policy pages to fetch, after them) as a
    queued batch (one transaction) and return its id.

    With `extractor_factory`, this process's worker starts on it at once; without, the caller
    runs `process_pending` itself. A viewer is refused (`PermissionDenied`) before anything is
    stored. `users_file`: the actor signed in with the users file, whose role is then looked
    up again before each file (a user demoted or removed meanwhile stores nothing more)."""
    user = require_write(actor, "upload policies")
    urls = [u.strip() for u in urls if u.strip()]
    if not files and not urls:
        raise StoreError("There are no files to process.")
    override = (vendor_override or "").strip() or None
    with _tables(store)._tx() as con:  # the store's own transaction and error wording
        batch_id = con.execute(
            "INSERT INTO batches(created_at, actor, actor_role, actor_source, vendor_override, "
            "owner, state) VALUES (?,?,?,?,?,?,?) RETURNING id",
            (utc_now(), user.name, user.role, "users-file" if users_file else "", override,
             process_token(), "queued")).fetchall()[0][0]
        con.executemany("INSERT INTO batch_items(batch_id, position, filename, data, status, "
                        "url) VALUES (?,?,?,?,?,?)",
                        [(batch_id, i, name, data, "pending", url) for i, (name, data, url)
                         in enumerate([(n, d, None) for n, d in files]
                                      + [(u, None, u) for u in urls])])
    if extractor_factory is not None:
        start_worker(store, extractor_factory)
    return batch_id


# --------------------------------------------------------------------------- processing
def _claim(store) -> tuple | None:
    """The next pending file of this process's batches (oldest batch first), marked running."""
    with store._tx() as con:
        row = con.execute(
            "SELECT i.batch_id, i.position, i.filename, i.data, b.vendor_override, b.actor, "
            "b.actor_role, b.actor_source, i.url FROM batch_items i JOIN batches b ON b.id = i.batch_id "
            "WHERE b.owner = ? AND b.state IN ('queued', 'running') AND i.status = 'pending' "
            "ORDER BY b.id, i.position LIMIT 1", (process_token(),)).fetchone()
        if row:
            con.execute("UPDATE batch_items SET status = 'running' WHERE batch_id = ? AND "
                        "position = ?", row[:2])
            con.execute("UPDATE batches SET state = 'running' WHERE id = ?", row[:1])
    return row


def _finish(store, batch_id: int, position: int, outcome: Outcome) -> None:
    """Write one file's outcome (its bytes are dropped); the batch is done with its last file."""
    with store._tx() as con:
        con.execute("UPDATE batch_items SET status = ?, message = ?, vendor_id = ?, vendor = ?, "
                    "warnings = ?, data = NULL WHERE batch_id = ? AND position = ?",
                    (outcome.status, outcome.message, outcome.vendor_id, outcome.vendor,
                     json.dumps(list(outcome.warnings)), batch_id, position))
        left = con.execute("SELECT COUNT(*) FROM batch_items WHERE batch_id = ? AND status IN "
                           "('pending', 'running')", (batch_id,)).fetchone()[0]
        if not left:
            con.execute("UPDATE batches SET state = 'done', finished_at = ? WHERE id = ?",
                        (utc_now(), batch_id))


def process_pending(store, extractor_factory: Callable[[], object]) -> int:
    """Process every pending file of this process's batches in the calling thread, in order;
    returns how many. Each file goes through `upload_handler` (a URL through `ingest_url`)
    and `run_batch` (one file's failure is its own outcome, never the batch's end)."""
    from .read.ocr import ocr_progress  # the readers: not on the pages' import path

    n = 0
    while (item := _claim(_tables(store))) is not None:
        batch_id, position, name, data, override, actor, role, source, url = item
        handle = _handler(store, override, _acting_user(actor, role, source), url,
                          extractor_factory)

        def progress(i: int, total: int, _name: str) -> None:
            _set_progress(store, batch_id, position, f"OCR page {i} of {total}")

        with ocr_progress(progress):
            outcome = next(iter(run_batch([(name, bytes(data or b""))], handle,
                                          UPLOAD_WORDING)))
        _finish(store, batch_id, position, outcome)
        n += 1
    return n


def _handler(store, override: str | None, user: User, url: str | None,
             extractor_factory: Callable[[], object]) -> Callable[[str, bytes], Outcome]:
    """The one ingest path for a batch item: an uploaded file, or the policy page at `url`
    (fetched, reduced to its main text, then stored like an upload)."""
    if url is None:
        return upload_handler(store, override, extractor_factory, actor=user)
    from .url_ingest import ingest_url  # the HTTP client: only for a batch that has a URL

    return lambda _name, _data: ingest_url(url, override, store, extractor_factory, user)


def _acting_user(name: str, role: str, source: str) -> User:
    """Who stores this file: for a users-file sign-in, with the role the file gives now (a
    removed user is refused like a viewer); otherwise as at submission."""
    if source != "users-file" or (path := users_file_path()) is None:
        return User(name, role)
    try:
        entry = read_users(path).get(name.lower())
    except UsersFileError:  # fail closed, as the pages do
        entry = None
    return User(name, entry.role if entry else "viewer")


def _set_progress(store, batch_id: int, position: int, text: str) -> None:
    try:
        with store._tx(changes=False) as con:  # a nicety, not a change of data
            con.execute("UPDATE batch_items SET progress = ? WHERE batch_id = ? AND position = ?",
                        (text, batch_id, position))
    except StoreError:  # progress is a nicety; a locked moment must not fail the file
        log.debug("progress of batch %d not recorded", batch_id, exc_info=True)


_LOCK = threading.Lock()
_WORKERS: dict[str, threading.Thread] = {}


def _key(store) -> str:
    return store.db.location


def worker_running(store) -> bool:
    """Whether this process has a worker on this database."""
    with _LOCK:
        worker = _WORKERS.get(_key(store))
        return worker is not None and worker.is_alive()


def start_worker(store, extractor_factory: Callable[[], object]) -> None:
    """Start this process's worker on `store` unless one runs (it ends when nothing is left)."""
    with _LOCK:
        worker = _WORKERS.get(_key(store))
        if worker is not None and worker.is_alive():
            return  # it looks for more work, under this lock, before it ends
        worker = threading.Thread(target=_work, args=(store, extractor_factory), daemon=True,
                                  name=f"upload-batches:{store.db.name}")
        _WORKERS[_key(store)] = worker
        worker.start()


def _has_pending(store) -> bool:
    return bool(store._read(
        "SELECT 1 FROM batch_items i JOIN batches b ON b.id = i.batch_id WHERE b.owner = ? "
        "AND b.state IN ('queued', 'running') AND i.status = 'pending' LIMIT 1",
        (process_token(),)))


def _work(store, extractor_factory: Callable[[], object]) -> None:
    try:
        while True:
            process_pending(store, extractor_factory)
            with _LOCK:  # a batch submitted meanwhile is seen here or starts a new worker
                if not _has_pending(store):
                    _WORKERS.pop(_key(store), None)
                    return
    except BaseException:  # noqa: BLE001 - the worker must never end silently
        log.exception("the upload worker stopped; its unfinished batches are interrupted")
        with _LOCK:
            _WORKERS.pop(_key(store), None)
        try:
            _interrupt(store, process_token())
        except StoreError:
            log.exception("could not mark the unfinished batches as interrupted")


# --------------------------------------------------------------------------- reading
def _interrupt(store, owner: str) -> list[int]:
    """Mark `owner`'s unfinished batches interrupted: their unprocessed files are listed."""
    with store._tx() as con:
        ids = [r[0] for r in con.execute(
            "SELECT id FROM batches WHERE owner = ? AND state IN ('queued', 'running')",
            (owner,))]
        for batch_id in ids:
            con.execute("UPDATE batch_items SET status = 'interrupted', message = ?, data = NULL "
                        "WHERE batch_id = ? AND status = 'running'", (CUT_SHORT_MESSAGE, batch_id))
            con.execute("UPDATE batch_items SET status = 'interrupted', message = ?, data = NULL "
                        "WHERE batch_id = ? AND status = 'pending'",
                        (INTERRUPTED_MESSAGE, batch_id))
            con.execute("UPDATE batches SET state = 'interrupted', finished_at = ? WHERE id = ?",
                        (utc_now(), batch_id))
    for batch_id in ids:
        log.warning("upload batch %d was interrupted (its server process %s stopped); its "
                    "unprocessed files are listed on the Upload page", batch_id, owner)
    return ids


def reap_interrupted(store) -> list[int]:
    """Mark the unfinished batches of server processes that no longer run as interrupted;
    returns their ids. Called by every reader, so no batch is ever silently lost."""
    owners = [r[0] for r in _tables(store)._read(
        "SELECT DISTINCT owner FROM batches WHERE state IN ('queued', 'running')")]
    return [i for owner in owners if not _owner_alive(owner) for i in _interrupt(store, owner)]


def _items(store, batch_ids: list[int]) -> dict[int, list[BatchItem]]:
    out: dict[int, list[BatchItem]] = {b: [] for b in batch_ids}
    if not batch_ids:
        return out
    marks = ",".join("?" * len(batch_ids))
    for r in store._read("SELECT batch_id, position, filename, status, message, vendor_id, "
                         f"vendor, warnings, progress FROM batch_items WHERE batch_id IN "
                         f"({marks}) ORDER BY batch_id, position", tuple(batch_ids)):
        out[r[0]].append(BatchItem(r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])),
                                   r[8]))
    return out


def _batches(store, where: str, args: tuple, limit: int | None = None) -> list[Batch]:
    reap_interrupted(store)
    rows = store._read("SELECT id, created_at, actor, state, finished_at FROM batches "
                       f"{where} ORDER BY id DESC" + (" LIMIT ?" if limit else ""),
                       (*args, limit) if limit else args)
    items = _items(store, [r[0] for r in rows])
    return [Batch(*r, tuple(items[r[0]])) for r in rows]


def get_batch(store, batch_id: int) -> Batch | None:
    """One batch with its files, or None."""
    found = _batches(store, "WHERE id = ?", (batch_id,))
    return found[0] if found else None


def recent_batches(store, actor: str, within: timedelta = timedelta(hours=24),
                   limit: int = 5) -> list[Batch]:
    """`actor`'s unfinished batches and those finished within `within`, newest first."""
    since = (datetime.now(timezone.utc) - within).isoformat(timespec="seconds")
    return _batches(store, "WHERE actor = ? AND (state IN ('queued', 'running') OR "
                           "finished_at >= ?)", (actor, since), limit)


# --------------------------------------------------------------------------- the model
_MODEL: list = []
_MODEL_LOCK = threading.Lock()


def shared_extractor():
    """The extraction model, loaded once per process on first need (safe from any thread;
    the app's pages and its upload worker share it)."""
    with _MODEL_LOCK:
        if not _MODEL:
            from .pipeline import Extractor  # torch / sentence-transformers: only when needed

            _MODEL.append(Extractor().warm())
        return _MODEL[0]
