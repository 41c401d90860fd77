"""What changed between two versions of a vendor's policy: facts gained, lost and changed."""
from __future__ import annotations

from typing import Mapping

from .model import Fact, FactDiff
from .taxonomy import fact_ids
from .terms import is_stated  # re-exported: "stated" is defined once, in extract.terms

__all__ = ["is_stated", "diff_facts"]


def diff_facts(old: Mapping[str, Fact], new: Mapping[str, Fact]) -> list[FactDiff]:
    """Facts gained (stated only in `new`), lost (only in `old`) and changed (stated in both
    with different values), in taxonomy order. Unchanged facts are left out."""
    out = []
    for fid in fact_ids():
        a, b = old.get(fid), new.get(fid)
        if is_stated(a) and is_stated(b):
            if a.value != b.value:
                out.append(FactDiff(fid, "changed", a, b))
        elif is_stated(b):
            out.append(FactDiff(fid, "gained", a, b))
        elif is_stated(a):
            out.append(FactDiff(fid, "lost", a, b))
    return out
