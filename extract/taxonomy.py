"""Load the fact taxonomy (`facts.toml`): the one table behind extractor, scorer, CSV and UI."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

__all__ = ["FactSpec", "taxonomy", "fact_ids", "facts_in_area", "fold", "AREAS", "SCORED_AREAS",
           "TAXONOMY_VERSION"]

_PATH = Path(__file__).with_name("facts.toml")
SCORED_AREAS = ("rights", "retention", "security", "children")
AREAS = SCORED_AREAS + ("sharing",)


@dataclass(frozen=True)
class FactSpec:
    """One row of the taxonomy table."""

    id: str
    area: str
    kind: str  # bool | level | periods | age
    label: str
    description: str
    negation: str
    patterns: tuple[re.Pattern, ...]
    exclude: tuple[re.Pattern, ...]
    examples: tuple[str, ...]
    counter: tuple[str, ...]
    context: re.Pattern | None = None  # clause, previous clause or heading must match
    veto: tuple[re.Pattern, ...] = ()  # any clause of the policy matching it makes the fact false
    # A section heading that names the fact ("Right to erasure"): under it, a clause matching
    # one of `in_section` is a candidate too ("You can ask us to delete it").
    heading: re.Pattern | None = None
    in_section: tuple[re.Pattern, ...] = ()

    @property
    def is_bool(self) -> bool:
        return self.kind == "bool"

    @cached_property
    def any_pattern(self) -> re.Pattern | None:
        """All `patterns` as one alternation: matches exactly when one of them does. One search
        instead of one per pattern rejects the ~85 % of clauses that are no candidate."""
        if not self.patterns:
            return None
        return re.compile("|".join(f"(?:{p.pattern})" for p in self.patterns),
                          re.IGNORECASE | re.MULTILINE)

    @cached_property
    def required(self) -> frozenset[str] | None:
        """Strings of which every match of any pattern contains one, in `fold()`ed text ("sell",
        "delet", "encrypt", …); None when the patterns allow no such list. Checking them with
        `in` costs a fraction of one regex search, so the search runs only where one occurs.
        Derived from the patterns themselves, never written by hand: a new pattern cannot be
        forgotten here."""
        if not self.patterns:
            return None
        found: set[str] = set()
        for p in self.patterns:
            req = _required(p.pattern, p.flags)
            if req is None:
                return None
            found |= req
        return frozenset(found)

    def may_match(self, folded: str) -> bool:
        """False only when no pattern can match the text whose `fold()` is `folded`."""
        req = self.required
        # map over the bound method: no generator frame per string (this runs ~8,000 times a
        # policy)
        return req is None or any(map(folded.__contains__, req))


# Case-insensitive `re` matches these non-ASCII characters to ASCII letters (its case folding);
# `fold()` maps them so, and an ASCII letter to its lower case. Nothing else changes, so a
# pattern's ASCII literal occurs in the folded text wherever the pattern can match. A test
# checks this table against `re` itself over all of Unicode.
_FOLD = {**{c: c + 32 for c in range(ord("A"), ord("Z") + 1)},
         0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


@lru_cache(maxsize=4096)  # each clause is looked up once per fact
def fold(text: str) -> str:
    """The text as `FactSpec.required` strings are looked up in (same length as the text)."""
    return text.translate(_FOLD)


def _required(pattern: str, flags: int) -> set[str] | None:
    """Strings (ASCII, lower case) of which every match of `pattern` contains at least one, or
    None. Conservative: what it cannot prove required (a group that may be skipped, a
    look-around, a non-ASCII literal) simply adds no string."""
    try:
        from re import _constants as C, _parser as P  # the parser `re` itself uses

        return _seq_required(P.parse(pattern, flags), C)
    except Exception:  # noqa: BLE001 - another Python's parser: no screen, same results
        return None


# Words in nearly every clause of a privacy policy: as a required string they screen nothing.
_COMMON = frozenset("a an and any are as at be by can data for from have in information is it "
                    "may of on or our personal such that the their this to us we will with you "
                    "your".split())


def _selectivity(strings: set[str]) -> tuple[int, int]:
    """Larger is more selective: the shortest string (a common word counts as empty), then
    fewer strings."""
    return min(0 if s.strip() in _COMMON else len(s) for s in strings), -len(strings)


def _seq_required(items, C) -> set[str] | None:
    """A sequence must contain every item, so any one item's strings will do: keep the most
    selective."""
    best: set[str] | None = None
    run: list[str] = []

    def keep(cand: set[str] | None) -> None:
        nonlocal best
        if cand and (best is None or _selectivity(cand) > _selectivity(best)):
            best = cand

    def flush() -> None:
        if run:
            keep({"".join(run)})
            run.clear()

    for op, av in items:
        if op is C.LITERAL and av < 128:
            run.append(chr(av).lower())
        elif op is C.AT:  # \b, ^, $: zero width, the literals around them stay adjacent
            continue
        else:
            flush()
            if op is C.SUBPATTERN:
                keep(_seq_required(av[-1], C))
            elif op is C.BRANCH:
                alts = [_seq_required(a, C) for a in av[1]]
                keep(None if any(a is None for a in alts) else set().union(*alts))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)) \
                    and av[0] >= 1:
                keep(_seq_required(av[2], C))
            # anything else (classes, optional parts, look-arounds) requires nothing we know
    flush()
    return best


def _compile(patterns: list[str]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in patterns)


@lru_cache(maxsize=1)
def _load() -> tuple[str, tuple[FactSpec, ...]]:
    raw = tomllib.loads(_PATH.read_text(encoding="utf-8"))
    specs = []
    for f in raw["fact"]:
        if f["area"] not in AREAS:
            raise ValueError(f"facts.toml: unknown area {f['area']!r} for {f['id']}")
        specs.append(FactSpec(
            id=f["id"], area=f["area"], kind=f["kind"], label=f["label"],
            description=f["description"], negation=f.get("negation", "block"),
            patterns=_compile(f.get("patterns", [])), exclude=_compile(f.get("exclude", [])),
            examples=tuple(f.get("examples", [])), counter=tuple(f.get("counter", [])),
            context=_compile([f["context"]])[0] if f.get("context") else None,
            veto=_compile(f.get("veto", [])),
            heading=_compile([f["heading"]])[0] if f.get("heading") else None,
            in_section=_compile(f.get("in_section", [])),
        ))
    return str(raw["version"]), tuple(specs)


def taxonomy() -> tuple[FactSpec, ...]:
    """Return every fact, in the order of the table."""
    return _load()[1]


TAXONOMY_VERSION = _load()[0]


def fact_ids() -> list[str]:
    """Return the public fact IDs in table order (CSV column order)."""
    return [f.id for f in taxonomy()]


def facts_in_area(area: str) -> list[FactSpec]:
    """Return the facts of one area."""
    return [f for f in taxonomy() if f.area == area]
