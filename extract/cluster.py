"""Batches on a Dask cluster: the same `Extractor` per file, on the workers of a cluster.

    with connect(parse_cluster("local:2")) as client:            # or "tcp://scheduler:8786"
        for outcome in extract_on_cluster(client, paths, Extractor(), send_bytes=False):
            ...                                                   # in input order

* The extractor's settings travel as `Extractor._worker_config` (what the process pool ships),
  broadcast once to every worker; each worker process builds its extractor from them on its
  first file and keeps it (`_worker_extractor`): the model loads once per worker, never per file.
* Results come back in input order, with at most `ahead` files in flight (a long batch is never
  held in memory at once); a file's `ExtractError` is its outcome, as in-process
  (`extract.ingest.run_batch`, `CLI_WORDING`): one bad file never stops the batch.
* `local:N` starts N worker processes (one task thread each) on this machine, bound to
  127.0.0.1, without a dashboard; they share this file system, so they are sent paths.
  `tcp://HOST:PORT` connects to a running scheduler; its workers may be other machines, so
  they are sent the files' bytes (at most the reader's size limit plus one byte, which the
  reader then refuses), never paths.

Dask (`requirements-scale.txt`) is imported only here, and only when a cluster is asked for.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import ExtractError
from .ingest import CLI_WORDING, Outcome, max_upload_bytes, run_batch

__all__ = ["INSTALL_HINT", "ClusterError", "ClusterSpec", "parse_cluster", "require_dask",
           "connect", "extract_on_cluster", "worker_loads"]

INSTALL_HINT = ("--cluster needs Dask, which is not installed; install the cluster extra with: "
                ".venv/bin/pip install -r requirements-scale.txt")


class ClusterError(Exception):
    """Dask is missing, or the cluster cannot be started or reached (the message says which)."""


@dataclass(frozen=True)
class ClusterSpec:
    """`local:N` (N worker processes here) or a scheduler address (`tcp://host:port`)."""

    workers: int | None = None
    address: str | None = None

    @property
    def local(self) -> bool:
        return self.address is None

    def __str__(self) -> str:
        return f"local:{self.workers}" if self.local else str(self.address)


def parse_cluster(text: str) -> ClusterSpec:
    """`local:N` or `tcp://host:port` (also `tls://`); `ValueError` with the accepted forms."""
    text = text.strip()
    if m := re.fullmatch(r"local:(\d{1,3})", text):
        if int(m[1]) >= 1:
            return ClusterSpec(workers=int(m[1]))
    elif re.fullmatch(r"(tcp|tls)://[^\s/]+:\d{1,5}", text):
        return ClusterSpec(address=text)
    raise ValueError(f"{text!r}: expected local:N (N worker processes, N >= 1) or "
                     "tcp://HOST:PORT (a running Dask scheduler)")


def require_dask():
    """`distributed`, or `ClusterError(INSTALL_HINT)` when the extra is not installed."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(INSTALL_HINT) from exc
    return distributed


