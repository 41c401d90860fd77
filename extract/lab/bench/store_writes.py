"""Store write rate: `Store.add` of real extractions into SQLite and into PostgreSQL.

The five seed extractions (the extractor's own output, precomputed in data/seeds/facts.json)
are read once; then N copies, each with new bytes (SHA-256) and its own vendor, are added:
documents and facts per second, with one writer and with several writer threads (writes are
serialised on both engines, so more writers show the lock, not more throughput).

PostgreSQL is `--pg-url URL` (a database for benchmarking: the bench adds its rows to it), else a
throwaway server started here (Debian's `postgresql`, `initdb` + `pg_ctl` on a free loopback
port, default settings: fsync on). Without psycopg or the server binaries the PostgreSQL half
is skipped with the reason.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

from .common import log

__all__ = ["bench_store_writes", "throwaway_postgres"]

WRITERS = (1, 4)


def _copies(n: int, tag: str) -> list:
    """`n` seed extractions, each with distinct bytes and its own vendor name."""
    from extract.seeds import load_seed_extractions

    seeds = load_seed_extractions()
    run = time.time_ns()  # new bytes on every run: a given database can be written again
    out = []
    for i in range(n):
        ex = seeds[i % len(seeds)]
        sha = hashlib.sha256(f"{run}:{tag}:{i}:{ex.document.sha256}".encode()).hexdigest()
        doc = dataclasses.replace(ex.document, sha256=sha, filename=f"copy-{i}.txt")
        out.append(dataclasses.replace(ex, document=doc, vendor=f"{ex.vendor} {tag} {i}"))
    return out


def _add_all(target, copies: list, writers: int) -> float:
    """Seconds to add every copy with `writers` threads (one Store each, as servers would)."""
    from extract.store import Store

    stores = [Store(target) for _ in range(writers)]
    parts = [copies[w::writers] for w in range(writers)]
    errors: list[BaseException] = []

    def run(store, part) -> None:
        try:
            for ex in part:
                assert store.add(ex).created
        except BaseException as exc:  # noqa: BLE001 - reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s, p)) for s, p in zip(stores, parts)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return seconds


def _engine_rates(target, n: int, tag: str) -> dict:
    from extract.store import Store

    Store(target)  # tables made before the clock starts
    out = {}
    for writers in WRITERS:
        copies = _copies(n, f"{tag}{writers}")
        facts = sum(len(ex.facts) for ex in copies)
        s = _add_all(target, copies, writers)
        out[f"writers_{writers}"] = {"documents": n, "facts": facts, "seconds": round(s, 3),
                                     "documents_per_s": round(n / s, 1),
                                     "facts_per_s": round(facts / s, 1),
                                     "ms_per_document": round(1000 * s / n, 2)}
        log(f"  {tag:<10} {writers} writer(s): {n / s:7.1f} documents/s, "
            f"{facts / s:8.1f} facts/s ({1000 * s / n:.1f} ms per document)")
    return out


def bench_store_writes(n: int, tmp: Path, pg_url: str | None = None) -> dict:
    """Documents and facts per second written by `Store.add` on each engine."""
    log(f"\n== store writes: {n} seed extractions (new bytes, own vendor) per run ==")
    res: dict = {"n": n, "sqlite": _engine_rates(tmp / "store-writes.db", n, "sqlite")}
    if pg_url:
        res["postgresql"] = _engine_rates(pg_url, n, "postgresql")
        res["postgresql_server"] = "given (--pg-url)"
        return res
    with throwaway_postgres() as (url, why):
        if url is None:
            log(f"  postgresql skipped: {why}")
            res["postgresql_skipped"] = why
        else:
            res["postgresql"] = _engine_rates(url, n, "postgresql")
            res["postgresql_server"] = "throwaway, local socket over TCP loopback, fsync on"
    return res


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[tuple[str | None, str]]:
    """(URL of an empty database on a fresh local server, "") or (None, why not)."""
    try:
        import psycopg
    except ImportError:
        yield None, "psycopg is not installed (pip install -r requirements-scale.txt)"
        return
    bindir = _bin_dir()
    if bindir is None:
        yield None, "PostgreSQL is not installed (apt-get install postgresql)"
        return
    as_root = os.geteuid() == 0
    wrap = (lambda cmd: ["runuser", "-u", "postgres", "--", *cmd]) if as_root else list
    home = Path(tempfile.mkdtemp(prefix="privacy-bench-pg-"))
    data, sock = home / "data", home / "sock"
    sock.mkdir()
    if as_root:
        shutil.chown(home, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run(wrap([*cmd]), check=True, capture_output=True,  # noqa: E731
                                      timeout=120)
    url, why = None, ""
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E",
            "UTF8")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start")
        base = f"postgresql://postgres@127.0.0.1:{port}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE bench")
        url = f"{base}/bench"
    except (subprocess.SubprocessError, OSError, psycopg.Error) as exc:
        why = f"the throwaway PostgreSQL server did not start: {exc}"
    try:
        yield url, why
    finally:
        subprocess.run(wrap([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)
