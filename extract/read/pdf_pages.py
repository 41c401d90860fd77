"""PDF page texts → clean page texts: text-layer repairs (`extract.repair`), running headers,
footers and page numbers removed, broken words and wrapped lines rejoined, a sentence split
by a page break made whole on the page where it starts; scans refused. No pypdf here."""
from __future__ import annotations

import math
import re
from collections import Counter

from extract.errors import ScannedPDF
from extract.repair import Repairs, dedupe_runs, deglue, repair_characters
from extract.segment import split_sentences

from .lines import (_BULLET_LINE, MARKER_ONLY, continues, dehyphenate, merge_bullets, reflow,
                    rejoin_single_words, text_lines, typical_width, vocabulary)

__all__ = ["structure_pdf", "clean_pdf_pages", "pages_phrase"]

_SHORT_ITEM = 400  # characters: a list item shorter is one clause (`extract.segment.segment`)


def pages_phrase(numbers: list[int]) -> str:
    """ "Page 3 was" / "Pages 2, 5–7 were", compressing runs."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    shown = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs[:10])
    if len(runs) > 10:
        shown += ", …"
    return f"Page {shown} was" if len(numbers) == 1 else f"Pages {shown} were"


def structure_pdf(raw_pages: list[str | None], filename: str, warnings: list[str],
                  refusal_note: str = "", blank_note: str = "") -> list[str]:
    """Turn raw page texts into clean page texts (see `clean_pdf_pages`), or refuse scans.

    A broken text layer is repaired first (see `extract.repair`); what was repaired is
    reported in one warning. `refusal_note` ends the refusal of a PDF without text (what
    to do instead) and `blank_note` the warning about pages without text (how to enable OCR).
    """
    repairs = Repairs()
    texts = repair_characters([text or "" for text in raw_pages], repairs)
    pages, width, vocab = _clean_each([text_lines(text) for text in texts], repairs)
    # Counted before a sentence's continuation moves to the page where it starts: a page
    # that holds only the end of a long sentence is not blank.
    chars = [sum(len(line.replace(" ", "")) for line in lines) for lines in pages]
    if sum(chars) < 20 * len(pages):
        raise ScannedPDF(f"This PDF has no text layer — it looks scanned, so “{filename}” "
                         "cannot be read. " + (refusal_note or "Ask the vendor for a text PDF "
                                               "or run OCR on it first."))
    blank = [number for number, count in enumerate(chars, start=1)
             if count < 5 and raw_pages[number - 1] is not None]
    if blank:
        warnings.append(f"{pages_phrase(blank)} without text (scanned images or blank); "
                        "facts there will be missed." + (f" {blank_note}" if blank_note else ""))
    pages = deglue(_join_across_pages(pages, width, vocab), repairs)
    if repairs.warning():
        warnings.append(repairs.warning())
    return ["\n".join(lines) for lines in pages]


def clean_pdf_pages(pages: list[list[str]], repairs: Repairs | None = None) -> list[list[str]]:
    """Remove repeated runs and running headers/footers, rejoin broken words and wrapped
    lines, per page; then split words glued at line breaks, document-wide."""
    repairs = repairs if repairs is not None else Repairs()
    pages, width, vocab = _clean_each(pages, repairs)
    return deglue(_join_across_pages(pages, width, vocab), repairs)


def _clean_each(pages: list[list[str]], repairs: Repairs
                ) -> tuple[list[list[str]], float | None, frozenset[str]]:
    """The per-page part of `clean_pdf_pages`, with the text width and vocabulary it used."""
    pages = [dedupe_runs(lines, repairs) for lines in pages]
    pages = _strip_running_lines(pages)  # "" lines stay: they mark paragraph gaps
    vocab = vocabulary(line for lines in pages for line in lines)
    width = typical_width([line for lines in pages for line in lines])
    cleaned = []
    for lines in pages:
        lines = rejoin_single_words(lines, repairs)
        lines = merge_bullets(dehyphenate(lines, vocab))
        cleaned.append(reflow(lines, width, soft_gaps=True))
    return cleaned, width, vocab


def _join_across_pages(pages: list[list[str]], width: float | None,
                       vocab: frozenset[str]) -> list[list[str]]:
    """Move the end of a sentence broken by a page break to the page the sentence started on.

    So a sentence (or word: "marke-" / "ting") broken by a page break stays whole, cited at
    the page where it starts. Only that sentence moves: the rest of its paragraph stays on
    its own page, so each later sentence is cited at its own page. A continuation without a
    sentence end moves whole, and the next page's continuation follows it.
    """
    previous: list[str] | None = None
    for lines in pages:
        if previous and lines:
            head, tail = _first_sentence(previous[-1], lines[0])
            joined = dehyphenate([previous[-1], head], vocab)
            if len(joined) == 1:
                previous[-1] = joined[0]
                _keep_tail(lines, tail)
            elif continues(previous[-1], lines[0], width):
                previous[-1] = f"{previous[-1]} {head}"
                _keep_tail(lines, tail)
        if lines:
            previous = lines
    return pages


def _first_sentence(previous: str, line: str) -> tuple[str, str]:
    """Split `line`, which continues `previous`, after the end of the clause it continues: its
    first sentence, or all of it after a short list item (the segmenter keeps those whole)."""
    if _BULLET_LINE.match(previous) and len(previous) + len(line) < _SHORT_ITEM:
        return line, ""
    spans = split_sentences(line)
    if len(spans) < 2:
        return line, ""
    return line[:spans[0][1]], line[spans[1][0]:]


def _keep_tail(lines: list[str], tail: str) -> None:
    """The first line has moved up to `tail`: keep the tail, or drop the line."""
    if tail:
        lines[0] = tail
    else:
        lines.pop(0)


_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|seite|página|pagina|pag\.)\s*[|:]?\s*)?[-–—(\[]?\s*"
    r"(?:\d{1,4}|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))\s*[-–—)\]]?"  # 1–9999 or i–xxxix
    r"(?:\s*(?:of|/|von|de|sur|di)\s*\d{1,4})?"
    r"(?:\s*\|\s*(?:page|seite|página|pagina))?$", re.I)  # "1 | Page" (Word footers)
_EDGE = 3  # lines at the top and the bottom of a page that may be header or footer


def _edge_key(line: str) -> str:
    """Compare header/footer lines ignoring case and digits ("Page 3 of 9" ~ "Page 4 of 9")."""
    return re.sub(r"\d+", "#", line.lower())


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers and footers and page numbers from the edges of each page.

    A line is running if, digits ignored, it stands within three lines of the top or
    bottom of at least 40 % of the pages (two at least; 80 % for a single word, since
    one-word-per-line pages put common words at every edge). Bare page numbers and
    "Page N of M" within two lines of an edge go on any page.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        text_lines = [line for line in lines if line]
        counts.update({_edge_key(line) for line in text_lines[:_EDGE] + text_lines[-_EDGE:]})
    n = len(pages)
    running = {key for key, count in counts.items()
               if n >= 2 and count >= max(2, math.ceil((0.8 if " " not in key else 0.4) * n))
               and not MARKER_ONLY.match(key.replace("#", "1"))}  # keep clause numbers
    out = []
    for lines in pages:
        filled = [i for i, line in enumerate(lines) if line]
        edge, near = set(filled[:_EDGE] + filled[-_EDGE:]), set(filled[:2] + filled[-2:])
        out.append([line for i, line in enumerate(lines)
                    if not (i in edge and _edge_key(line) in running)
                    and not (i in near and _PAGE_NUMBER.match(line))])
    return out
