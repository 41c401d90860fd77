"""Cheap checks of markup before it is parsed: absurd HTML or Word XML is refused in
milliseconds, not after a minute of parsing and gigabytes of memory.

Python's html.parser re-scans an unfinished tag each time more text arrives and spends a
few microseconds on every tag, attribute and character reference, so a 20 MB page with one
unclosed tag full of attributes, or millions of tiny tags, would stall the reader. These
scans count with `str.count` and one linear regex; the parsers bound the rest while
parsing (see `html.read_html`).
"""
from __future__ import annotations

import re

from extract.errors import FileTooLarge

from .limits import current, too_many_chars

__all__ = ["check_html", "check_xml", "crafted", "too_long_tag"]

# Script and style bodies and comments hold code and prose, not tags: skipped by the scan.
_RAW_OPEN = re.compile(r"<(script|style)\b|<!--", re.I)
# From a "<" to just before the next ">": a tag as far as the scan can tell. Linear: a match
# swallows any "<" before its ">", and the search resumes after it.
_TAG_SPAN = re.compile(r"<[^>]*")


def crafted(filename: str, what: str) -> FileTooLarge:
    """The refusal of markup no real policy has (`what`: e.g. "250,000 tags; the limit is …")."""
    return FileTooLarge(f"“{filename}” has {what}. No policy needs this much markup; the "
                        "file looks crafted and was not read. Save the policy text alone "
                        "(e.g. as PDF or TXT) and upload that.")


def too_long_tag(filename: str) -> FileTooLarge:
    return crafted(filename, f"a tag longer than the limit of "
                             f"{current().max_html_tag_chars:,} characters")


def check_html(text: str, filename: str) -> None:
    """Refuse a page with more tags, attributes or character references, or a longer tag,
    than `Limits` allow, before parsing it."""
    limits = current()
    tags = text.count("<")
    if tags > limits.max_html_tags:
        raise crafted(filename, f"{tags:,} tags; the limit is {limits.max_html_tags:,}")
    markup = _without_raw_text(text)
    entities = markup.count("&")
    if entities > limits.max_html_entities:
        raise crafted(filename, f"{entities:,} character references (&…;); the limit is "
                                f"{limits.max_html_entities:,}")
    attributes = in_tags = 0
    for match in _TAG_SPAN.finditer(markup):  # at most `tags` matches
        start, end = match.span()
        if end - start > limits.max_html_tag_chars:
            raise too_long_tag(filename)
        attributes += markup.count("=", start, end)
        in_tags += end - start
    if attributes > limits.max_html_attributes:
        raise crafted(filename, f"{attributes:,} attributes; the limit is "
                                f"{limits.max_html_attributes:,}")
    # Far more text between the tags than the character limit (spacing and entities
    # shrink when read): refuse now rather than after parsing it all.
    if len(markup) - in_tags > 3 * limits.max_chars:
        raise FileTooLarge(too_many_chars(filename))


def check_xml(xml: bytes, filename: str) -> None:
    """Refuse a Word document.xml with more tags than `Limits.max_docx_tags`, before parsing."""
    tags = xml.count(b"<")
    if tags > current().max_docx_tags:
        raise crafted(filename, f"{tags:,} XML tags in its text; the limit is "
                                f"{current().max_docx_tags:,}")


def _without_raw_text(text: str) -> str:
    """`text` without script and style bodies and comments (a scan: linear even if one never
    ends; like html.parser, an unclosed one runs to the end of the page)."""
    parts, pos = [], 0
    while (match := _RAW_OPEN.search(text, pos)) is not None:
        parts.append(text[pos:match.start()])
        element = match.group(1)
        closer = re.compile("-->" if element is None else "</" + element, re.I)
        end = closer.search(text, match.end())
        if end is None:
            return "".join(parts)
        pos = end.end()
    parts.append(text[pos:])
    return "".join(parts)
