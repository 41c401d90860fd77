"""HTML (.html, .htm): the visible text, without scripts, hidden parts and page furniture
(menus, headers, footers) unless leaving those out would leave almost nothing; parsing is
bounded in time."""
from __future__ import annotations

import codecs
import re
import time
from html.parser import HTMLParser

from extract.errors import FileTooLarge

from .assemble import Text
from .decode import decode
from .limits import current, refuse_long_text
from .lines import merge_bullets, normalise_chars, tidy_line

__all__ = ["read_html"]

# Never content, whatever the page layout.
_HTML_ALWAYS_SKIP = frozenset("script style noscript template svg iframe head title object "
                              "canvas select button math".split())
# Page furniture around the policy; skipped unless that would leave almost nothing.
_HTML_FURNITURE = frozenset("nav header footer aside form dialog".split())
_HTML_BLOCK = frozenset("p div li h1 h2 h3 h4 h5 h6 br tr section article main ul ol dl dt dd "
                        "table thead tbody tfoot blockquote pre hr address figure figcaption "
                        "caption details summary fieldset legend body center".split())
_HTML_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _HTMLText(HTMLParser):
    """Collect visible text twice: without page furniture ("main") and with it ("all")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.main: list[str] = []
        self.all: list[str] = []
        self.skipping: list[tuple[str, bool]] = []  # (tag, furniture-only?) open skip tags
        self.cells: list[int] = [0]  # cells seen in the current table row, per nesting level
        self.pre = 0

    def _emit(self, text: str, *, structural: bool = False) -> None:
        hard = any(not furniture for _, furniture in self.skipping)
        if hard and not structural:
            return
        self.all.append(text)
        if not self.skipping or structural:
            self.main.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.skipping = [s for s in self.skipping if s[0] not in ("head", "title")]
        if tag not in _HTML_VOID and (tag in _HTML_ALWAYS_SKIP or tag in _HTML_FURNITURE
                                      or _hidden(attrs)):
            furniture_only = tag in _HTML_FURNITURE and not _hidden(attrs)
            self.skipping.append((tag, furniture_only))
            return
        self._block_break(tag)
        if tag == "li":
            self._emit("- ")
        elif tag in ("td", "th"):
            if self.cells[-1]:
                self._emit(" | ")
            self.cells[-1] += 1
        elif tag == "table":
            self.cells.append(0)
        elif tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_VOID or tag not in _HTML_ALWAYS_SKIP | _HTML_FURNITURE:
            self._block_break(tag)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.skipping) - 1, -1, -1):
            if self.skipping[i][0] == tag:
                del self.skipping[i:]
                return
        self._block_break(tag)
        if tag == "table" and len(self.cells) > 1:
            self.cells.pop()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def _block_break(self, tag: str) -> None:
        if tag in _HTML_BLOCK:
            self._emit("\n", structural=True)
        if tag == "tr":
            self.cells[-1] = 0

    def handle_data(self, data: str) -> None:
        self._emit(data if self.pre else re.sub(r"\s+", " ", data))


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    values = dict(attrs)
    style = (values.get("style") or "").replace(" ", "").lower()
    return ("hidden" in values or values.get("aria-hidden") == "true"
            or "display:none" in style)


def _html_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag, if Python knows it (Latin-1 → cp1252)."""
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", data[:4096], re.I)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # browsers ignore these without a BOM; so do we
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def read_html(data: bytes, filename: str) -> Text:
    text, warnings = decode(data, filename, _html_charset(data))
    parser = _HTMLText()
    limits = current()
    deadline = time.monotonic() + limits.max_html_seconds
    chunk = 256 * 1024  # html.parser re-scans buffered markup; small chunks bound each step
    for start in range(0, len(text), chunk):
        parser.feed(text[start:start + chunk])
        if time.monotonic() > deadline:
            raise FileTooLarge(f"Reading “{filename}” took longer than "
                               f"{limits.max_html_seconds:g} seconds; the page is too large "
                               "or too complex. Save the policy text alone and upload that.")
    parser.close()
    main, everything = "".join(parser.main), "".join(parser.all)
    if _letters(main) < 0.15 * _letters(everything):
        # Whole pages wrapped in <form> (ASP.NET) or an unclosed <header> would vanish.
        warnings.append("The page layout is unusual; menus and footers may be included in the text.")
        main = everything
    refuse_long_text(main, filename)
    lines = [line for line in (tidy_line(x) for x in normalise_chars(main).split("\n")) if line]
    return Text(["\n".join(merge_bullets(lines))], warnings)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
