"""One connection layer, two engines: a SQLite file (the default) or a PostgreSQL server.

    db = open_engine("data/privacy.db")                        # SQLite: WAL, BEGIN IMMEDIATE
    db = open_engine("postgresql://user@127.0.0.1:5432/privacy")   # needs requirements-scale.txt
    with db.tx() as con:                                       # one write transaction
        con.execute("INSERT INTO meta(key, value) VALUES (?, ?)", ("k", "v"))
    rows = db.read("SELECT value FROM meta WHERE key = ?", ("k",))

SQL is written once, in the dialect both engines share (`?` placeholders, `ON CONFLICT` upserts,
`RETURNING`); the PostgreSQL side translates the placeholders and `x COLLATE NOCASE` orderings.
`upsert` writes the single-row `INSERT … ON CONFLICT` statements. Table definitions use `{id}`,
`{float}`, `{blob}` and `{nocase}` for the few types that differ (`ddl`). Writers are serialised on
both engines: SQLite by `BEGIN IMMEDIATE`, PostgreSQL by a transaction-scoped advisory lock, so a
read-then-write transaction sees what SQLite would. Engines raise their driver's errors (`errors`);
`explain` turns one into words for users.

psycopg is imported only for a PostgreSQL URL: the SQLite path (and the pages' first paint)
never loads it.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from .errors import StoreError

__all__ = ["open_engine", "is_url", "SqliteEngine", "PgEngine", "split_statements", "upsert",
           "INSTALL_HINT"]

log = logging.getLogger(__name__)

INSTALL_HINT = ("PRIVACY_DB is a PostgreSQL URL, but the PostgreSQL driver is not installed. "
                "Install the optional extras: .venv/bin/pip install -r requirements-scale.txt")
_WRITE_LOCK = 0x70726976  # the advisory lock every PostgreSQL writer takes ("priv")
_POOL_SIZE = 4            # idle PostgreSQL connections kept per engine


def is_url(target) -> bool:
    """Whether a `PRIVACY_DB` value names a PostgreSQL server rather than a file."""
    return str(target).startswith(("postgresql://", "postgres://"))


def open_engine(target, timeout: float = 10.0):
    """The engine for a SQLite path or a `postgresql://` URL."""
    return PgEngine(str(target), timeout) if is_url(target) else SqliteEngine(target, timeout)


def split_statements(script: str) -> list[str]:
    """A script's statements (no `;` inside them), for running inside one transaction."""
    return [s for s in script.split(";") if s.strip()]


def upsert(con, table: str, row: Mapping[str, object], key: Sequence[str],
           update: Sequence[str] | None = None):
    """Insert `row` (column → value) into `table` on `con` (either engine's); on a clash over
    `key`, set the `update` columns to the new values (`c = excluded.c`). `update` None: every
    column of `row` not in `key`; empty: DO NOTHING. An empty `key` (DO NOTHING only) skips the
    row on any unique constraint. Returns the cursor.

    Table and column names are pasted into the SQL: code constants only, never user input."""
    cols = list(row)
    if update is None:
        update = [c for c in cols if c not in key]
    if update and not key:
        raise ValueError("DO UPDATE needs a conflict target (key)")  # PostgreSQL requires one
    target = f"({', '.join(key)})" if key else ""
    action = ("DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update) if update
              else "DO NOTHING")
    return con.execute(f"INSERT INTO {table}({', '.join(cols)}) VALUES "
                       f"({', '.join('?' * len(cols))}) ON CONFLICT{target} {action}",
                       tuple(row.values()))


class SqliteEngine:
    """A SQLite file: WAL, a busy timeout, `BEGIN IMMEDIATE` writes, one connection per call."""

    dialect = "sqlite"
    errors: tuple = (sqlite3.Error,)
    types = {"id": "INTEGER PRIMARY KEY", "float": "REAL", "blob": "BLOB",
             "nocase": " COLLATE NOCASE"}

    def __init__(self, path, timeout: float = 10.0):
        self.path = Path(path)
        self.timeout = timeout
        self.name = self.path.name

    @property
    def location(self) -> str:
        """What identifies this database within the process (its resolved path)."""
        return str(self.path.resolve())

    def identity(self) -> tuple:
        """`location`, plus the file's inode: a file replaced under the same name is new."""
        path = self.path.resolve()
        return (str(path), path.stat().st_ino if path.exists() else 0)

    def prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def ddl(self, script: str) -> str:
        return script.format(**self.types)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA synchronous=NORMAL")
            yield con
        finally:
            con.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, args).fetchall()

    def tables(self, con=None) -> set[str]:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        rows = con.execute(sql).fetchall() if con is not None else self.read(sql)
        return {r[0] for r in rows}

    def explain(self, exc: Exception) -> str:
        """Words for users (the file name); the log gets the full path."""
        log.warning("database %s: %r", self.path, exc)
        if isinstance(exc, OSError):
            return f"Cannot create the database {self.name}: {exc.strerror or 'failed'}."
        msg = str(exc).lower()
        if "locked" in msg or "busy" in msg:
            return (f"The database {self.name} is locked by another process; "
                    "try again in a moment.")
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return (f"The database file {self.name} is damaged or is not a database. "
                    "Move it aside (or set PRIVACY_DB to another file) and restart.")
        return f"Database error in {self.name}: {exc}."


