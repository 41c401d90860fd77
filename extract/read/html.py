"""HTML (.html, .htm): the visible text, without scripts, hidden parts and page furniture
(menus, headers, footers) unless leaving those out would leave almost nothing.

Parsing is bounded before it starts (`markup.check_html`: tags, attributes, character
references, the longest tag) and while it runs: attributes are counted, an unfinished tag
growing past the limit is refused at once, and the time is checked between chunks."""
from __future__ import annotations

import codecs
import re
import time
from collections import Counter
from html.parser import HTMLParser

from extract.errors import FileTooLarge
from extract.model import CELL_SEPARATOR

from .assemble import Text
from .decode import decode
from .limits import current, refuse_long_text
from .lines import merge_bullets, normalise_chars, tidy_line
from .markup import check_html, crafted, too_long_tag

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


class _TooMuch(Exception):
    """Raised inside the parser when the page passes a limit while being parsed."""


class _HTMLText(HTMLParser):
    """Collect visible text twice: without page furniture ("main") and with it ("all")."""

    def __init__(self, max_attributes: int | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.main: list[str] = []
        self.all: list[str] = []
        self.skipping: list[tuple[str, bool]] = []  # (tag, furniture-only?) open skip tags
        # Counts of `skipping`, so deep nesting costs no scan per tag or text run.
        self.skip_counts: Counter[str] = Counter()
        self.hard_skips = 0  # entries of `skipping` that are not furniture-only
        self.cells: list[int] = [0]  # cells seen in the current table row, per nesting level
        self.pre = 0
        self.attributes, self.max_attributes = 0, max_attributes

    def _emit(self, text: str, *, structural: bool = False) -> None:
        if self.hard_skips and not structural:
            return
        self.all.append(text)
        if not self.skipping or structural:
            self.main.append(text)

    def _count(self, attrs: list) -> None:
        self.attributes += len(attrs)
        if self.max_attributes is not None and self.attributes > self.max_attributes:
            raise _TooMuch(f"more than {self.max_attributes:,} attributes")

    def _skip(self, tag: str, furniture_only: bool) -> None:
        self.skipping.append((tag, furniture_only))
        self.skip_counts[tag] += 1
        self.hard_skips += not furniture_only

    def _unskip_from(self, i: int) -> None:
        for tag, furniture_only in self.skipping[i:]:
            self.skip_counts[tag] -= 1
            self.hard_skips -= not furniture_only
        del self.skipping[i:]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count(attrs)
        if tag == "body" and (self.skip_counts["head"] or self.skip_counts["title"]):
            kept = [s for s in self.skipping if s[0] not in ("head", "title")]
            self._unskip_from(0)
            for skipped in kept:
                self._skip(*skipped)
        if tag not in _HTML_VOID and (tag in _HTML_ALWAYS_SKIP or tag in _HTML_FURNITURE
                                      or _hidden(attrs)):
            self._skip(tag, tag in _HTML_FURNITURE and not _hidden(attrs))
            return
        self._block_break(tag)
        if tag == "li":
            self._emit("- ")
        elif tag in ("td", "th"):
            if self.cells[-1]:
                self._emit(CELL_SEPARATOR)
            self.cells[-1] += 1
        elif tag == "table":
            self.cells.append(0)
        elif tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count(attrs)
        if tag in _HTML_VOID or tag not in _HTML_ALWAYS_SKIP | _HTML_FURNITURE:
            self._block_break(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_counts[tag]:  # the scan below ends at it; what it passes is dropped
            for i in range(len(self.skipping) - 1, -1, -1):
                if self.skipping[i][0] == tag:
                    self._unskip_from(i)
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


def _html_charset(data: bytes) -> tuple[str | None, str | None]:
    """The charset a page declares in a <meta> tag, if Python knows it (Latin-1 → cp1252),
    and its name as the page writes it."""
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]{1,40})", data[:4096], re.I)
    if not match:
        return None, None
    label = match.group(1).decode("ascii", errors="replace")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None, None
    if name.startswith(("utf-16", "utf-32")):
        return None, None  # browsers ignore these without a BOM; so do we
    return ("cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name), label


def read_html(data: bytes, filename: str) -> Text:
    text, warnings = decode(data, filename, *_html_charset(data))
    check_html(text, filename)
    try:
        main, unusual = _visible_text(text, filename)
    except _TooMuch as exc:
        raise crafted(filename, str(exc)) from None
    if unusual:
        # Whole pages wrapped in <form> (ASP.NET) or an unclosed <header> would vanish.
        warnings.append("The page layout is unusual; menus and footers may be included in the text.")
    refuse_long_text(main, filename)
    lines = [line for line in (tidy_line(x) for x in normalise_chars(main).split("\n")) if line]
    return Text(["\n".join(merge_bullets(lines))], warnings)


def _visible_text(text: str, filename: str) -> tuple[str, bool]:
    """Parse in chunks within the limits; return (text, whether furniture had to be kept)."""
    limits = current()
    parser = _HTMLText(limits.max_html_attributes)
    deadline = time.monotonic() + limits.max_html_seconds
    chunk = 256 * 1024  # html.parser re-scans buffered markup; small chunks bound each step
    for start in range(0, len(text), chunk):
        parser.feed(text[start:start + chunk])
        # What the parser still holds is one unfinished tag, comment or declaration (a
        # script or style body, which is cheap to scan, is exempt): re-scanned per chunk.
        if len(parser.rawdata) > limits.max_html_tag_chars and not parser.cdata_elem:
            raise too_long_tag(filename)
        if time.monotonic() > deadline:
            raise FileTooLarge(f"Reading “{filename}” took longer than "
                               f"{limits.max_html_seconds:g} seconds; the page is too large "
                               "or too complex. Save the policy text alone and upload that.")
    parser.close()
    main, everything = "".join(parser.main), "".join(parser.all)
    if _letters(main) < 0.15 * _letters(everything):
        return everything, True
    return main, False


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
