"""Candidate recall of the pattern gates and the recall net on gold evidence (issue 13, part 1).

For every gold evidence quote of a true boolean fact: does a pattern candidate hold it, and does
a candidate of the product's full path (patterns, then the recall net for would-be "not stated"
facts) hold it? Also how many extra clauses the net made the extractor embed per policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ..classify import FactExtractor, find_candidates
from .gold import _evidence_clauses, _read_clauses

__all__ = ["RecallFigures", "candidate_recall", "format_candidate_recall"]


@dataclass
class RecallFigures:
    """Per fact: gold quotes, quotes held by a pattern candidate, by any candidate."""

    quotes: dict[str, int] = field(default_factory=dict)
    by_pattern: dict[str, int] = field(default_factory=dict)
    by_any: dict[str, int] = field(default_factory=dict)
    extra_embedded: dict[str, int] = field(default_factory=dict)  # per policy
    clauses: dict[str, int] = field(default_factory=dict)         # per policy, body clauses


def candidate_recall(gold: Mapping, files: Sequence[Path], cache,
                     scorer_for: Callable[[str], object]) -> RecallFigures:
    """Run each policy through `FactExtractor`'s candidate steps with `scorer_for(name)` (a
    scorer trained without it, for LOPO) and count what the candidates hold."""
    out = RecallFigures()
    for path in files:
        fx = FactExtractor(cache, scorer_for(path.name))
        _, clauses = _read_clauses(path)
        cands = {s.id: find_candidates(s, clauses) for s in fx.specs}
        pattern = {f: {c.clause.index for c in lst} for f, lst in cands.items()}
        vectors: dict = {}
        probs = fx._score_all(cands, vectors=vectors)
        n_pattern = len(vectors)
        fx._rescue(clauses, cands, probs, fx._net_scores(clauses), vectors)
        out.extra_embedded[path.name] = len(vectors) - n_pattern
        out.clauses[path.name] = sum(not c.is_heading for c in clauses)
        entry = gold[path.name]
        for spec in fx.specs:
            quote = entry.get("evidence", {}).get(spec.id, "")
            if not spec.is_bool or entry.get("values", {}).get(spec.id) is not True or not quote:
                continue
            held = {c.index for c in _evidence_clauses(quote, clauses)}
            if not held:
                continue
            out.quotes[spec.id] = out.quotes.get(spec.id, 0) + 1
            out.by_pattern[spec.id] = out.by_pattern.get(spec.id, 0) + bool(held & pattern[spec.id])
            out.by_any[spec.id] = out.by_any.get(spec.id, 0) + bool(
                held & {c.clause.index for c in cands[spec.id]})
    return out


def format_candidate_recall(r: RecallFigures) -> str:
    lines = ["\ncandidate recall on gold evidence quotes (patterns / patterns + recall net):",
             f"{'fact':32}{'quotes':>7}{'patterns':>10}{'+ net':>8}"]
    for f in sorted(r.quotes):
        lines.append(f"{f:32}{r.quotes[f]:7d}{r.by_pattern.get(f, 0):10d}{r.by_any.get(f, 0):8d}")
    q, p, a = sum(r.quotes.values()), sum(r.by_pattern.values()), sum(r.by_any.values())
    lines.append(f"{'all':32}{q:7d}{p:10d}{a:8d}   ({p / max(q, 1):.1%} → {a / max(q, 1):.1%})")
    n = len(r.extra_embedded)
    extra = sorted(r.extra_embedded.values())
    lines.append(f"extra clauses embedded for the recall net: median {extra[n // 2] if n else 0}, "
                 f"max {extra[-1] if n else 0} per policy "
                 f"(of median {sorted(r.clauses.values())[n // 2] if n else 0} body clauses)")
    return "\n".join(lines)
