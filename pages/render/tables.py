"""Tables: the score table as a DataFrame (pandas is imported on first use: it costs ~0.6 s,
and only tables need it, after the matrix has painted)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from extract.model import PolicyRecord
from extract.score import Rubric

from .cells import review_count, scores_of
from .palette import REVIEW_MARK

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["score_frame"]


def score_frame(records: Sequence[PolicyRecord], rubric: Rubric) -> "pd.DataFrame":
    """One row per vendor: area scores, overall, grade and ⚠ count, best first."""
    rows = []
    for r in records:
        s = scores_of(r, rubric)
        rows.append({"Vendor": r.vendor, "Grade": s.grade, "Overall": s.overall,
                     "Rights": s.rights, "Retention": s.retention, "Security": s.security,
                     "Children": s.children, f"{REVIEW_MARK} to review": review_count(r, rubric)})
    import pandas as pd

    df = pd.DataFrame(rows, columns=["Vendor", "Grade", "Overall", "Rights", "Retention",
                                     "Security", "Children", f"{REVIEW_MARK} to review"])
    return df.sort_values(["Overall", "Vendor"], ascending=[False, True], ignore_index=True)
