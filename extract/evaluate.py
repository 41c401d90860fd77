"""Measure extraction against hand-labelled gold: `python -m extract.evaluate GOLD.json PATH...`.

Gold has the shape of `shared/gold/seeds.json`: {"policies": {file name: {"values": {...},
"evidence": {...}}}}; booleans not listed are false, a missing `children.min_age` means none.
Prints per-fact precision / recall / F1, micro-F1 over the boolean facts, the min-age exact-match
rate, retention-level accuracy and every error with the evidence used — for the extractor and,
in the same run, for a plain keyword baseline, side by side.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from .model import Fact
from .taxonomy import taxonomy

__all__ = ["Counts", "Report", "evaluate", "gold_value", "keyword_baseline", "format_report",
           "main"]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Figures for one system over one gold set."""

    name: str
    per_fact: dict[str, Counts] = field(default_factory=dict)
    age_exact: int = 0
    retention_ok: int = 0
    n_policies: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def micro(self) -> Counts:
        c = Counts()
        for v in self.per_fact.values():
            c.tp, c.fp, c.fn = c.tp + v.tp, c.fp + v.fp, c.fn + v.fn
        return c


def gold_value(values: Mapping, fact_id: str, kind: str):
    """The gold value of a fact, with the file's defaults for unlisted facts."""
    if fact_id in values:
        return values[fact_id]
    return {"bool": False, "age": None, "level": "none", "periods": ""}[kind]


def evaluate(name: str, gold: Mapping[str, Mapping],
             predictions: Mapping[str, Mapping[str, Fact]]) -> Report:
    """Compare `predictions` ({file: {fact_id: Fact}}) with `gold` ({file: {"values": ...}})."""
    rep = Report(name)
    for spec in taxonomy():
        if spec.is_bool:
            rep.per_fact[spec.id] = Counts()
    for fname, g in gold.items():
        if fname not in predictions:
            continue
        rep.n_policies += 1
        facts, values = predictions[fname], g.get("values", {})
        for spec in taxonomy():
            pred = facts.get(spec.id)
            pv = pred.value if pred else None
            gv = gold_value(values, spec.id, spec.kind)
            ev = pred.evidence[0].text[:160] if pred and pred.evidence else "(no evidence)"
            if spec.is_bool:
                c = rep.per_fact[spec.id]
                if pv and gv:
                    c.tp += 1
                elif pv and not gv:
                    c.fp += 1
                    rep.errors.append(f"FP {fname} {spec.id}: used «{ev}»")
                elif gv and not pv:
                    c.fn += 1
                    want = g.get("evidence", {}).get(spec.id, "")
                    rep.errors.append(f"FN {fname} {spec.id}: gold «{want[:160]}»")
            elif spec.kind == "age":
                if pv == gv:
                    rep.age_exact += 1
                else:
                    rep.errors.append(f"AGE {fname}: got {pv} want {gv}; used «{ev}»")
            elif spec.kind == "level":
                if pv == gv:
                    rep.retention_ok += 1
                else:
                    rep.errors.append(f"RETENTION {fname}: got {pv} want {gv}; used «{ev}»")
    return rep


def keyword_baseline(clauses) -> dict[str, Fact]:
    """A plain reference system: a fact is true when a keyword of its label occurs anywhere."""
    text = " ".join(c.text for c in clauses).lower()
    out = {}
    for spec in taxonomy():
        if spec.is_bool:
            words = [w for w in re.findall(r"[a-z]{4,}", spec.label.lower())]
            out[spec.id] = Fact(spec.id, any(w in text for w in words), 0.5, [])
        elif spec.kind == "age":
            m = re.search(r"under (?:the age of )?(\d{1,2})\b", text)
            out[spec.id] = Fact(spec.id, int(m.group(1)) if m else None, 0.5, [])
        elif spec.kind == "level":
            days = re.search(r"\b\d+ (?:days?|months?|years?)\b", text)
            out[spec.id] = Fact(spec.id, "specific" if days else
                                ("vague" if "retain" in text else "none"), 0.5, [])
    return out


def format_report(reports: list[Report], show_errors: bool = True) -> str:
    """Per-fact table with one P/R/F1 block per system, then summary lines and errors."""
    names = [r.name for r in reports]
    head = f"{'fact':32}" + "".join(f"{n[:22]:>24}" for n in names)
    lines = [head, f"{'':32}" + "".join(f"{'P    R    F1':>24}" for _ in names), "-" * len(head)]
    for fid in reports[0].per_fact:
        cells = []
        for r in reports:
            c = r.per_fact[fid]
            cells.append(f"{c.precision:5.2f}{c.recall:5.2f}{c.f1:5.2f} ({c.tp + c.fn:2d})")
        lines.append(f"{fid:32}" + "".join(f"{x:>24}" for x in cells))
    lines.append("-" * len(head))
    for label, fn in (("micro-F1 (boolean facts)", lambda r: f"{r.micro.f1:.3f}"),
                      ("micro precision / recall",
                       lambda r: f"{r.micro.precision:.3f} / {r.micro.recall:.3f}"),
                      ("children.min_age exact", lambda r: f"{r.age_exact}/{r.n_policies}"),
                      ("retention.level accuracy", lambda r: f"{r.retention_ok}/{r.n_policies}")):
        lines.append(f"{label:32}" + "".join(f"{fn(r):>24}" for r in reports))
    if show_errors:
        for r in reports:
            lines.append(f"\nerrors of {r.name} ({len(r.errors)}):")
            lines += [f"  {e}" for e in r.errors]
    return "\n".join(lines)


def _predict(paths: list[Path], gold: Mapping, extract: Callable) -> dict:
    return {p.name: extract(p) for p in paths if p.name in gold}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("gold", help="gold JSON in the shape of shared/gold/seeds.json")
    ap.add_argument("paths", nargs="+", help="policy files or folders")
    ap.add_argument("--quiet", action="store_true", help="no error list")
    args = ap.parse_args(argv)
    from .cli import collect_paths
    from .pipeline import Extractor
    from .read import read_path
    from .segment import segment

    gold = json.loads(Path(args.gold).read_text(encoding="utf-8"))["policies"]
    files, problems = collect_paths(args.paths)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    files = [f for f in files if f.name in gold]
    if not files:
        print("error: none of the files is in the gold set", file=sys.stderr)
        return 2
    ex = Extractor()
    ours = evaluate("extractor", gold, _predict(files, gold, lambda p: ex(p).facts))
    base = evaluate("keyword baseline", gold,
                    _predict(files, gold, lambda p: keyword_baseline(segment(read_path(p)))))
    print(format_report([ours, base], show_errors=not args.quiet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
