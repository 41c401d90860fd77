"""A real PostgreSQL server for the store's tests, and `db_target`: every store test on both engines.

    def test_x(db_target):          # runs twice: a fresh SQLite file, then a fresh PostgreSQL db
        store = Store(db_target)

The server is Debian's `postgresql` (`initdb` + `pg_ctl`), started once per test session in a
temporary directory on a free loopback port, as the `postgres` OS user when the tests run as
root (PostgreSQL refuses to run as root); every test gets its own database. Without the server
binaries or the driver (requirements-scale.txt) the PostgreSQL cases are skipped, with the
reason; under CI=true they fail instead.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.core_fixtures import in_ci

__all__ = ["pg_server", "pg_url", "db_target", "ENGINES"]

ENGINES = ("sqlite", "postgresql")
_COUNTER = itertools.count()


def _missing(reason: str):
    if in_ci():
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}")
    pytest.skip(reason)


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_server():
    """The base URL of a running PostgreSQL server (`postgresql://postgres@127.0.0.1:PORT`)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install -r requirements-scale.txt)")
    bindir = _bin_dir()
    if bindir is None:
        _missing("PostgreSQL is not installed (apt-get install postgresql)")
    home = Path(tempfile.mkdtemp(prefix="privacy-pg-"))
    data, sock, port = home / "data", home / "sock", _free_port()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    run = lambda *cmd: subprocess.run(_as_server_user([*cmd]), check=True,  # noqa: E731
                                      capture_output=True, text=True, timeout=120)
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
        "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-o",
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    import psycopg

    name = f"t{os.getpid()}_{next(_COUNTER)}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_server}/{name}"


@pytest.fixture(params=ENGINES)
def db_target(request, tmp_path, monkeypatch):
    """A fresh database on each engine (a SQLite path, then a PostgreSQL URL); `$PRIVACY_DB`
    names it, so code that opens the default store opens this one."""
    if request.param == "sqlite":
        target = tmp_path / "privacy.db"
    else:
        target = request.getfixturevalue("pg_url")
    monkeypatch.setenv("PRIVACY_DB", str(target))
    return target
