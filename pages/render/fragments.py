"""HTML fragments: the shared style sheet, value badges, highlighted evidence, one fact, the
legend. Built only from escaped pieces (`escape(..., "html")`) and our own tags."""
from __future__ import annotations

import re
from typing import Iterable

from extract.score import Rubric
from extract.taxonomy import FactSpec

from .cells import Cell, quote_text, value_words
from .escape import escape
from .palette import (CELL_COLOURS, CELL_MEANING, CELL_TEXT_COLOURS, NOT_STATED, PARTIAL,
                      REVIEW_MARK, REVIEWED_MARK, STATED)

__all__ = ["css_block", "badge", "highlight", "evidence_html", "fact_html", "legend_html"]

_CSS = """
<style>
.pp-badge{display:inline-block;padding:.05rem .5rem;border-radius:.6rem;font-size:.85rem;
  font-weight:600;white-space:nowrap;border:1px solid rgba(0,0,0,.15)}
.pp-fact{padding:.45rem 0;border-bottom:1px solid rgba(128,128,128,.25)}
.pp-head{display:flex;flex-wrap:wrap;gap:.4rem .6rem;align-items:baseline}
.pp-label{font-weight:600}
.pp-meta{color:#555;font-size:.85rem}
.pp-desc{color:#555;font-size:.85rem;margin:.1rem 0 .2rem}
.pp-quote{margin:.3rem 0 .1rem 0;padding:.25rem .7rem;border-left:3px solid #0072B2;
  background:rgba(0,114,178,.06);overflow-wrap:anywhere}
.pp-quote mark{background:#F0E442;color:#111;padding:0 .1rem}
.pp-where{color:#555;font-size:.8rem}
.pp-ocr{display:inline-block;margin-left:.4rem;padding:0 .35rem;border-radius:.3rem;
  border:1px solid #8a5a00;color:#8a5a00;font-size:.7rem;font-weight:600;cursor:help}
.pp-legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center;font-size:.9rem}
.pp-swatch{display:inline-block;width:1.1rem;height:1.1rem;border-radius:.2rem;
  vertical-align:middle;margin-right:.35rem;border:1px solid rgba(0,0,0,.2)}
.pp-table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:.9rem}
.pp-table th,.pp-table td{border-bottom:1px solid rgba(128,128,128,.3);padding:.4rem;
  vertical-align:top;text-align:left;overflow-wrap:anywhere}
.pp-table th:first-child,.pp-table td:first-child{width:24%}
.pp-table tr.pp-diff td{background:rgba(230,159,0,.12)}
.pp-table tr.pp-diff td:first-child{border-left:4px solid #E69F00}
.pp-review{color:#8a5a00;font-size:.85rem}
.pp-reviewed{color:#0072B2;font-weight:600;font-size:.85rem}
.pp-override{border-left:4px solid #0072B2;padding:.2rem .6rem;margin:.2rem 0 .6rem;
  font-size:.85rem;background:rgba(0,114,178,.06)}
.pp-mwrap{overflow-x:auto;max-width:100%}
table.pp-matrix{border-collapse:separate;border-spacing:2px;font-size:.8rem;margin:0}
.pp-matrix td{padding:.2rem .35rem;text-align:center;white-space:nowrap;border-radius:.15rem;
  min-width:3.2rem;cursor:help}
.pp-matrix th{font-weight:600;text-align:left;white-space:nowrap;padding:.2rem .35rem}
.pp-matrix th.pp-mv{text-align:center;white-space:normal;min-width:4rem;max-width:6.5rem;
  overflow-wrap:anywhere;vertical-align:bottom;line-height:1.2}
.pp-matrix th.pp-mf{position:sticky;left:0;background:#FFFFFF;z-index:1;max-width:14rem;
  overflow:hidden;text-overflow:ellipsis}
.pp-matrix tr.pp-marea th{padding-top:.6rem;color:#333;letter-spacing:.03em}
/* Fragments are drawn by st.markdown, whose own table style (cell borders, zebra rows)
   must not leak into ours. */
.pp-matrix,.pp-matrix tr,.pp-matrix th,.pp-matrix td,.pp-table,.pp-table tr{border:none;
  background-color:transparent}
.pp-table th,.pp-table td{border:none;border-bottom:1px solid rgba(128,128,128,.3)}
</style>
"""


def css_block() -> str:
    """The shared style sheet, prepended to each HTML fragment (styles are page-global)."""
    return _CSS


def badge(c: Cell) -> str:
    """A value pill: colour AND text (colour is never the only signal)."""
    bg, fg = CELL_COLOURS[c.level], CELL_TEXT_COLOURS[c.level]
    return (f'<span class="pp-badge" style="background:{bg};color:{fg}">'
            f"{escape(c.text, 'html')}</span>")