@contextlib.contextmanager
def connect(spec: ClusterSpec, timeout: float = 15.0):
    """A `distributed.Client` for `spec`; a local cluster is started here and closed after."""
    distributed = require_dask()
    if not spec.local:
        try:
            client = distributed.Client(spec.address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach the scheduler at {spec.address}: {exc}") from exc
        with contextlib.closing(client):
            yield client
        return
    # Loopback only, no dashboard: a local batch opens no port another machine could reach
    # (the scheduler's health endpoint too: 127.0.0.1 on a free port, not 8787). One task
    # thread per worker: a worker's encoder already uses cores // N threads.
    cluster = distributed.LocalCluster(
        n_workers=spec.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None, silence_logs=logging.ERROR,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
    with contextlib.closing(cluster), contextlib.closing(distributed.Client(cluster)) as client:
        yield client


# --------------------------------------------------------------------------- on the workers
_LOCK = threading.Lock()
_CURRENT: tuple[str, object] | None = None  # (config key, Extractor) of this worker process
_LOADS: dict[str, int] = {}                 # extractors built here, per config key


def _worker_extractor(key: str, config: bytes, own_threads: bool):
    """This worker process's extractor for `config`: built (model loaded) on its first file
    only. A remote worker sizes its encoding threads by its own cores and task slots."""
    global _CURRENT
    with _LOCK:  # a worker with several task threads still loads one model
        if _CURRENT is None or _CURRENT[0] != key:
            from .embed import default_threads
            from .pipeline import load_worker_extractor

            threads = None
            if own_threads:
                from distributed import get_worker

                threads = default_threads(get_worker().state.nthreads)
            _CURRENT = (key, load_worker_extractor(config, threads))
            _LOADS[key] = _LOADS.get(key, 0) + 1
        return _CURRENT[1]


def _extract_task(config: bytes, key: str, own_threads: bool, source):
    """One file on a worker: its `Extraction`, or its `ExtractError` as a value."""
    try:
        return _worker_extractor(key, config, own_threads)(source)
    except ExtractError as exc:
        return exc


def worker_loads() -> dict[str, int]:
    """How many extractors this worker process has built, per config (`client.run` it)."""
    with _LOCK:
        return dict(_LOADS)


# --------------------------------------------------------------------------- on the client
def _payload(path: Path, send_bytes: bool):
    """What a worker is sent for `path`: the path, or (name, bytes) read here, capped at the
    reader's limit + 1 (the worker's reader then refuses the file with its own message)."""
    if not send_bytes:
        return str(path)
    try:
        with open(path, "rb") as fh:
            return path.name, fh.read(max_upload_bytes() + 1)
    except OSError as exc:  # the same sentence as `Extractor.read`'s
        return ExtractError(f"Cannot open {path.name}: {exc.strerror or exc}.")


def _slots(client) -> int:
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def extract_on_cluster(client, paths: Iterable[Path], extractor, *, send_bytes: bool,
                       ahead: int | None = None) -> Iterator[Outcome]:
    """Extract each file on the cluster's workers, yielding outcomes in input order:
    "extracted" (with `.extraction`) or "error" (`CLI_WORDING`, as `ingest.extract_files`).

    `extractor`'s settings (`_worker_config`) are what the workers build theirs from;
    at most `ahead` (default 4 per task slot) files are in flight."""
    slots = _slots(client)
    config = extractor._worker_config(slots if not send_bytes else 1)
    key = hashlib.sha256(config).hexdigest()[:16]
    shared = client.scatter(config, broadcast=True, hash=False)  # sent once per worker
    return run_batch(_submitted(client, shared, key, paths, send_bytes, ahead or 4 * slots),
                     _received, CLI_WORDING)


def _submitted(client, config, key: str, paths: Iterable[Path], send_bytes: bool, ahead: int):
    """(name, future or ExtractError) per path, in input order, `ahead` submitted at a time;
    futures not yet collected are cancelled when the batch ends early."""
    pending: deque = deque()
    try:
        for path in paths:
            load = _payload(path, send_bytes)
            if not isinstance(load, ExtractError):
                load = client.submit(_extract_task, config, key, send_bytes, load, pure=False)
            pending.append((str(path), load))
            if len(pending) >= ahead:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
    finally:
        futures = [f for _, f in pending if not isinstance(f, ExtractError)]
        if futures:
            with contextlib.suppress(Exception):
                client.cancel(futures)


def _received(name: str, result) -> Outcome:
    """A file's result (raises its `ExtractError`, or a worker's unexpected error, for
    `run_batch` to word as in-process)."""
    if not isinstance(result, ExtractError):
        result = result.result()
    if isinstance(result, ExtractError):
        result.source = name
        raise result
    return Outcome(name, "extracted", "", warnings=tuple(result.document.warnings),
                   extraction=result)
