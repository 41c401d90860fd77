"""Load the fact taxonomy (`facts.toml`): the one table behind extractor, scorer, CSV and UI."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

__all__ = ["FactSpec", "taxonomy", "fact_ids", "facts_in_area", "AREAS", "SCORED_AREAS",
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
