"""Facts as the UI shows them: one `Cell` per fact and vendor, labels, ranking and paging."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from extract.export import needs_review
from extract.model import Fact, PolicyRecord, Scores
from extract.score import GRADE_BANDS, Rubric, score
from extract.taxonomy import AREAS, FactSpec, taxonomy

from .palette import NOT_STATED, PARTIAL, REVIEW_MARK, REVIEWED_MARK, STATED

__all__ = ["Cell", "cell", "cell_label", "value_text", "value_words", "quote_text",
           "specs_by_area", "scores_of", "review_count", "ranked", "page_slices",
           "MATRIX_PAGE_SIZE", "grade_help"]

MATRIX_PAGE_SIZE = 20  # vendors per matrix page: beyond that a grid stops being readable
_BULLET = re.compile(r"^\s*(?:[-–—•*·▪◦]|\(?[0-9a-z]{1,3}[.)])\s+")


def specs_by_area(areas: Iterable[str] = AREAS) -> dict[str, list[FactSpec]]:
    """Taxonomy facts grouped by area, in table order (areas in the given order)."""
    wanted = list(areas)
    return {a: [s for s in taxonomy() if s.area == a] for a in wanted}


@dataclass(frozen=True)
class Cell:
    """One fact of one vendor as the UI shows it."""

    text: str        # short value text: "yes", "not stated", "vague", "16", "30 days"
    level: int       # STATED / PARTIAL / NOT_STATED
    review: bool     # show ⚠
    confidence: float | None
    evidence: tuple  # Evidence objects
    note: str = ""   # why it needs review, in words
    reviewed: bool = False  # the value is a reviewer's override


def cell(spec: FactSpec, fact: Fact | None, rubric: Rubric) -> Cell:
    """Turn a stored fact into what the UI shows: honest "not stated" instead of "no"."""
    if fact is None:
        return Cell("not stated", NOT_STATED, False, None, ())
    v, ev = fact.value, tuple(fact.evidence)
    if spec.kind == "bool":
        text, level = ("yes", STATED) if v is True else ("not stated", NOT_STATED)
    elif spec.kind == "level":
        text = str(v or "none")
        level = {"specific": STATED, "vague": PARTIAL}.get(text, NOT_STATED)
        text = "not stated" if level == NOT_STATED else text
    elif spec.kind == "age":
        if isinstance(v, int) and not isinstance(v, bool):
            text, level = str(v), (STATED if v >= rubric.required_age else PARTIAL)
        else:
            text, level = "not stated", NOT_STATED
    else:  # free text such as retention periods ("30 days; 7 years"): informational
        text = str(v).strip() if v not in (None, False, "") else ""
        text, level = (text, STATED) if text else ("not stated", NOT_STATED)
    note = ""
    if level != NOT_STATED and not ev:
        note = "stated without a quoted sentence; check the document"
    elif needs_review(fact):
        note = ("low confidence; check the quote" if level != NOT_STATED
                else "a sentence came close; the policy may say it in other words")
    if getattr(fact, "reviewed", False):  # a reviewer decided it: nothing left to check
        return Cell(text, level, False, float(fact.confidence), ev, "", True)
    return Cell(text, level, bool(note), float(fact.confidence), ev, note)


def cell_label(c: Cell, short: bool = False) -> str:
    """Cell text with the review mark; `short` abbreviates "not stated" for dense grids."""
    text = "—" if short and c.level == NOT_STATED else c.text
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if len(parts) > 1:  # a list of periods: the first one and how many more
        text = f"{parts[0]}…" if short else f"{parts[0]} +{len(parts) - 1}"
    limit = 9 if short else 14  # dense grids have narrow cells
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if c.reviewed:
        return f"{text} {REVIEWED_MARK}"
    return f"{text} {REVIEW_MARK}" if c.review else text


def value_text(spec: FactSpec, fact: Fact | None, rubric: Rubric) -> str:
    """A fact value as a reviewer reads it ("not stated" for silence)."""
    return cell(spec, fact, rubric).text


def value_words(spec: FactSpec, c: Cell) -> list[str]:
    """Words worth highlighting beyond the patterns: the age or the retention periods."""
    if spec.kind == "age" and c.level != NOT_STATED:
        return [c.text]
    if spec.kind == "periods" and c.level != NOT_STATED:
        return [p.strip() for p in c.text.split(";")]
    return []


def quote_text(text: str) -> str:
    """The quote as shown: the exact sentence, without a leading list bullet ("- ", "a) ")."""
    return _BULLET.sub("", text, count=1)


def scores_of(rec: PolicyRecord, rubric: Rubric) -> Scores:
    return score(rec.facts, rubric)


def review_count(rec: PolicyRecord, rubric: Rubric) -> int:
    return sum(cell(s, rec.facts.get(s.id), rubric).review for s in taxonomy())


def ranked(records: Sequence[PolicyRecord], rubric: Rubric) -> list[PolicyRecord]:
    """Records best first (overall score, then name): the order of every ranking and page."""
    return sorted(records, key=lambda r: (-scores_of(r, rubric).overall, r.vendor.lower()))


def page_slices(n: int, size: int = MATRIX_PAGE_SIZE) -> list[tuple[int, int]]:
    """(start, stop) of each page of `n` items."""
    return [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]


def grade_help() -> str:
    bands = [f"{g} ≥ {floor:.0f}" for g, floor in GRADE_BANDS if floor > 0]
    return "Grade from the overall score: " + ", ".join(bands) + f", {GRADE_BANDS[-1][0]} below"
