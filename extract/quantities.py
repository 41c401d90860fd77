"""Parse ages ("under the age of 16", "under thirteen") and durations ("30 days", "seven years")."""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Duration", "find_ages", "find_durations", "word_to_int"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUM_WORD = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ]"
             r"(?:one|two|three|four|five|six|seven|eight|nine)|" + "|".join(
                 sorted(_UNITS, key=len, reverse=True)) + r"|a|an|several|\d{1,4})")
_NUMBER = rf"(?P<num>{_NUM_WORD})\b(?:\s*\(\s*\d{{1,4}}\s*\))?"


def word_to_int(token: str) -> int | None:
    """Return the integer a numeral or number word stands for ("thirteen" → 13), else None."""
    t = token.strip().lower()
    if t.isdigit():
        return int(t)
    if t in ("a", "an"):
        return 1
    if t in _UNITS:
        return _UNITS[t]
    parts = re.split(r"[- ]", t)
    if len(parts) == 2 and parts[0] in _UNITS and parts[1] in _UNITS:
        return _UNITS[parts[0]] + _UNITS[parts[1]]
    return None


# --------------------------------------------------------------------------- ages
_AGE_PATTERNS = [
    # under / below / younger than (the age of) 16 | under 16 years of age
    rf"\b(?:under|below|younger than|less than)\s+(?:the\s+)?(?:age\s+of\s+|aged?\s+)?{_NUMBER}"
    r"(?!\s*(?:%|percent|days?|months?|weeks?|hours?|minutes?))",
    # at least 16 (years old) | 16 years of age or older | aged 13 and over | age 13 and over
    rf"\b(?:at least|minimum age of|over the age of|older than)\s+(?:the\s+age\s+of\s+)?{_NUMBER}",
    rf"\b{_NUMBER}\s+(?:years?\s+(?:of\s+age|old)|or\s+older|and\s+(?:over|older|above)|\+)",
    rf"\bage[ds]?\s+(?:of\s+)?{_NUMBER}\s+(?:or|and)\s+(?:over|older|above)",
    # "… 16 in the EEA, or 13 in the United States", "(for example, 13 in the US …)"
    rf"\b{_NUMBER}\s+in\s+(?:the\s+)?(?:U\.?S\.?A?|United|EEA|EU|UK|European|Ireland|"
    r"Canada|India|Australia|Brazil|California|rest of)\b",
]
_AGE_RES = [re.compile(p, re.IGNORECASE) for p in _AGE_PATTERNS]
# "children 12 and under", "aged 12 or younger": the age named is the last one refused, so the
# minimum age is one more (13).
_AGE_UPTO_PATTERNS = [
    rf"\b{_NUMBER}\s+(?:years?\s+(?:of\s+age|old)\s+)?(?:or|and)\s+(?:younger|under|below)\b",
]
_AGE_UPTO_RES = [re.compile(p, re.IGNORECASE) for p in _AGE_UPTO_PATTERNS]


def find_ages(text: str) -> list[tuple[int, int, int]]:
    """Return (age, start, end) for every plausible age (1–21) stated in `text`."""
    found: dict[int, tuple[int, int, int]] = {}
    for rx, plus in [(r, 1) for r in _AGE_UPTO_RES] + [(r, 0) for r in _AGE_RES]:
        for m in rx.finditer(text):
            n = word_to_int(m.group("num"))
            if n is None or not 1 <= n + plus <= 21 or m.group("num").lower() in ("a", "an"):
                continue
            found.setdefault(m.start("num"), (n + plus, m.start("num"), m.end("num")))
    return sorted(found.values(), key=lambda t: t[1])


# --------------------------------------------------------------------------- durations
@dataclass(frozen=True)
class Duration:
    """A duration as written, with its value in days for comparison."""

    text: str
    amount: float
    unit: str
    start: int
    end: int

    @property
    def days(self) -> float:
        per = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7,
               "month": 30, "year": 365}
        return self.amount * per[self.unit]


_DURATION = re.compile(
    rf"\b{_NUMBER}\s*(?:-\s*)?(?:(?:business|working|calendar)\s+)?"
    r"(?P<unit>seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?)\b",
    re.IGNORECASE,
)
_UNIT_NAMES = {"sec": "second", "min": "minute", "hr": "hour", "yr": "year"}


def find_durations(text: str) -> list[Duration]:
    """Return every duration ("30 days", "seven (7) years", "90-day") found in `text`."""
    out = []
    for m in _DURATION.finditer(text):
        num = m.group("num").lower()
        if num in ("a", "an", "several"):
            amount = 1.0 if num != "several" else 3.0
        else:
            v = word_to_int(num)
            if v is None:
                continue
            amount = float(v)
        unit = m.group("unit").lower().rstrip("s")
        unit = _UNIT_NAMES.get(unit, unit)
        out.append(Duration(m.group(0), amount, unit, m.start(), m.end()))
    return out
