"""Score facts into four areas (0–100), an overall score and a grade A–E.

The rubric is plain on purpose so a reviewer can check it by hand; `RUBRIC_TEXT` explains it in
the app. Weights and the required children's age are the reviewer's choice (`Rubric`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .model import Fact, Scores
from .taxonomy import SCORED_AREAS, facts_in_area

__all__ = ["Rubric", "JURISDICTIONS", "DEFAULT_WEIGHTS", "GRADE_BANDS", "score", "grade",
           "area_score", "children_points", "RUBRIC_TEXT"]

JURISDICTIONS: dict[str, int] = {
    "GDPR (EU default, Art. 8)": 16,
    "COPPA (United States)": 13,
    "UK (Age Appropriate Design Code)": 13,
    "India (DPDP Act 2023)": 18,
}
DEFAULT_WEIGHTS: dict[str, float] = {"rights": 30.0, "retention": 20.0, "security": 30.0,
                                     "children": 20.0}
GRADE_BANDS = (("A", 80.0), ("B", 65.0), ("C", 50.0), ("D", 35.0), ("E", 0.0))
RETENTION_POINTS = {"specific": 100.0, "vague": 50.0, "none": 0.0}
# Children: 50 for an age at or above the required one (20 if an age is stated but lower),
# 25 for parental consent, 25 for a commitment to delete children's data.
AGE_MEETS, AGE_BELOW, CONSENT_POINTS, DELETION_POINTS = 50.0, 20.0, 25.0, 25.0


@dataclass(frozen=True)
class Rubric:
    """The reviewer's choices: the required minimum age and the area weights."""

    required_age: int = 16
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def normalised_weights(self) -> dict[str, float]:
        w = {a: max(0.0, float(self.weights.get(a, 0.0))) for a in SCORED_AREAS}
        total = sum(w.values())
        if total <= 0:
            return {a: 1 / len(SCORED_AREAS) for a in SCORED_AREAS}
        return {a: v / total for a, v in w.items()}


def _value(facts: Mapping[str, Fact | object], fid: str):
    f = facts.get(fid)
    return getattr(f, "value", f)


def area_score(facts: Mapping[str, Fact], area: str, rubric: Rubric | None = None) -> float:
    """Return one area's score 0–100 from facts (values may be `Fact`s or plain values)."""
    rubric = rubric or Rubric()
    if area == "retention":
        return RETENTION_POINTS.get(str(_value(facts, "retention.level") or "none"), 0.0)
    if area == "children":
        return children_points(facts, rubric.required_age)
    specs = [s for s in facts_in_area(area) if s.is_bool]
    if not specs:
        return 0.0
    return round(100.0 * sum(bool(_value(facts, s.id)) for s in specs) / len(specs), 1)


def children_points(facts: Mapping[str, Fact], required_age: int) -> float:
    """Children score: stated age vs the required age, plus parental consent and deletion."""
    age = _value(facts, "children.min_age")
    pts = 0.0
    if isinstance(age, int) and not isinstance(age, bool):
        pts += AGE_MEETS if age >= required_age else AGE_BELOW
    pts += CONSENT_POINTS if _value(facts, "children.parental_consent") else 0.0
    pts += DELETION_POINTS if _value(facts, "children.deletion") else 0.0
    return pts


def grade(overall: float) -> str:
    """Map an overall score to a grade A–E."""
    return next(g for g, floor in GRADE_BANDS if overall >= floor)


def score(facts: Mapping[str, Fact], rubric: Rubric | None = None) -> Scores:
    """Return the four area scores, the weighted overall score and the grade."""
    rubric = rubric or Rubric()
    areas = {a: area_score(facts, a, rubric) for a in SCORED_AREAS}
    w = rubric.normalised_weights()
    overall = round(sum(areas[a] * w[a] for a in SCORED_AREAS), 1)
    return Scores(areas["rights"], areas["retention"], areas["security"], areas["children"],
                  overall, grade(overall))


RUBRIC_TEXT = f"""
**Rights (0–100)** — share of the 10 data-subject rights the policy grants
(access, rectification, erasure, portability, restriction, objection, withdrawing consent,
opting out of marketing, complaining, contesting automated decisions). 7 of 10 → 70.

**Retention (0–100)** — a concrete period ("deleted within 30 days") → 100; only a principle
("as long as necessary") → 50; retention not addressed → 0.

**Security (0–100)** — share of the 9 stated controls (encryption, in transit, at rest, access
control, audits, certification, breach notification, multi-factor sign-in, backups). Comfort
words such as "industry-standard measures" earn nothing.

**Children (0–100)** — {AGE_MEETS:.0f} points when the policy's minimum age is at or above the age
your jurisdiction requires ({AGE_BELOW:.0f} when an age is stated but lower; 0 when none is named),
{CONSENT_POINTS:.0f} for parental consent, {DELETION_POINTS:.0f} for deleting children's data.

**Overall** — the weighted mean of the four areas (default weights: rights 30, retention 20,
security 30, children 20). **Grade**: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E below.

A fact counts only when the policy states it, with the sentence shown as evidence; silence scores
nothing. Sharing facts (no sale, international transfers, privacy contact) are shown but not scored.
"""
