"""Markdown (.md, .markdown): markup stripped to plain lines, one per paragraph, heading,
list item or table row; code fences kept line by line; front matter and comments dropped."""
from __future__ import annotations

import re

from extract.model import CELL_SEPARATOR

from .assemble import Text
from .decode import decode
from .limits import refuse_long_text
from .lines import merge_bullets, normalise_chars, tidy_line

__all__ = ["read_md"]

_MD_INLINE = (
    # Every span is bounded ({,300}) and stops at the next marker of its own kind ([^*],
    # "*" not before "*", ...): a span that may run past markers makes these patterns
    # quadratic on long lines full of unmatched markers ("**a **a ...": 30 s for 6 MB).
    (re.compile(r"!\[([^\[\]]{0,300})\]\([^()\s]{0,500}\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\[\]]{1,300})\]\([^()\n]{0,500}\)"), r"\1"),   # [text](url) → text
    (re.compile(r"\[([^\[\]]{1,300})\]\[[^\[\]]{0,100}\]"), r"\1"),   # [text][ref] → text
    (re.compile(r"\[\^[^\[\]]{1,100}\]"), ""),                        # footnote references
    (re.compile(r"<((?:https?|mailto):[^<>\s]{1,500})>"), r"\1"),      # autolinks
    (re.compile(r"</?[a-zA-Z][^<>]{0,300}>"), ""),                     # inline HTML tags
    (re.compile(r"`([^`]{1,300})`"), r"\1"),                           # code spans
    (re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*)){1,300}?)(?<=\S)\*\*"), r"\1"),  # **strong**
    (re.compile(r"__(?=\S)((?:[^_]|_(?!_)){1,300}?)(?<=\S)__"), r"\1"),        # __strong__
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]{1,300}?)(?<=[^\s*])\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^_]{1,300}?)(?<=[^\s_])_(?![\w_])"), r"\1"),    # _em_
    (re.compile(r"~~(?=\S)((?:[^~]|~(?!~)){1,300}?)(?<=\S)~~"), r"\1"),        # strikethrough
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])"), r"\1"),      # backslash escapes
)
_MD_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?")
_MD_ORDERED = re.compile(r"^\s*(\d{1,9})[.)]\s+")
_MD_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")


def read_md(data: bytes, filename: str) -> Text:
    text, warnings = decode(data, filename)
    refuse_long_text(text, filename)
    text = _strip_comments(_strip_front_matter(text))
    lines = _markdown_lines(normalise_chars(text).split("\n"))
    lines = merge_bullets([tidy_line(line) for line in lines])
    return Text(["\n".join(line for line in lines if line)], warnings)


def _strip_front_matter(text: str) -> str:
    match = re.match(r"\A---\n.*?\n---\n", text.replace("\r\n", "\n"), re.S)
    return text.replace("\r\n", "\n")[match.end():] if match else text


def _strip_comments(text: str) -> str:
    """Remove <!-- ... --> comments (a scan, not a regex: linear even if one never ends)."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)


def _markdown_lines(raw: list[str]) -> list[str]:
    """Turn Markdown lines into plain lines, one per paragraph, heading, item or table row."""
    out: list[list[str]] = []  # the source lines making up each output line
    in_fence, joinable = False, False
    for line in raw:
        if re.match(r"^\s*(```|~~~)", line):
            in_fence, joinable = not in_fence, False
            continue
        if in_fence:
            out.append([line])
            continue
        kind, plain = _markdown_line(line)
        if kind == "blank":
            joinable = False
        elif kind == "text" and joinable:
            out[-1].append(plain)
        else:
            out.append([plain])
        # A paragraph or item continues on the next plain line unless a hard break ends it.
        joinable = kind in ("text", "item") and not line.endswith(("  ", "\\"))
    return [" ".join(parts) for parts in out]


def _markdown_line(line: str) -> tuple[str, str]:
    """Classify one Markdown line and return (kind, plain text)."""
    short = len(line) <= 1000  # rules and separator rows are short; spare long lines the regex
    if not line.strip() or short and (_MD_RULE.match(line) or _MD_TABLE_SEPARATOR.match(line)):
        return "blank", ""
    if _MD_REF_DEFINITION.match(line):
        return "blank", ""
    line = re.sub(r"^(\s*>\s?)+", "", line)
    heading = _MD_HEADING.match(line.strip())
    if heading:
        title = line.strip()[heading.end():].strip()
        return "heading", _md_inline(re.sub(r"(?:^|\s)#+$", "", title).strip())
    if line.strip().startswith("|") and line.strip().endswith("|"):
        cells = [_md_inline(c.strip()) for c in line.strip().strip("|").split("|")]
        return "row", CELL_SEPARATOR.join(c for c in cells if c)
    bullet = _MD_BULLET.match(line)
    if bullet:
        return "item", "- " + _md_inline(line[bullet.end():].rstrip("\\"))
    ordered = _MD_ORDERED.match(line)
    if ordered:
        return "item", f"{ordered.group(1)}. " + _md_inline(line[ordered.end():].rstrip("\\"))
    return "text", _md_inline(line.strip().rstrip("\\"))


def _md_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text
