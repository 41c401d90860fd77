"""Accuracy against the hand-labelled gold, leave-one-policy-out (LOPO).

Each policy is scored by a clause model retrained without anything derived from it, so these
figures are honest estimates for unseen policies (run with `-s` to see the tables). The floors
are a little under the current figures: a drop below them is a regression, not noise.

The LOPO runs retrain on the development data in ../shared and skip without it (they fail under
CI=true). The seeds' floor with the shipped model needs only what ships: data/seeds and the
seeds' gold in tests/data, so a fresh clone checks its own accuracy too.
"""
from __future__ import annotations

import json

import pytest

from tests.core_fixtures import ROOT, SHARED, SHIPPED_SEEDS_GOLD, need_shared

# The targets (dev PDFs 0.93, OPP-115 0.88, the flag catching half the wrong values
# without the labels that contradict facts.md); on the labels as given, the flag's floor is a
# little under today's figure (README, Accuracy: 14 of 46 over dev and OPP-115 at 0.9).
DEV_PDF_F1 = 0.93
OPP_F1 = 0.88
FLAG_CATCH = 0.25
FLAG_CATCH_CONSISTENT = 0.5  # the target, without labels that contradict facts.md


@pytest.fixture(scope="session")
def embed_cache():
    """One embedding cache for the session (texts are embedded once)."""
    from extract.learn import EmbeddingCache
    return EmbeddingCache(disk=True)


def _lopo(cache, gold_file: str, folder: str):
    """Each policy scored by models (clause classifier, recall net, "not stated" model)
    trained without it; a policy that was never in training (OPP-115) by the whole-data model."""
    from extract.evaluate import format_report, run
    data = json.loads(need_shared("gold", gold_file).read_text(encoding="utf-8"))
    gold, covered = data["policies"], data.get("covered")
    files = sorted(p for p in need_shared(folder).iterdir() if p.name in gold)
    reports, preds = run(gold, files, lopo=True, shared=SHARED, cache=cache, covered=covered)
    print(f"\n== {gold_file} (LOPO, {len(files)} policies)\n" + format_report(reports))
    return gold, reports, preds, covered


@pytest.fixture(scope="session")
def seeds_lopo(embed_cache):
    return _lopo(embed_cache, "seeds.json", "seeds")


@pytest.fixture(scope="session")
def dev_lopo(embed_cache):
    return _lopo(embed_cache, "dev.json", "dev/policies")


@pytest.fixture(scope="session")
def dev_pdf_lopo(embed_cache):
    return _lopo(embed_cache, "dev-pdf.json", "dev/pdfs")


@pytest.fixture(scope="session")
def opp115(embed_cache):
    """OPP-115 dev: never used in training (CC BY-NC, evaluation only), so these are
    cross-corpus figures of the model trained on everything else."""
    return _lopo(embed_cache, "opp115-dev.json", "dev/opp115/policies")


def test_seeds_floor_with_the_shipped_model(seeds_gold, embed_cache):
    """The product as shipped (data/seeds, the bundled model, tests/data gold), no ../shared:
    not held out (the model was trained on the seeds too), so the floors are the LOPO ones
    as a lower bound: reading, segmenting or the shipped model regressing fails it."""
    from extract.evaluate import format_report, run
    files = sorted(p for p in (ROOT / "data" / "seeds").iterdir() if p.name in seeds_gold)
    assert len(files) == len(seeds_gold) == 5, "a seed policy or its gold is missing"
    (ours, _, base), _ = run(seeds_gold, files, lopo=False, cache=embed_cache)
    print("\n== seeds, shipped model\n" + format_report([ours, base]))
    assert ours.n_policies == 5
    assert ours.micro.f1 >= 0.95, f"seeds micro-F1 {ours.micro.f1:.3f} < 0.95"
    assert ours.age_exact == ours.n_policies, ours.errors
    assert ours.retention_ok == ours.n_policies, ours.errors
    assert ours.micro.f1 - base.micro.f1 >= 0.15, "learned model must beat keywords by 0.15"


def test_shipped_seeds_gold_is_the_shared_one():
    """tests/data/seeds_gold.json is a copy: it must not drift from ../shared's gold."""
    shared = need_shared("gold", "seeds.json")
    assert json.loads(SHIPPED_SEEDS_GOLD.read_text(encoding="utf-8")) == json.loads(
        shared.read_text(encoding="utf-8"))


