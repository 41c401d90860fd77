"""Policies by URL in the app: the Upload page's "Add by URL", the Vendor page's re-check, and
the Overview's list of watched pages. The work is `extract.url_ingest`'s; this draws it.

Store errors are shown where they happen (they never end the page: these are side sections).
"""
from __future__ import annotations

import streamlit as st

from extract.errors import ExtractError
from extract.model import PolicyRecord
from extract.sources import Sources
from extract.url_ingest import recheck
from pages.render.escape import escape
from pages.render.review import diff_html
from pages.render.sources import recheck_line, source_caption, watch_table_html
from pages.session.identity import current_user
from pages.session.store import get_extractor, open_store
from pages.session.uploads import submit_uploads

__all__ = ["add_by_url", "recheck_panel", "watched_pages"]


def add_by_url() -> int | None:
    """A URL box and a button: the page is fetched in the background, like an upload batch
    (reading it may take a while; the reader may open other pages meanwhile), and its main
    text stored as the vendor's policy. Returns the batch's id when one was submitted."""
    with st.container(border=True):
        st.markdown("**Add by URL** — the vendor's privacy page (HTML, PDF, DOCX or text); "
                    "only its main text is read, never menus, cookie banners or footers.")
        url = st.text_input("Policy URL", key="policy_url",
                            placeholder="https://vendor.example/privacy")
        vendor = st.text_input("Vendor name for this URL (optional)", key="url_vendor",
                               max_chars=80, help="Leave empty to name it from the web address.")
        if not st.button("Fetch and add", key="add_url", icon=":material/link:"):
            return None
        if not url.strip():
            st.warning("Type the address of the vendor's privacy page first.")
            return None
        return submit_uploads([], vendor, urls=[url])


def recheck_panel(rec: PolicyRecord, rubric, show_html) -> None:
    """For a vendor added by URL: its URL and last check, "Re-check now" (writers), the last
    re-check's outcome with the facts gained, lost and changed (drawn by `show_html`, our
    escaped HTML with the styles). Opening it marks it seen for the reader."""
    user = current_user()
    try:
        sources = Sources(open_store())
        src = sources.get(rec.vendor_id, user.name if user else "")
        if src is None:
            return
        st.caption(source_caption(src))
        if user is not None and user.can_write and st.button(
                "Re-check now", key="recheck_now", icon=":material/refresh:",
                help="Fetch the page again; a changed policy becomes a new version."):
            with st.spinner("Fetching the page again…"):
                result = recheck(open_store(), rec.vendor_id, get_extractor, user)
            st.session_state["_recheck"] = result
            st.rerun()  # the caption, versions and facts above show the new state
        if user is not None:
            sources.mark_seen(rec.vendor_id, user.name)
    except ExtractError as exc:  # StoreError, PermissionDenied, a vendor deleted meanwhile
        st.error(escape(exc), icon=":material/error:")
        return
    result = st.session_state.get("_recheck")
    if result is None or result.vendor_id != rec.vendor_id:
        return
    box = {"changed": st.warning, "failed": st.error}.get(result.status, st.success)
    box(recheck_line(result), icon=":material/update:")
    if result.diff:
        show_html(diff_html(result.diff, rubric))


def watched_pages(show_html) -> None:
    """The Overview's section: every URL vendor, when it was last checked, and which changed
    since this reader last opened it. `show_html` draws our escaped HTML with the styles."""
    user = current_user()
    try:
        watched = Sources(open_store()).all(user.name if user else "")
    except ExtractError as exc:
        st.error(escape(exc), icon=":material/error:")
        return
    if not watched:
        return
    st.subheader("Watched policy pages")
    news = [s.vendor for s in watched if s.unseen_change]
    st.caption(f"{len(watched)} vendor(s) added by URL. "
               + (f"Changed since you last looked: {', '.join(escape(n) for n in news)}. "
                  if news else "None changed since you last looked. ")
               + "Re-check one on its Vendor page, or all with `python -m extract.watch`.")
    show_html(watch_table_html(watched))
