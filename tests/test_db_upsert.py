"""`db.upsert`: one portable `INSERT … ON CONFLICT` for both engines."""
import pytest

from extract.db import open_engine, upsert
from extract.store import Store

_TABLE = ("CREATE TABLE kv (scope TEXT NOT NULL, key TEXT NOT NULL, a TEXT, b INTEGER, "
          "PRIMARY KEY (scope, key))")


class _Recorder:
    def execute(self, sql, args=()):
        self.sql, self.args = sql, args


def _sql(*args, **kwargs) -> tuple[str, tuple]:
    con = _Recorder()
    upsert(con, *args, **kwargs)
    return con.sql, con.args


def test_the_statement_is_the_one_written_by_hand():
    assert _sql("meta", {"key": "k", "value": "v"}, key=("key",)) == (
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
        "excluded.value", ("k", "v"))
    assert _sql("kv", {"scope": "s", "key": "k", "a": "x", "b": 1}, ("scope", "key"),
                update=("b",))[0].endswith("ON CONFLICT(scope, key) DO UPDATE SET b = excluded.b")
    assert _sql("meta", {"key": "k", "value": "v"}, key=("key",), update=())[0].endswith(
        "VALUES (?, ?) ON CONFLICT(key) DO NOTHING")
    assert _sql("vendors", {"name": "n"}, key=(), update=())[0].endswith(
        "ON CONFLICT DO NOTHING")
    with pytest.raises(ValueError, match="conflict target"):
        _sql("meta", {"key": "k", "value": "v"}, key=())


def test_insert_update_and_do_nothing_on_both_engines(db_target):
    db = open_engine(db_target)
    db.prepare()
    with db.tx() as con:
        con.execute(_TABLE)
        upsert(con, "kv", {"scope": "s", "key": "k", "a": "one", "b": 1}, ("scope", "key"))
        upsert(con, "kv", {"scope": "s", "key": "other", "a": "x", "b": 9}, ("scope", "key"))
    rows = lambda: db.read("SELECT scope, key, a, b FROM kv ORDER BY scope, key")  # noqa: E731
    assert rows() == [("s", "k", "one", 1), ("s", "other", "x", 9)]

    with db.tx() as con:  # update=None: every non-key column
        upsert(con, "kv", {"scope": "s", "key": "k", "a": "two", "b": 2}, ("scope", "key"))
    assert rows() == [("s", "k", "two", 2), ("s", "other", "x", 9)]

    with db.tx() as con:  # only the named columns; the others keep their value
        upsert(con, "kv", {"scope": "s", "key": "k", "a": "three", "b": 3}, ("scope", "key"),
               update=("b",))
    assert rows() == [("s", "k", "two", 3), ("s", "other", "x", 9)]

    with db.tx() as con:  # update=(): DO NOTHING, for a clash; a new key is still inserted
        upsert(con, "kv", {"scope": "s", "key": "k", "a": "four", "b": 4}, ("scope", "key"),
               update=())
        upsert(con, "kv", {"scope": "t", "key": "k", "a": "new", "b": 5}, ("scope", "key"),
               update=())
    assert rows() == [("s", "k", "two", 3), ("s", "other", "x", 9), ("t", "k", "new", 5)]


def test_without_a_target_any_unique_clash_is_skipped(db_target):
    db = Store(db_target).db  # vendors: one name whatever its case (NOCASE / lower(name) index)
    with db.tx() as con:
        upsert(con, "vendors", {"name": "Acme", "created_at": "t1"}, key=(), update=())
        upsert(con, "vendors", {"name": "ACME", "created_at": "t2"}, key=(), update=())
    assert db.read("SELECT name, created_at FROM vendors") == [("Acme", "t1")]
