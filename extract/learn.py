"""The learned clause classifier: training material, training, the artefact and its loader.

    python -m extract.learn            # rebuild extract/models/clause_lr.{npz,json}
    python -m extract.learn --check    # rebuild in memory, compare with the checked-in artefact
    python -m extract.learn --report   # ToS;DR clause figures, held out by service + reliability

**Model.** One L2-regularised logistic regression per fact (`class_weight="balanced"`, C=4) on
the clause's 384-d sentence embedding plus three pattern features (`extra_features`: passes
the fact's gate, pattern strength, number of other same-area facts the clause is a candidate
for), then Platt scaling fitted on out-of-fold decision values (GroupKFold by source: ToS;DR
service or gold policy) of the real clauses that pass the fact's gate — the only clauses the
classifier ever judges in the extractor. A fact with fewer than `MIN_CAL` such positives or
negatives gets the pooled Platt fit; the others are pulled toward it (`PLATT_PRIOR`). How the
model combines with the rules is described once, in the `classify` docstring.

**Training material** (`material()`), and how each source labels a clause for a fact F:

* **Taxonomy** (`facts.toml`): F's `examples` are positives, its `counter` sentences negatives
  (written by us in general policy language). Another fact's sentence is a negative for F when
  it does not pass F's pattern gate, and is left out for F when it does (it may state F too:
  "encrypted in transit" is also encryption).
* **Gold policies** (`shared/gold/*.json`, read and segmented like any upload). Positives: the
  clauses holding F's gold evidence quote. Where gold says F is *false* for the policy, every
  clause passing F's gate is a hard negative: the labeller read the whole policy and found no
  statement of F, so these are the most reliable hard negatives we have (noise: labeller
  error only). Where gold says F is true, gated clauses other than the quoted one are left
  out: policies restate rights and gold quotes one place, so they are not known negatives.
* **ToS;DR clauses** (`shared/dev/tosdr_clauses.jsonl`, CC BY-SA). A clause labelled F is a
  positive when it passes F's gate; a labelled clause that fails the gate is left out (labels
  name the reviewer's *case*: "access and deletion" labels a clause that only mentions
  deletion with both facts, and the extractor never judges an ungated clause anyway). An
  unlabelled clause is not a guaranteed negative: it is an easy negative for F when it fails
  F's gate; when it passes the gate it is a *guessed* hard negative, weighted `W_TOSDR_HARD`
  (0.5), and only for facts a ToS;DR case covers (our fact ids, and `age`); for the others —
  rectification, retention (its cases cover only some retention statements) … — no reviewer
  could have tagged it, so it is left out. An audit of 40 random guessed negatives found 9
  of 23 stating the fact (rights 7 of 16) and 0 of 17 for children.min_age, so in calibration
  a guessed negative has the soft target 0.4 (`Q_GUESSED`; 0 for min_age), not 0. Gold
  policies alone give only 7 gated clauses of false facts: too few to calibrate on. Coarse
  labels: `age` → children.min_age and `retention` → retention.level are positives;
  `security` leaves the gated clauses of every security fact out. Of the ToS;DR clauses that
  no label or gate concerns (easy negatives for every fact), a fixed 1 in `EASY_KEEP` (by
  text hash) is kept, for speed.
  **Audited clauses override all of this.** For the nine facts ToS;DR labels ≥ 20 times, every
  gated or labelled clause was re-annotated blind for what it itself states
  (`extract.audit`, `data/eval/tosdr_audit.jsonl`); a gated clause with a verdict takes that
  verdict as its label (weight `W_TOSDR`, calibration target 1 / 0, not guessed). The held-out
  report trains on the audited labels of the training services only.

**LOPO.** `material(exclude=...)` drops everything derived from a policy: its clauses, and the
ToS;DR clauses of the same service or quoted from its text. `build(exclude=...)` also leaves
it out of the absent-fact rate. `python -m extract.evaluate --lopo` retrains per policy.

**Artefact.** `models/clause_lr.npz` (coefficients and Platt parameters, float32 rounded to
1e-5) and `models/clause_lr.json` (taxonomy version and hash, fact list, training-data hash,
sklearn version, per-fact counts, credits). Rebuilds are deterministic (sorted inputs, fixed
folds from hashed group names, no random state); `--check` compares a rebuild within 2e-4 and
says whether the bytes are identical. The loader refuses an artefact built for another
taxonomy version or fact set, and the extractor then falls back to the prototype scorer.
Credit: "Terms of Service; Didn't Read (tosdr.org), CC BY-SA".

**Code.** In the lab (`extract/lab/`), acyclic in this order: `gold` (gold files, policies
read and segmented) → `material` (training samples, hashes) → `net` (recall net), `vectors`
(training embedding cache) → `notstated` ("not stated" model) → `train` (training, `build`,
`save`, `check`) → `report` (ToS;DR held-out figures). This module is the entry point and
re-exports the names callers use; the runtime half (`LearnedScorer`, `load_scorer`,
`extra_features`, the artefact paths) is `extract.scorers`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .audit import AUDIT_FILE, AUDITED_FACTS, clause_id, load_audit
from .lab.gold import (GOLD_DIRS, GOLD_FILES, SHARED_DIR, _evidence_clauses, _gold_truth, _norm,
                       _read_clauses, gold_policies, gold_value)
from .lab.material import (COARSE, EASY_KEEP, Q_GUESSED, Q_GUESSED_DEFAULT, W_GOLD, W_TAXONOMY,
                           W_TOSDR, W_TOSDR_HARD, Sample, _audit_key, _gates, _gold_material,
                           _slug, _taxonomy_material, _tosdr_material, derived_from, material,
                           material_hash, taxonomy_hash, tosdr_rows)
from .lab.report import format_tosdr_report, tosdr_report
from .lab.train import (C_REG, CAL_FOLDS, MIN_CAL, PLATT_PRIOR, _absent_confidence, _arrays,
                        _build, _compare_arrays, _design, _fit_lr, _folds, _meta_bytes,
                        _npz_bytes, _platt, _train, absent_rate, build, check, save, train)
from .lab.vectors import EmbeddingCache
from .scorers import (ARTEFACT, FORMAT, META, MODEL_DIR, N_EXTRA, NET_ARTEFACT, FactModel,
                      LearnedScorer, NotStatedModel, RecallNet, extra_features, learned_facts,
                      load_scorer)
from .settings import ROOT
from .taxonomy import TAXONOMY_VERSION, FactSpec, taxonomy

__all__ = ["MODEL_DIR", "ARTEFACT", "META", "SHARED_DIR", "Sample", "LearnedScorer",
           "material", "train", "build", "save", "load_scorer", "taxonomy_hash",
           "material_hash", "learned_facts", "derived_from", "EmbeddingCache", "tosdr_rows",
           "gold_policies", "check", "tosdr_report", "format_tosdr_report", "main"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m extract.learn", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED_DIR, help="the shared/ data folder")
    ap.add_argument("--check", action="store_true",
                    help="rebuild in memory and compare with the checked-in artefact")
    ap.add_argument("--report", action="store_true",
                    help="ToS;DR held-out figures by service and the reliability table")
    ap.add_argument("--show-fp", type=int, default=0, metavar="N",
                    help="with --report: print N held-out false positives per fact")
    ap.add_argument("--no-cache", action="store_true", help="do not use artifacts/embed-cache")
    args = ap.parse_args(argv)
    cache = EmbeddingCache(disk=not args.no_cache)
    if args.report:
        res = tosdr_report(args.shared, cache)
        print(format_tosdr_report(res))
        for f, fps in res.get("false_positives", {}).items() if args.show_fp else ():
            print(f"\n{f}: {len(fps)} gated clauses accepted but not labelled {f} (first "
                  f"{min(args.show_fp, len(fps))}, sorted by service):")
            for p_, svc, text in fps[:args.show_fp]:
                print(f"  {p_:.2f} [{svc}] {text}")
        return 0
    if args.check:
        problems = check(args.shared, cache)
        for p in problems:
            print(f"differs: {p}")
        print("artefact reproduces" if not problems else
              "artefact is stale: run `python -m extract.learn` and commit extract/models/")
        return 1 if problems else 0
    scorer = build(args.shared, cache, not_stated=True)
    a, m = save(scorer)
    print(f"wrote {a.relative_to(ROOT)} ({a.stat().st_size:,} bytes) and {m.relative_to(ROOT)}; "
          f"{scorer.meta['n_samples']} samples, data {scorer.meta['training_data_hash'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
