"""Plain text (.txt): blank lines break paragraphs; hard-wrapped lines are rejoined."""
from __future__ import annotations

from .assemble import Text
from .decode import decode
from .limits import refuse_long_text
from .lines import blocks, dehyphenate, merge_bullets, reflow, text_lines, typical_width, vocabulary

__all__ = ["read_txt", "structure_plain"]


def read_txt(data: bytes, filename: str) -> Text:
    text, warnings = decode(data, filename)
    refuse_long_text(text, filename)
    return Text([structure_plain(text)], warnings)


def structure_plain(text: str) -> str:
    """Plain text: blank lines break paragraphs; hard-wrapped lines are rejoined."""
    lines = text_lines(text)
    width = typical_width(lines)
    vocab = vocabulary(lines)
    out: list[str] = []
    for block in blocks(lines):
        out.extend(reflow(merge_bullets(dehyphenate(block, vocab)), width))
    return "\n".join(out)