def test_seeds_lopo(seeds_lopo):
    gold, (ours, proto, base), _, _ = seeds_lopo
    assert ours.n_policies == len(gold) == 5
    assert ours.micro.f1 >= 0.95, f"seeds LOPO micro-F1 {ours.micro.f1:.3f} < 0.95"
    assert ours.age_exact == ours.n_policies, ours.errors
    assert ours.retention_ok == ours.n_policies, ours.errors
    assert ours.micro.f1 - base.micro.f1 >= 0.15, "learned model must beat keywords by 0.15"


def test_dev_lopo(dev_lopo):
    gold, (ours, proto, base), _, _ = dev_lopo
    assert ours.n_policies == len(gold) == 10
    assert ours.micro.f1 >= 0.97, f"dev LOPO micro-F1 {ours.micro.f1:.3f} < 0.97"
    assert ours.age_exact == ours.n_policies, ours.errors
    assert ours.retention_ok == ours.n_policies, ours.errors
    assert ours.micro.precision >= 0.95, "a wrong 'yes' is worse than 'not stated'"
    assert ours.micro.f1 - base.micro.f1 >= 0.15, "learned model must beat keywords by 0.15"


def test_dev_pdfs_lopo(dev_pdf_lopo):
    """Real vendor PDFs as published (broken text layers), read by the product's reader."""
    gold, (ours, proto, base), _, _ = dev_pdf_lopo
    assert ours.n_policies == len(gold) == 6
    assert ours.micro.f1 >= DEV_PDF_F1, f"dev PDFs LOPO micro-F1 {ours.micro.f1:.3f}"
    assert ours.micro.precision >= 0.95, "a wrong 'yes' is worse than 'not stated'"
    assert ours.age_exact >= ours.n_policies - 1, ours.errors


def test_opp115_cross_corpus(opp115):
    """OPP-115 dev, the 11 covered facts only, by a model that never saw OPP-115."""
    gold, (ours, proto, base), _, covered = opp115
    assert len(covered) == 11 and ours.n_policies == len(gold) == 58
    assert set(ours.per_fact) == {f for f in covered if f not in
                                  ("retention.level", "children.min_age")}
    assert ours.micro.f1 >= OPP_F1, f"OPP-115 micro-F1 {ours.micro.f1:.3f}"
    assert ours.age_exact / ours.n_policies >= 0.97, ours.errors


def test_needs_review_flag_catches_wrong_values(dev_lopo, opp115):
    """The flag (confidence < REVIEW_THRESHOLD), held out by policy over dev and OPP-115:
    it must catch a good share of the wrong values without flagging everything. Counted both
    on the labels as given and without the OPP-115 labels that contradict facts.md
    (extract/lab/disputed.toml): there it must catch half, the issue's target."""
    from extract.classify import REVIEW_THRESHOLD
    from extract.evaluate import flag_figures
    from extract.lab.gold import disputed_labels

    def figures(skip_disputed: bool) -> tuple[int, int, int, int]:
        figs = [flag_figures(gold, preds, REVIEW_THRESHOLD, covered,
                             disputed_labels(name) if skip_disputed else frozenset())
                for name, (gold, _, preds, covered) in (("dev.json", dev_lopo),
                                                        ("opp115-dev.json", opp115))]
        return (sum(f.wrong_flagged for f in figs), sum(f.wrong for f in figs),
                sum(f.flagged for f in figs), sum(f.n for f in figs))

    for skip_disputed, floor in ((False, FLAG_CATCH), (True, FLAG_CATCH_CONSISTENT)):
        caught, wrong, flagged, n = figures(skip_disputed)
        print(f"\nneeds-review flag{' without disputed labels' if skip_disputed else ''}: "
              f"catches {caught} of {wrong} wrong values, flags {flagged} of {n} values "
              f"({flagged / n:.1%})")
        assert caught / wrong >= floor, f"flag catches only {caught} of {wrong} wrong values"
        assert flagged / n <= 0.10, "the flag must not make the reviewer re-read everything"


