"""Words the product uses about facts, defined once: whether a fact is stated, what an area is
called. The diff, the reports, the upload summary and the pages all use these."""
from __future__ import annotations

from .model import Fact

__all__ = ["is_stated", "count_stated", "AREA_TITLES"]

# Titles of the taxonomy's areas (`taxonomy.AREAS`): matrix rows, sheets, report headings.
AREA_TITLES = {"rights": "Rights", "retention": "Retention", "security": "Security",
               "children": "Children", "sharing": "Sharing"}

_SILENT = (None, False, "", "none")


def is_stated(fact: Fact | None) -> bool:
    """True when the policy states the fact: a yes, an age, a period, a retention level."""
    return fact is not None and fact.value not in _SILENT


def count_stated(facts) -> int:
    """How many of `facts` (an iterable of `Fact`s) are stated."""
    return sum(1 for f in facts if is_stated(f))
