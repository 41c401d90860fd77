"""Watched policy pages (vendors added by URL), as HTML and text: pure, no Streamlit."""
from __future__ import annotations

from typing import Sequence

from extract.model import RecheckResult, WatchedSource
from pages.render.escape import escape

__all__ = ["when", "source_caption", "watch_table_html", "recheck_line", "STATUS_WORDS"]

STATUS_WORDS = {"added": "added", "unchanged": "unchanged", "changed": "changed",
                "failed": "check failed"}


def when(at: str) -> str:
    """"2026-05-01T09:30:12.123+00:00" → "2026-05-01 09:30 UTC" ("never" when empty)."""
    return f"{at[:16].replace('T', ' ')} UTC" if at else "never"


def source_caption(src: WatchedSource) -> str:
    """The Vendor page's line about the watched page (Markdown, escaped)."""
    line = (f"Source URL: {escape(src.url)} · last checked {when(src.last_checked_at)} "
            f"({STATUS_WORDS.get(src.last_status, escape(src.last_status))})")
    if src.last_changed_at:
        line += f" · last changed {when(src.last_changed_at)}"
    return line


def recheck_line(r: RecheckResult) -> str:
    """The outcome of one re-check, for a message box (Markdown, escaped)."""
    return f"**{escape(STATUS_WORDS.get(r.status, r.status).capitalize())}**: {escape(r.message)}"


def watch_table_html(watched: Sequence[WatchedSource]) -> str:
    """One row per URL vendor: name, URL, last check and its result, and whether the policy
    changed since the reader last opened the vendor (● marks it)."""
    rows = []
    for s in watched:
        status = STATUS_WORDS.get(s.last_status, s.last_status)
        if s.last_status == "failed" and s.last_message:
            status += f": {s.last_message}"
        news = "● changed since you last looked" if s.unseen_change else ""
        rows.append(f'<tr class="{"pp-diff" if s.unseen_change else ""}"><td><b>'
                    f'{escape(s.vendor, "html")}</b></td><td>{escape(s.url, "html")}</td>'
                    f'<td>{when(s.last_checked_at)}</td><td>{escape(status, "html")}</td>'
                    f"<td>{news}</td></tr>")
    return ('<table class="pp-table pp-watch"><thead><tr><th>Vendor</th><th>Policy URL</th>'
            "<th>Last checked</th><th>Last result</th><th>Since you looked</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