def test_disputed_labels_are_the_gold_files_labels():
    """Every label listed as contradicting facts.md names a labelled policy, a scored fact and
    the value the gold file really gives it, so the list cannot drift from the gold."""
    import tomllib

    from extract.evaluate import gold_value, scored_specs
    from extract.lab.gold import DISPUTED_FILE
    entries = tomllib.loads(DISPUTED_FILE.read_text(encoding="utf-8"))["label"]
    assert entries
    for entry in entries:
        data = json.loads(need_shared("gold", entry["gold"]).read_text(encoding="utf-8"))
        spec = next(s for s in scored_specs(data.get("covered")) if s.id == entry["fact"])
        for policy in entry["policies"]:
            values = data["policies"][policy].get("values", {})
            assert gold_value(values, spec.id, spec.kind) == entry["gold_says"], (policy, spec.id)


def test_fact_confidence_is_calibrated(seeds_lopo, dev_lopo):
    """Held-out (LOPO) fact confidences: mean confidence close to the share of correct values,
    and the facts not flagged for review are right at least 95 % of the time."""
    from extract.classify import REVIEW_THRESHOLD
    from extract.evaluate import gold_value
    from extract.taxonomy import taxonomy
    pairs = []
    for gold, _, preds, _ in (seeds_lopo, dev_lopo):
        for name, facts in preds.items():
            values = gold[name].get("values", {})
            for spec in taxonomy():
                if spec.is_bool:
                    f = facts[spec.id]
                    ok = bool(f.value) == bool(gold_value(values, spec.id, spec.kind))
                    pairs.append((f.confidence, ok))
    mean_conf = sum(c for c, _ in pairs) / len(pairs)
    accuracy = sum(ok for _, ok in pairs) / len(pairs)
    print(f"\nLOPO boolean facts: mean confidence {mean_conf:.3f}, accuracy {accuracy:.3f}")
    assert abs(mean_conf - accuracy) <= 0.05
    kept = [ok for c, ok in pairs if c >= REVIEW_THRESHOLD]
    assert len(kept) >= 0.8 * len(pairs)
    assert sum(kept) / len(kept) >= 0.95


def _lost_quotes(gold: dict, folder: Path) -> list[tuple[str, str, str]]:
    """Gold evidence quotes of true boolean facts that no candidate clause of that fact
    overlaps (the prefilter — the pattern gate — would never let the model see them)."""
    from extract.classify import find_candidates
    from extract.read import read_path
    from extract.segment import segment
    from extract.taxonomy import taxonomy

    def norm(s: str) -> str:
        return " ".join(s.split()).lower()

    lost = []
    for name, g in sorted(gold.items()):
        if not (folder / name).is_file():
            continue
        clauses = segment(read_path(folder / name))
        for spec in taxonomy():
            quote = norm(g.get("evidence", {}).get(spec.id, "") or "")
            if not spec.is_bool or g.get("values", {}).get(spec.id) is not True or not quote:
                continue
            texts = [norm(c.clause.text) for c in find_candidates(spec, clauses)]
            if not any(quote in t or (len(t) >= 20 and t in quote) for t in texts):
                lost.append((name, spec.id, quote))
    return lost


@pytest.mark.parametrize("which", ["dev", "seeds"])
def test_prefilter_loses_no_fact_on_gold(which, request):
    """Issue 4: the cheap prefilter (pattern gate) must lose no recall on the gold. A gold
    quote the gate misses is printed; it is tolerated only when the fact is still found (LOPO)
    through another clause. Run with -s to see the lost quotes."""
    gold, _, preds, _ = request.getfixturevalue(f"{which}_lopo")
    folder = need_shared("dev/policies" if which == "dev" else "seeds")
    lost = _lost_quotes(gold, folder)
    total = sum(1 for g in gold.values() for fid, v in g.get("values", {}).items()
                if v is True and g.get("evidence", {}).get(fid))
    print(f"\n{which}: {len(lost)} of ~{total} gold quotes without a candidate clause")
    for name, fid, quote in lost:
        print(f"  LOST {name} {fid}: «{quote[:120]}»")
    facts_lost = [(n, f) for n, f, _ in lost if preds[n][f].value is not True]
    assert not facts_lost, f"facts lost by the prefilter: {facts_lost}"
    assert len(lost) <= 0.02 * total + 1, "prefilter recall on gold quotes fell"
