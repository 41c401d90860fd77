"""Measure extraction against hand-labelled gold: `python -m extract.evaluate GOLD.json PATH...`.

Gold has the shape of `shared/gold/seeds.json`: {"policies": {file name: {"values": {...},
"evidence": {...}}}}; booleans not listed are false, a missing `children.min_age` means none.
Prints per-fact precision / recall / F1, micro-F1 over the boolean facts, the min-age exact-match
rate, retention-level accuracy and every error with the evidence used — for the extractor, the
prototype scorer (the model-free fallback) and a plain keyword baseline, side by side — then a
reliability table of the extractor's fact confidences and what `REVIEW_THRESHOLD` flags.

`--lopo` (leave-one-policy-out, the figures the README reports): each policy is scored by a
clause model trained without anything derived from it (`learn.material(exclude=...)`: its gold
evidence, its clauses, ToS;DR quotes of the same service). Without it the checked-in model is
used, which was trained on every gold policy (whole-data figures, optimistic).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .lab.gold import disputed_labels, gold_value  # gold_value: importable from here too
from .model import Fact
from .taxonomy import taxonomy

__all__ = ["Counts", "Report", "FlagFigures", "evaluate", "gold_value", "keyword_baseline",
           "format_report", "reliability", "flag_figures", "scored_specs", "main"]


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


def scored_specs(covered: Iterable[str] | None = None) -> list:
    """The taxonomy's facts a gold file labels: all, or only its `covered` list (OPP-115)."""
    keep = set(covered) if covered else None
    return [s for s in taxonomy() if keep is None or s.id in keep]


def evaluate(name: str, gold: Mapping[str, Mapping],
             predictions: Mapping[str, Mapping[str, Fact]],
             covered: Iterable[str] | None = None) -> Report:
    """Compare `predictions` ({file: {fact_id: Fact}}) with `gold` ({file: {"values": ...}}),
    over the facts in `covered` when the gold file names them."""
    rep = Report(name)
    specs = scored_specs(covered)
    for spec in specs:
        if spec.is_bool:
            rep.per_fact[spec.id] = Counts()
    for fname, g in gold.items():
        if fname not in predictions:
            continue
        rep.n_policies += 1
        facts, values = predictions[fname], g.get("values", {})
        for spec in specs:
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


def read_clauses(path: Path):
    """Read and segment a policy file as the app does (plain text if the reader is absent)."""
    from .model import Document, Page
    from .segment import segment
    try:
        from .read import read_path
    except ImportError:  # pragma: no cover - only while the reader is being written
        text = Path(path).read_text(encoding="utf-8")
        return segment(Document(Path(path).name, "", text, (Page(1, 0, len(text)),), "txt"))
    return segment(read_path(path))


def _judged(gold: Mapping, predictions: Mapping[str, Mapping[str, Fact]],
            covered: Iterable[str] | None = None,
            skip: frozenset[tuple[str, str]] = frozenset()) -> list[tuple[float, bool]]:
    """(confidence, value is right) of every predicted fact value the gold labels, except the
    (policy, fact) pairs in `skip`."""
    pairs = []
    for fname, facts in predictions.items():
        values = gold[fname].get("values", {})
        for spec in scored_specs(covered):
            if spec.kind == "periods" or spec.id not in facts or (fname, spec.id) in skip:
                continue
            f = facts[spec.id]
            gv = gold_value(values, spec.id, spec.kind)
            ok = bool(f.value) == bool(gv) if spec.is_bool else f.value == gv
            pairs.append((float(f.confidence), ok))
    return pairs


def reliability(gold: Mapping, predictions: Mapping[str, Mapping[str, Fact]],
                edges=(0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001), covered=None
                ) -> list[tuple[str, int, float, float]]:
    """Fact-level reliability: (confidence bin, n, mean confidence, share of correct values)."""
    pairs = _judged(gold, predictions, covered)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = [(c, ok) for c, ok in pairs if lo <= c < hi]
        if sel:
            out.append((f"{lo:.2f}-{min(hi, 1.0):.2f}", len(sel), sum(c for c, _ in sel) / len(sel),
                        sum(ok for _, ok in sel) / len(sel)))
    return out


@dataclass(frozen=True)
class FlagFigures:
    """What the needs-review flag does: wrong values caught, and the reviewer's burden."""

    n: int
    wrong: int
    flagged: int
    wrong_flagged: int

    @property
    def catch_rate(self) -> float:
        return self.wrong_flagged / self.wrong if self.wrong else 1.0

    @property
    def burden(self) -> float:
        return self.flagged / self.n if self.n else 0.0


def flag_figures(gold: Mapping, predictions: Mapping, threshold: float,
                 covered=None, skip: frozenset[tuple[str, str]] = frozenset()) -> FlagFigures:
    """Count the values below `threshold` (flagged) and the wrong ones among them; the
    (policy, fact) pairs in `skip` (disputed labels) are left out."""
    pairs = _judged(gold, predictions, covered, skip)
    return FlagFigures(len(pairs), sum(not ok for _, ok in pairs),
                       sum(c < threshold for c, _ in pairs),
                       sum(c < threshold and not ok for c, ok in pairs))