def highlight(text: str, spec: FactSpec | None, extra: Iterable[str] = ()) -> str:
    """Escaped quote with the phrases that matched the fact's patterns wrapped in <mark>.

    Every fragment is passed through `escape(..., "html")`; only our own <mark> tags are added.
    """
    spans: list[tuple[int, int]] = []
    for pat in (spec.patterns if spec else ()):
        spans += [m.span() for m in pat.finditer(text) if m.end() > m.start()]
    for word in extra:
        if word:
            spans += [m.span() for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    merged: list[list[int]] = []
    for a, b in sorted(_whole_words(text, a, b) for a, b in spans):
        # Touching phrases ("Access" + ": " + "Request access…") read better as one mark.
        if merged and (a <= merged[-1][1] or (a - merged[-1][1] <= 3
                                               and not text[merged[-1][1]:a].strip(" :,-–"))):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(escape(text[pos:a], "html"))
        out.append(f"<mark>{escape(text[a:b], 'html')}</mark>")
        pos = b
    out.append(escape(text[pos:], "html"))
    return "".join(out)


def _whole_words(text: str, a: int, b: int) -> tuple[int, int]:
    """Grow a match to whole words ("Portab" → "Portability") and drop edge punctuation."""
    while a > 0 and text[a - 1].isalnum() and text[a].isalnum():
        a -= 1
    while b < len(text) and text[b].isalnum() and text[b - 1].isalnum():
        b += 1
    while a < b and not text[a].isalnum():
        a += 1
    while b > a and not text[b - 1].isalnum():
        b -= 1
    return a, b


def evidence_html(c: Cell, spec: FactSpec | None, value_words: Iterable[str] = ()) -> str:
    """Every evidence quote of a fact, with page and section, keywords highlighted; a quote
    read by OCR from a scanned page carries an "OCR" badge with the page's word confidence."""
    parts = []
    for e in c.evidence:
        where = f"page {e.page}" + (f" · section “{escape(e.section, 'html')}”"
                                    if e.section else "") + _ocr_badge(e)
        parts.append(f'<div class="pp-quote">“{highlight(quote_text(e.text), spec, value_words)}”'
                     f'<div class="pp-where">{where}</div></div>')
    return "".join(parts)


def _ocr_badge(e) -> str:
    """The "OCR" badge of a quote read by OCR (nothing for a text-layer quote)."""
    confidence = getattr(e, "ocr_confidence", None)
    if confidence is None:
        return ""
    tip = (f"Read by OCR from a scanned page (mean word confidence {float(confidence):.0%}): "
           "check the wording against the document.")
    return f'<span class="pp-ocr" title="{escape(tip, "html")}">OCR</span>'


def fact_html(spec: FactSpec, c: Cell, show_description: bool = True) -> str:
    """One fact: label, value badge, confidence, ⚠ and the evidence quotes."""
    # For "not stated" the stored confidence is that of the absence; showing it beside the
    # badge reads as confidence in a claim, so it is left out (the ⚠ note covers doubt).
    conf = (f'<span class="pp-meta">confidence {c.confidence:.2f}</span>'
            if c.confidence is not None and c.level != NOT_STATED else "")
    review = (f'<span class="pp-review">{REVIEW_MARK} needs review: {escape(c.note, "html")}'
              "</span>" if c.review else "")
    desc = (f'<div class="pp-desc">{escape(spec.description, "html")}</div>'
            if show_description else "")
    return (f'<div class="pp-fact"><div class="pp-head"><span class="pp-label">'
            f"{escape(spec.label, 'html')}</span>{badge(c)}{conf}{review}"
            + (f'<span class="pp-reviewed">{REVIEWED_MARK} reviewed</span>' if c.reviewed else "")
            + f"</div>{desc}"
            f"{evidence_html(c, spec, value_words(spec, c))}</div>")


def legend_html(rubric: Rubric, jurisdiction: str) -> str:
    """Colour legend for the matrix and the badges; `jurisdiction` names the rubric's."""
    items = "".join(
        f'<span><span class="pp-swatch" style="background:{CELL_COLOURS[k]}"></span>'
        f"{escape(CELL_MEANING[k], 'html')}</span>" for k in (STATED, PARTIAL, NOT_STATED))
    return (f'{css_block()}<div class="pp-legend">{items}<span>{REVIEW_MARK} needs review '
            "(low confidence, or a “yes” without a quote)</span>"
            f"<span>Minimum age is compared with {rubric.required_age} "
            f"({escape(jurisdiction, 'html')}).</span></div>")
