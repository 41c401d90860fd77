"""Ages and durations as policies write them."""
import pytest

from extract.quantities import find_ages, find_durations, word_to_int


@pytest.mark.parametrize("text, age", [
    ("not intended for children under 18 years of age", 18),
    ("anyone under the age of 16", 16),
    ("individuals under thirteen", 13),
    ("under the age of thirteen (13)", 13),
    ("You must be at least 16 years old", 16),
    ("intended for users age 13 and over", 13),
    ("IF YOU ARE UNDER 13 YEARS OF AGE", 13),
    ("individuals younger than 18 years of age", 18),
])
def test_ages(text, age):
    assert [a for a, _, _ in find_ages(text)] == [age]


def test_several_ages_in_one_clause_are_all_found():
    ages = [a for a, _, _ in find_ages("under the age of 16 in the EEA, or 13 in the United States")]
    assert ages == [16, 13]


@pytest.mark.parametrize("text", ["under 50% of users", "under 2 minutes", "children's data"])
def test_no_age(text):
    assert find_ages(text) == []


@pytest.mark.parametrize("text, amount, unit", [
    ("deleted within 30 days", 30, "day"),
    ("kept for seven years", 7, "year"),
    ("refresh tokens (90 days)", 90, "day"),
    ("a 90-day window", 90, "day"),
    ("retained for 48 hours", 48, "hour"),
    ("one (1) year", 1, "year"),
    ("twenty-five years", 25, "year"),
])
def test_durations(text, amount, unit):
    (d,) = find_durations(text)
    assert (d.amount, d.unit) == (amount, unit)
    assert text[d.start:d.end] == d.text


def test_word_numbers():
    assert word_to_int("thirteen") == 13
    assert word_to_int("twenty-one") == 21
    assert word_to_int("lots") is None


@pytest.mark.parametrize("text, age", [
    ("children 12 and under", 13),
    ("kids aged 12 or younger", 13),
    ("anyone 15 years of age or younger", 16),
    ("users 17 years old and under", 18),
])
def test_an_age_named_with_or_younger_is_the_last_refused(text, age):
    assert [a for a, _, _ in find_ages(text)] == [age]