_COLLATE = re.compile(r"([\w.]+) COLLATE NOCASE")


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """SQLite's shared dialect → psycopg: `?` → `%s`, `x COLLATE NOCASE` → `lower(x)` by bytes."""
    sql = _COLLATE.sub(r'lower(\1) COLLATE "C"', sql)
    return sql.replace("%", "%%").replace("?", "%s")


class _PgCon:
    """A psycopg connection that speaks the shared dialect (`execute`, `executemany`)."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, args=()):
        return self.raw.execute(_pg_sql(sql), tuple(args))

    def executemany(self, sql: str, rows) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(_pg_sql(sql), list(rows))


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(INSTALL_HINT) from exc
    return psycopg


class PgEngine:
    """A PostgreSQL database: autocommit reads, advisory-locked write transactions, a few pooled
    connections (per process: a forked child opens its own)."""

    dialect = "postgresql"
    path = None
    types = {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
             "float": "DOUBLE PRECISION", "blob": "BYTEA", "nocase": ""}

    def __init__(self, url: str, timeout: float = 10.0):
        self._pg = _psycopg()
        self.url, self.timeout = url, timeout
        self.errors = (self._pg.Error,)
        try:
            info = self._pg.conninfo.conninfo_to_dict(url)
        except self._pg.Error as exc:
            raise StoreError(f"PRIVACY_DB is not a valid PostgreSQL URL: {exc}") from None
        self.name = (f"{info.get('dbname', '')} on {info.get('host', 'localhost')}:"
                     f"{info.get('port', 5432)}")  # never the password
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    location = property(lambda self: f"postgresql {self.name}")

    def identity(self) -> tuple:
        return (self.location,)

    def prepare(self) -> None:
        pass

    def ddl(self, script: str) -> str:
        return script.format(**self.types)

    def __getstate__(self) -> dict:  # picklable: no connections, no lock
        return {"url": self.url, "timeout": self.timeout}

    def __setstate__(self, d: dict) -> None:
        self.__init__(d["url"], d["timeout"])

    def _take(self):
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        ms = int(self.timeout * 1000)
        return self._pg.connect(self.url, autocommit=True,
                                connect_timeout=max(1, int(self.timeout)),
                                options=f"-c lock_timeout={ms} -c statement_timeout={ms * 30}")

    def _give(self, raw) -> None:
        idle = self._pg.pq.TransactionStatus.IDLE
        with self._lock:
            if (not raw.closed and raw.info.transaction_status == idle
                    and self._pid == os.getpid() and len(self._idle) < _POOL_SIZE):
                self._idle.append(raw)
                return
        raw.close()

    @contextmanager
    def connect(self) -> Iterator[_PgCon]:
        raw = self._take()
        try:
            yield _PgCon(raw)
        finally:
            self._give(raw)  # back to the pool only when idle and healthy

    @contextmanager
    def tx(self) -> Iterator[_PgCon]:
        with self.connect() as con, con.raw.transaction():
            con.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield con

    def read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, args).fetchall()

    def tables(self, con=None) -> set[str]:
        sql = ("SELECT table_name FROM information_schema.tables "
               "WHERE table_schema = current_schema()")
        rows = con.execute(sql).fetchall() if con is not None else self.read(sql)
        return {r[0] for r in rows}

    def explain(self, exc: Exception) -> str:
        log.warning("database %s: %r", self.name, exc)
        state = getattr(exc, "sqlstate", None) or ""
        if state in ("55P03", "40P01", "57014"):  # lock timeout, deadlock, statement timeout
            return (f"The database {self.name} is busy with another writer; "
                    "try again in a moment.")
        if isinstance(exc, self._pg.OperationalError) and not state:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            return f"Cannot reach the database server ({self.name}): {first}."
        return f"Database error in {self.name}: {str(exc).strip()}."
