"""The store and the caches around it, shared by all sessions of this server process.

The cached tables are keyed on the database's change counter (`Store.data_version`), so
several app servers over one database (PostgreSQL) each see the others' writes on their next
page run.

Errors are raised, not shown: `pages.ui.get_store` / `load_records` show them and stop the page.
"""
from __future__ import annotations

import streamlit as st

from extract.batches import shared_extractor
from extract.model import PolicyRecord
from extract.store import Store, default_db_path

__all__ = ["db_path", "open_store", "cached_records", "get_extractor"]


def db_path() -> str:
    return str(default_db_path())


@st.cache_resource(show_spinner=False)
def _store_for(path: str) -> Store:
    from extract.seeds import ensure_seeded  # seeds read files; only needed on first open

    store = Store(path)
    ensure_seeded(store)
    return store


@st.cache_data(show_spinner=False, max_entries=32)
def _records(path: str, data_version: int) -> list[PolicyRecord]:
    return _store_for(path).records()


def open_store() -> Store:
    """The store for the current `$PRIVACY_DB`, seeded once (raises `ExtractError`)."""
    return _store_for(db_path())


def cached_records(store: Store) -> list[PolicyRecord]:
    """Latest policy of every vendor, cached until the next write (raises `StoreError`)."""
    # Keyed on the database's change counter (one cheap query per run), which every write
    # transaction bumps, whichever process made it: this server, another app server on the
    # same database, a script. Nothing in this process's memory decides what is fresh.
    return _records(db_path(), store.data_version())


@st.cache_resource(show_spinner="Loading the language model (first upload only, ~10 s)…")
def get_extractor():
    """The extraction model, loaded once per process (shared with the upload worker)."""
    # Not extract.batches.shared_extractor itself: a page that needs the model shows the
    # spinner; the upload worker thread calls shared_extractor, which touches no Streamlit.
    # It is warm (loaded now, under the spinner, not silently inside the first file); torch
    # is only imported here, never by pages that just show stored results.
    return shared_extractor()
