"""The store and the caches around it, shared by all sessions of this server process.

Errors are raised, not shown: `pages.ui.get_store` / `load_records` show them and stop the page.
"""
from __future__ import annotations

import threading

import streamlit as st

from extract.batches import shared_extractor
from extract.model import PolicyRecord
from extract.store import Store, default_db_path

__all__ = ["db_path", "open_store", "bump_version", "cached_records", "get_extractor"]


class _Version:
    """A process-wide counter per database, bumped after every write so caches never go stale."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def bump(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    @property
    def value(self) -> int:
        return self._n


def db_path() -> str:
    return str(default_db_path())


@st.cache_resource(show_spinner=False)
def _store_for(path: str) -> Store:
    from extract.seeds import ensure_seeded  # seeds read files; only needed on first open

    store = Store(path)
    ensure_seeded(store)
    return store


@st.cache_resource(show_spinner=False)
def _version_for(path: str) -> _Version:
    # Shared by all sessions: an upload in one browser tab refreshes every other tab's data.
    return _Version()


def bump_version() -> None:
    """Call after every write (upload, delete) so `load_records()` re-reads the database."""
    _version_for(db_path()).bump()


@st.cache_data(show_spinner=False, max_entries=32)
def _records(path: str, version: int, data_version: tuple) -> list[PolicyRecord]:
    return _store_for(path).records()


def open_store() -> Store:
    """The store for the current `$PRIVACY_DB`, seeded once (raises `ExtractError`)."""
    return _store_for(db_path())


def cached_records(store: Store) -> list[PolicyRecord]:
    """Latest policy of every vendor, cached until the next write (raises `StoreError`)."""
    # data_version() is one cheap query; it catches writes by other processes (another
    # server on the same database file, a script), which the in-process counter cannot see.
    return _records(db_path(), _version_for(db_path()).value, store.data_version())


@st.cache_resource(show_spinner="Loading the language model (first upload only, ~10 s)…")
def get_extractor():
    """The extraction model, loaded once per process (shared with the upload worker)."""
    # Not extract.batches.shared_extractor itself: a page that needs the model shows the
    # spinner; the upload worker thread calls shared_extractor, which touches no Streamlit.
    # It is warm (loaded now, under the spinner, not silently inside the first file); torch
    # is only imported here, never by pages that just show stored results.
    return shared_extractor()
