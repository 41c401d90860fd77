"""The rubric: area scores, weights, jurisdictions and grades."""
import pytest

from extract.score import JURISDICTIONS, Rubric, area_score, grade, score
from extract.taxonomy import facts_in_area

ALL_RIGHTS = {s.id: True for s in facts_in_area("rights")}


def test_rights_score_is_share_of_rights_granted():
    assert area_score(ALL_RIGHTS, "rights") == 100
    some = {"rights.access": True, "rights.erasure": True}
    assert area_score(some, "rights") == 20


@pytest.mark.parametrize("level, pts", [("specific", 100), ("vague", 50), ("none", 0)])
def test_retention_levels(level, pts):
    assert area_score({"retention.level": level}, "retention") == pts


def test_children_score_depends_on_the_jurisdiction():
    facts = {"children.min_age": 16, "children.parental_consent": True}
    gdpr = score(facts, Rubric(required_age=JURISDICTIONS["GDPR (EU default, Art. 8)"]))
    india = score(facts, Rubric(required_age=JURISDICTIONS["India (DPDP Act 2023)"]))
    assert gdpr.children == 75 and india.children == 45
    assert score({}, Rubric()).children == 0


def test_weights_change_overall_and_grade():
    facts = dict(ALL_RIGHTS, **{"retention.level": "none"})
    only_rights = score(facts, Rubric(weights={"rights": 1, "retention": 0, "security": 0,
                                               "children": 0}))
    assert only_rights.overall == 100 and only_rights.grade == "A"
    default = score(facts)
    assert default.overall == 30 and default.grade == "E"


def test_grade_bands():
    assert [grade(x) for x in (95, 80, 79.9, 65, 50, 35, 34.9, 0)] == list("AABBCDEE")
