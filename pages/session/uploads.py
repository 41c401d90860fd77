"""Upload batches in the app: submit one, follow its progress, show a user's recent batches.

The files are processed by `extract.batches`' worker thread, not in the page's script run:
Streamlit stops a script when its reader opens another page, the worker does not. Everything
shown here is read back from the store, so any page, tab or session of the same user sees it.
Store errors are raised (`StoreError`), not shown: the pages show them and stop.
"""
from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from extract.batches import Batch, BatchItem, get_batch, recent_batches, shared_extractor
from extract.batches import submit_batch
from pages.render.escape import escape
from pages.session.identity import auth_mode, current_user
from pages.session.store import open_store

__all__ = ["submit_uploads", "follow_batch", "item_result", "batch_summary", "latest_unfinished",
           "recent_uploads"]

POLL_SECONDS = 0.3  # how often a followed batch's progress is re-read from the store
REFRESH = 2.0       # how often a list with a running batch refreshes itself (seconds)


def submit_uploads(files: list[tuple[str, bytes]], vendor_override: str | None,
                   urls: list[str] | None = None) -> int:
    """Store the files (and policy URLs to fetch) as a batch of the current user and start the
    worker; the batch id."""
    return submit_batch(open_store(), files, vendor_override, current_user(), shared_extractor,
                        users_file=auth_mode() == "local", urls=urls or ())


def _when(at: str | None) -> str:
    return f"{at[:16].replace('T', ' ')} UTC" if at else ""


def batch_summary(batch: Batch) -> str:
    """One line: when, how many files, and what became of them (plain text, no Markdown)."""
    n = len(batch.items)
    head = f"{_when(batch.created_at)} · {n} file{'s' if n != 1 else ''}"
    if not batch.finished:
        return f"{head} · processing, {batch.n_done} of {n} done"
    parts = [f"{batch.count(s)} {word}" for s, word in
             (("added", "added"), ("duplicate", "already stored"), ("error", "failed"),
              ("interrupted", "not processed")) if batch.count(s)]
    state = "interrupted: the server stopped" if batch.state == "interrupted" else "done"
    return f"{head} · {state} · {', '.join(parts)}"


def follow_batch(batch_id: int) -> Batch | None:
    """Draw a batch's progress until it ends; returns it as it ended (None if unknown).

    Only the drawing stops when the reader leaves the page; the batch runs on."""
    store = open_store()
    batch = get_batch(store, batch_id)
    if batch is None or batch.finished:
        return batch
    n = len(batch.items)
    bar = st.progress(0.0, text="Starting…")
    told: set[int] = set()
    with st.status(f"Processing {n} file(s)…", expanded=True) as status:
        while True:
            for item in batch.items:
                if item.status != "pending" and item.position not in told:
                    told.add(item.position)
                    st.write(f"Reading {escape(item.filename)}…")
            if batch.finished:
                break
            now = batch.current
            bar.progress(batch.n_done / n, text=f"File {now.position + 1} of {n}: "
                                                f"{escape(now.filename)}"
                                                + (f" · {escape(now.progress)}"
                                                   if now.progress else ""))
            time.sleep(POLL_SECONDS)
            batch = get_batch(store, batch_id)
        failed = batch.count("error") + batch.count("interrupted")
        bar.progress(1.0, text="Done" if batch.state == "done" else "Interrupted")
        label = (f"Processed {n} file(s)" + (f", {failed} failed" if failed else "")
                 if batch.state == "done" else
                 f"Interrupted: {batch.count('interrupted')} of {n} file(s) not processed")
        status.update(label=label, state="error" if failed == n or batch.state != "done"
                      else "complete", expanded=False)
    return batch


def item_result(item: BatchItem, vendor_page: str) -> None:
    """One file's outcome: added (with the reader's warnings), already stored, or failed."""
    name = escape(item.filename)
    if item.status == "added":
        st.success(f"**{name}** → {escape(item.vendor)}. {escape(item.message)}",
                   icon=":material/check_circle:")
        for w in item.warnings:  # stored, but the reviewer should know the read was unusual
            st.warning(f"**{name}**: {escape(w)}", icon=":material/warning:")
    elif item.status == "duplicate":
        st.info(f"**{name}**: {escape(item.message)}"
                + (f" Stored as {escape(item.vendor)}." if item.vendor else ""),
                icon=":material/content_copy:")
    elif item.finished:
        st.error(f"**{name}**: {escape(item.message)}", icon=":material/error:")
    else:
        st.caption(f"{name}: {'processing…' if item.status == 'running' else 'waiting…'}")
    if item.vendor_id is not None:
        st.page_link(vendor_page, label=f"Open {escape(item.vendor)}",
                     icon=":material/arrow_forward:", query_params={"vendor": str(item.vendor_id)})


def latest_unfinished() -> Batch | None:
    """The current user's newest batch still running (e.g. started in another tab)."""
    user = current_user()
    if user is None:
        return None
    return next((b for b in recent_batches(open_store(), user.name) if not b.finished), None)


def recent_uploads(within: timedelta, *, exclude: int | None = None,
                   vendor_page: str | None = None, upload_page: str | None = None) -> None:
    """The current user's batches unfinished or finished `within`: each with every file's
    outcome and links to `vendor_page` (the Upload page), or as one line naming the files not
    stored, with a link to `upload_page` (the Overview). While one runs the list refreshes
    itself, and when one ends the whole page runs again (its new vendors join the matrix)."""
    user = current_user()
    if user is None or not user.can_write:  # viewers upload nothing
        return
    store = open_store()
    shown = [b for b in recent_batches(store, user.name, within) if b.id != exclude]
    if not shown:
        return
    running = {b.id for b in shown if not b.finished}

    @st.fragment(run_every=REFRESH if running else None)
    def draw() -> None:
        batches = [b for b in recent_batches(store, user.name, within) if b.id != exclude]
        if running - {b.id for b in batches if not b.finished}:
            st.rerun()  # a batch ended: the whole page, for its new vendors
        st.subheader("Your recent uploads" if vendor_page else "Uploads in progress or just "
                     "finished")
        for b in batches:
            _batch_entry(b, vendor_page, upload_page)

    draw()


def _batch_entry(batch: Batch, vendor_page: str | None, upload_page: str | None) -> None:
    summary = escape(batch_summary(batch))
    if vendor_page:
        with st.expander(summary, expanded=batch.state == "interrupted",
                         icon=":material/error:" if batch.state == "interrupted" else None):
            for item in batch.items:
                item_result(item, vendor_page)
        return
    lost = [i.filename for i in batch.items if i.status in ("interrupted", "error")]
    (st.warning if lost else st.info)(
        summary + (". Not stored: " + ", ".join(escape(n) for n in lost) if lost else ""),
        icon=":material/upload_file:")
    if upload_page:
        st.page_link(upload_page, label="Details on the Upload page",
                     icon=":material/arrow_forward:")
