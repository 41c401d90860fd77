"""A fetched web page → the reader's input: only the page's main text, never its chrome.

    data, filename = readable(fetched)   # bytes and a file name for `read_document`

An HTML page goes through trafilatura, a maintained boilerplate remover: navigation, cookie
banners, scripts, sidebars and footers are dropped, so a footer's "we never sell your data" or a
banner's "cookies are kept for 13 months" can never become evidence. The main text comes out as
Markdown (headings and list items kept) and is read like an uploaded `.md` file. A PDF, DOCX,
TXT or Markdown document at a URL is passed on as it is, read exactly like an upload.

The stored document's SHA-256 is then that of the main text, not of the raw page: a page whose
ads, dates or tokens change on every request is not a new policy version.
"""
from __future__ import annotations

from .errors import NoPolicyText
from .fetch import Fetched

__all__ = ["readable", "main_text", "MIN_WORDS"]

MIN_WORDS = 30  # fewer words of main text: a login page, a JavaScript shell, a link list

def main_text(html: bytes | str, url: str = "") -> str:
    """The main content of an HTML page as Markdown; raises `NoPolicyText` when there is none."""
    import trafilatura  # lxml and friends load on the first page, not with the app

    from .read.markup import check_html

    # The reader's markup bounds first: a crafted page is refused before lxml builds its tree
    # (that parse runs in the app's process, beside every other session).
    check_html(html.decode("utf-8", "replace") if isinstance(html, bytes) else html,
               url or "the page")
    text = trafilatura.extract(html, url=url or None, output_format="markdown",
                               include_comments=False, include_tables=True,
                               include_images=False, include_links=False, favor_recall=True,
                               deduplicate=False)
    if len((text or "").split()) < MIN_WORDS:  # a menu or a "Home" link is not a policy
        raise NoPolicyText(f"{url or 'The page'} has no main text to read (it may be built by "
                           "JavaScript in the browser, or be a login page).")
    return text.strip() + "\n"


def readable(page: Fetched) -> tuple[bytes, str]:
    """What to hand `read_document`: (bytes, file name). HTML becomes its main text (.md)."""
    if page.suffix != ".html":
        return page.data, page.filename
    text = main_text(page.data, page.url)
    return text.encode("utf-8"), page.filename.rsplit(".", 1)[0] + ".md"