FLAG_CURVE = (0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


def format_reliability(rows, threshold: float, gold: Mapping, predictions: Mapping,
                       covered=None, disputed: frozenset[tuple[str, str]] = frozenset()) -> str:
    lines = [f"\nfact confidence reliability ({sum(r[1] for r in rows)} fact values):",
             f"{'confidence':>12}{'n':>6}{'mean conf':>11}{'correct':>9}"]
    lines += [f"{b:>12}{n:6d}{m:11.3f}{acc:9.3f}" for b, n, m, acc in rows]
    f = flag_figures(gold, predictions, threshold, covered)
    lines.append(f"REVIEW_THRESHOLD {threshold}: {f.flagged} flagged ({f.wrong_flagged} wrong), "
                 f"{f.n - f.flagged} not flagged ({f.wrong - f.wrong_flagged} wrong)")
    lines.append(f"needs-review flag: catches {f.wrong_flagged} of {f.wrong} wrong values "
                 f"({f.catch_rate:.0%}); flags {f.flagged} of {f.n} values ({f.burden:.1%})")
    # What other thresholds would do: the trade-off the threshold is chosen on.
    curve = [(t, flag_figures(gold, predictions, t, covered)) for t in FLAG_CURVE]
    lines.append("  other thresholds: " + ", ".join(
        f"{t:g}: {g.wrong_flagged}/{g.wrong} caught, {g.burden:.1%} flagged" for t, g in curve))
    judged = {(p, fid) for p, facts in predictions.items() for fid in facts}
    if disputed & judged:
        d = flag_figures(gold, predictions, threshold, covered, disputed)
        lines.append(f"  without the {len(disputed & judged)} labels that contradict facts.md "
                     f"(extract/lab/disputed.toml): catches {d.wrong_flagged} of {d.wrong} wrong "
                     f"values ({d.catch_rate:.0%}); flags {d.flagged} of {d.n} ({d.burden:.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("gold", help="gold JSON in the shape of shared/gold/seeds.json")
    ap.add_argument("paths", nargs="+", help="policy files or folders")
    ap.add_argument("--quiet", action="store_true", help="no error list")
    ap.add_argument("--lopo", action="store_true",
                    help="leave-one-policy-out: retrain the clause model without each policy")
    ap.add_argument("--shared", type=Path, default=None, help="shared/ folder (training data)")
    ap.add_argument("--candidates", action="store_true",
                    help="also: candidate recall of the gates and the recall net on gold quotes")
    args = ap.parse_args(argv)
    from .ingest import collect_paths

    data = json.loads(Path(args.gold).read_text(encoding="utf-8"))
    gold, covered = data["policies"], data.get("covered")
    files, problems = collect_paths(args.paths)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    files = [f for f in files if f.name in gold]
    if not files:
        print("error: none of the files is in the gold set", file=sys.stderr)
        return 2
    reports, preds = run(gold, files, lopo=args.lopo, shared=args.shared, covered=covered)
    if covered:
        print(f"scored on the {len(covered)} facts this gold file covers: {', '.join(covered)}")
    print(format_report(reports, show_errors=not args.quiet))
    from .classify import REVIEW_THRESHOLD
    print(format_reliability(reliability(gold, preds, covered=covered), REVIEW_THRESHOLD, gold,
                             preds, covered, disputed_labels(Path(args.gold).name)))
    if args.candidates:
        print(_candidate_report(gold, files, args.lopo, args.shared))
    return 0


def _candidate_report(gold: Mapping, files: list[Path], lopo: bool, shared: Path | None) -> str:
    from .lab.gold import SHARED_DIR
    from .lab.recall import candidate_recall, format_candidate_recall
    from .lab.train import build
    from .lab.vectors import EmbeddingCache
    from .scorers import load_scorer
    cache = EmbeddingCache(disk=True)
    shipped = None if lopo else load_scorer()
    fig = candidate_recall(gold, files, cache, lambda name: build(
        shared or SHARED_DIR, cache, exclude={name}, not_stated=True) if lopo else shipped)
    return format_candidate_recall(fig)


def run(gold: Mapping, files: list[Path], lopo: bool = False, shared: Path | None = None,
        cache=None, covered=None) -> tuple[list[Report], dict]:
    """Evaluate the extractor (LOPO or checked-in model), the prototype scorer and the keyword
    baseline on `files`; return the three reports and the extractor's predictions."""
    from .classify import FactExtractor, PrototypeScorer
    from .lab.gold import SHARED_DIR
    from .lab.train import build
    from .lab.vectors import EmbeddingCache
    from .scorers import load_scorer

    cache = cache or EmbeddingCache(disk=True)
    clauses = {p.name: read_clauses(p) for p in files}
    proto = FactExtractor(cache, PrototypeScorer(cache))
    ours: dict[str, dict[str, Fact]] = {}
    if lopo:
        for p in files:
            scorer = build(shared or SHARED_DIR, cache, exclude={p.name}, not_stated=True)
            ours[p.name] = FactExtractor(cache, scorer).extract(clauses[p.name])
        name = "learned (LOPO)"
    else:
        # The product's own path: `Extractor` with the fast path (prefilter + vector cache) as
        # `PRIVACY_FAST_PATH` says, so running this with PRIVACY_FAST_PATH=0 really compares
        # the figures with the optimisations off (embedding every clause, nothing cached).
        from .pipeline import Extractor, fast_path_enabled

        learned = load_scorer()
        fx = Extractor(scorer=learned or PrototypeScorer(cache),
                       cache=None if fast_path_enabled() else False)
        ours = {p.name: fx(p).facts for p in files}
        name = (("learned (whole-data)" if fast_path_enabled() else "learned, fast path off")
                if learned else "extractor (no model!)")
    reports = [
        evaluate(name, gold, ours, covered),
        evaluate("prototype scorer", gold, {n: proto.extract(c) for n, c in clauses.items()},
                 covered),
        evaluate("keyword baseline", gold, {n: keyword_baseline(c) for n, c in clauses.items()},
                 covered),
    ]
    return reports, ours


if __name__ == "__main__":
    sys.exit(main())
