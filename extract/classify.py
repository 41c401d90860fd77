"""Decide every fact of the taxonomy from a document's clauses.

How rules and the model combine (the one place this is decided):

1. **Candidates by pattern.** A clause can be evidence for a fact only if it matches one of the
   fact's `patterns` and none of its `exclude` patterns (taxonomy table), and, where the fact
   has a `context`, the clause, the one before it or its heading is about that context
   (children). Patterns are written for recall; they are the cheap prefilter, so only
   candidates are ever embedded (the performance fast path). Headings are never evidence.
2. **Negation.** For facts marked `negation = "block"`, a negation cue between the start of the
   phrase and every match ("we do *not* encrypt") removes the candidate.
3. **Semantic check.** Each candidate is scored by a `ClauseScorer`. By default that is the
   learned scorer (`scorers.LearnedScorer`, artefact in `extract/models/`, trained by
   `python -m extract.learn`): one logistic regression per fact on the clause's 384-d
   sentence embedding plus three pattern features (passes the gate, pattern strength, how many
   other facts of the same area the clause is a candidate for — a list of rights), Platt-scaled
   on held-out clauses that pass the gate. Its output is a calibrated probability that the
   clause states the fact, and it *is* the candidate's confidence. When the artefact is missing
   or was built for another taxonomy version or fact set, `default_scorer` warns and falls
   back to `PrototypeScorer` (similarity to the taxonomy's `examples` vs `counter`), whose
   score is mixed with pattern strength (`_confidence`) and is not calibrated.
4. **Recall net.** Every body clause also gets a cheap score per fact from the recall net
   (`scorers.RecallNet`: hashed word n-grams into a sparse linear model, no embedding). A
   boolean fact that no pattern candidate proves gets the net's best `NET_TOP_K` clauses (at or
   above its threshold, obeying the fact's exclusions, context and negation) as candidates,
   judged by the same classifier *without* pattern features, so only would-be "not stated"
   facts pay for extra embeddings.
5. **Decision.** A boolean fact is true when its best candidate's confidence reaches
   `DECISION_THRESHOLD` (0.5: the calibrated "more likely stated than not"); its evidence is
   the best candidates above the threshold, and its confidence the best probability. Otherwise
   it is false ("not stated") with no evidence, and its confidence is 1 − P(stated after all)
   from the `NotStatedModel`: a logistic regression, fitted on leave-one-policy-out
   predictions of the gold policies, on the net's best score anywhere in the policy, the best
   candidate's probability, whether any pattern matched, the share of the other facts of its
   area the policy states, and how often policies state the fact.
   A `veto` pattern anywhere in the policy ("we may have sold") makes the fact false.
6. **Structured values** come from rules, not the model: ages (`children.min_age`) are parsed
   by `quantities` from candidates in a children context, the strongest statement winning;
   `retention.level` is `specific` when a duration governed by a retention verb appears in a
   candidate (reply deadlines excluded), `vague` when a retention candidate passes step 4,
   else `none`. Their confidences are rule scores, not calibrated probabilities.

Every fact whose confidence is below `REVIEW_THRESHOLD` (0.9) is flagged "needs review"
(export, UI): the model itself gives it at least a 10 % chance of being wrong. For a "yes" that
comes from the calibrated clause probability (ToS;DR clauses of services never seen in
training, against a blind re-annotation: `python -m extract.learn --report`); for a "not
stated" from the `NotStatedModel`, so a silence in a policy whose clauses look like the fact
is flagged too. Held-out figures: `python -m extract.evaluate GOLD PATHS --lopo` prints the
reliability table and what the flag catches (README, Accuracy).
Ages and `specific` retention carry rule scores, not calibrated probabilities.
"""
from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .model import CELL_SEPARATOR, REVIEW_THRESHOLD, Clause, Evidence, Fact
from .quantities import find_ages, find_durations
from .scorers import ClauseScorer, PrototypeScorer, default_scorer, extra_features
from .taxonomy import FactSpec, fold, taxonomy

__all__ = ["ClauseScorer", "PrototypeScorer", "FactExtractor", "Candidate", "find_candidates",
           "default_scorer",
           "DECISION_THRESHOLD", "REVIEW_THRESHOLD", "MAX_EVIDENCE"]

DECISION_THRESHOLD = 0.5
MAX_EVIDENCE = 3
# Recall net: candidates per would-be "not stated" fact.
NET_TOP_K = 1

_NEGATION = re.compile(
    r"\b(?:not|never|no|cannot|can.t|don.t|doesn.t|won.t|isn.t|aren.t|unable|neither|nor)\b",
    re.IGNORECASE)
# A reader who does not want something (negated, but not a negation of what the policy offers).
_READER_WISH = re.compile(
    r"\b(?:you|users?|members?|customers?|subscribers?|visitors?|individuals?|those|anyone|"
    r"people)\s+(?:who\s+|that\s+)?(?:no longer|do not|don.t|does not|doesn.t|not)\s+"
    r"(?:wish|want|like|care)\b", re.IGNORECASE)
# A negation only reaches the match through the same phrase.
_PHRASE_BREAK = re.compile(r"[,;:()]|\b(?:and|but|or|however|although|except|unless|if)\b",
                           re.IGNORECASE)
_CHILD = re.compile(r"\b(?:child|children|kids?|minors?|young people|teen|parent|guardian|"
                    r"years? old|years of age|age of|under the age)\w*", re.IGNORECASE)
_AGE_STRONG = re.compile(
    r"\b(?:not (?:be )?(?:directed|intended|targeted|designed|meant|aimed|marketed|available)|"
    r"knowingly|at least|must be|may not|must not|do not use|not permitted|prohibited|"
    r"not allowed|not eligible|restricted to|only (?:for|to) (?:users|persons|individuals)|"
    # a refusal to collect is the fact itself ("do not collect any information from anyone under 13")
    r"(?:(?:do|does|will) not|never) (?:knowingly |intentionally )?(?:collect|solicit|gather|accept))",
    re.IGNORECASE)
# "anyone under 13" names the age without a word for children.
_UNDER_AGE = re.compile(r"\b(?:anyone|anybody|persons?|people|individuals|users|those|visitors)\b"
                        r"[^.;]{0,40}\b(?:under (?:the age of )?\d{1,2}|"
                        r"\d{1,2} (?:years (?:old |of age )?)?(?:or|and) (?:younger|under|below))\b",
                        re.IGNORECASE)
# An age every user must have ("Users must be 16 or older"): the minimum age, with no word for
# children (the same wording as the fact's gate in facts.toml).
_AGE_REQUIRED = re.compile(
    r"\b(?:must|need to|have to) be (?:at least )?\d{1,2} ?(?:\+|or older|or over|and over|"
    r"and older)|\b(?:intended|designed|meant) (?:only )?for (?:adults|users|people|persons|"
    r"individuals) (?:aged )?\d{1,2} ?(?:\+|and over|and older|or older|or over)", re.IGNORECASE)
_NOT_RETENTION = re.compile(
    r"\b(?:respond|response|reply|acknowledge|resolve|answer|fulfil|fulfill|process your request|"
    r"past|preceding|prior|previous|last) \w*\s*\w*\s*(?:within|to|in|\d)|"
    r"\bwithin\b[^.;]{0,30}\b(?:of (?:receiv|receipt|your request|verification))|"
    r"\b(?:in|during|over) the (?:past|preceding|prior|previous|last) (?:twelve|12)\b|"
    r"\bnotif\w+[^.;]{0,40}\bwithin\b|\bwithin \w+ (?:business |working )?days? (?:of|after) (?:receiv|your)",
    re.IGNORECASE)
# What follows a delay ("it may take up to four weeks to process your deletion request"): how
# long a request takes, not how long data is kept.
_REQUEST_TIME = re.compile(
    r"\s+(?:for us\s+)?to\s+(?:process|handle|fulfil|fulfill|action|respond to|answer)"
    r"\s+(?:your|a|the|such|this|that|any)\s+(?:\w+\s+)?(?:requests?|enquir(?:y|ies)|"
    r"inquir(?:y|ies)|applications?|complaints?|claims?|submissions?)\b", re.IGNORECASE)
# How long an unsubscribe takes to apply ("allow 10 days for your address to be removed from our
# mailing list") is a processing delay, not how long data is kept.
_OPT_OUT_DELAY = re.compile(
    r"\b(?:unsubscri\w*|opt(?:ing)?[- ]out|mailing list|marketing (?:list|database)|"
    r"(?:promotional|marketing) (?:e-?mails?|messages|communications))\b", re.IGNORECASE)
_DELAY = re.compile(r"\b(?:allow|take|takes|taking|need|needs)\b(?: us)?"
                    r"(?: up to| at least| about| approximately)?\s*$", re.IGNORECASE)
# An age that only says who may have their own posts removed (California minors) or whose data
# may not be sold without opting in (CCPA): no minimum age for the service.
_NOT_MIN_AGE = re.compile(
    r"\b(?:remov\w*|delet\w*|eras\w*|take down)\b[^.;]{0,80}\b(?:content|posts?|postings?|"
    r"information|materials?)\b[^.;]{0,40}\b(?:you|they|minors?|users?)\b[^.;]{0,20}"
    r"\b(?:posted|post|submitted|publicly|shared|uploaded)|"
    r"\bBusiness and Professions Code\b|\b22581\b|"
    r"\b(?:sell|sale|sold|selling|sharing)\b[^.;]{0,100}\b(?:opt[- ]?in|affirmative(?:ly)? "
    r"authori[sz]|consent)|\b(?:opt[- ]?in|affirmative(?:ly)? authori[sz]\w*)\b[^.;]{0,100}"
    r"\b(?:sell|sale|sold|selling|sharing)\b",
    re.IGNORECASE)
_RETENTION_VERB = re.compile(
    # "please keep in mind that it may take four weeks" keeps nothing
    r"\b(?:retain|retention|keep(?!(?:s|ing)?\s+in\s+mind)|kept|stor(?:e|ed|age)|hold|held|"
    r"delet|eras|destroy|purg|anonymi[sz]|expire|expiry|archiv|remov|last(?:s)?|persist|"
    r"maintain|log(?:s|ged)?)\w*",
    re.IGNORECASE)


@dataclass
class Candidate:
    """A clause that matched a fact's patterns, with its pattern strength."""

    clause: Clause
    strength: float  # 0–1: how many distinct patterns matched, saturating
    match_start: int
    via: str = "pattern"  # "pattern", or "net" for a recall-net candidate


def _negated(text: str, match_start: int, match_end: int | None = None) -> bool:
    head = text[:match_start]
    breaks = list(_PHRASE_BREAK.finditer(head))
    phrase = head[breaks[-1].end():] if breaks else head
    # "Members who no longer wish to receive newsletters may unsubscribe": the reader's wish is
    # negated, not the promise.
    if not _NEGATION.search(_READER_WISH.sub(" ", phrase)):
        return False
    # A negation inside a condition describes the reader, not the promise: in "if you are not
    # happy with our marketing, you may withdraw consent" a match that runs on past the
    # condition into the main clause is not negated by it.
    conditional = bool(breaks) and breaks[-1].group().lower() == "if"
    return not (conditional and match_end is not None
                and _PHRASE_BREAK.search(text, match_start, match_end) is not None)


def _hits(spec: FactSpec, text: str, after: int = 0) -> list[re.Match]:
    """The first match of each pattern in `text` that ends after `after` (the item, when
    `text` is a lead-in joined to a list item)."""
    if not spec.may_match(fold(text)) or not spec.any_pattern.search(text, 0):
        return []
    out = []
    for p in spec.patterns:
        m = p.search(text)
        if m and m.end() <= after:
            m = next((x for x in p.finditer(text) if x.end() > after), None)
        if m:
            out.append(m)
    return out


def find_candidates(spec: FactSpec, clauses: Sequence[Clause]) -> list[Candidate]:
    """Return the clauses that may state `spec` (pattern hit, no exclusion, not negated).

    A list item is also read with its lead-in ("You have the right to:" + "have it deleted"),
    a match then having to reach into the item; under a heading that names the fact (its
    `heading`), an `in_section` pattern lets a clause through too. The clause itself, its
    text and offsets, never change."""
    out = []
    prev = ""
    for c in clauses:
        before, prev = prev, c.text
        if c.is_heading or not spec.patterns:
            continue
        text, off = c.text, 0
        hits = _hits(spec, text)
        if not hits and c.lead_in:
            text = f"{c.lead_in} {c.text}"
            off = len(c.lead_in) + 1
            hits = _hits(spec, text, off)
        if not hits and spec.heading and spec.in_section and c.section \
                and spec.heading.search(c.section):
            text, off = c.text, 0
            hits = [m for p in spec.in_section if (m := p.search(text))]
        if not hits or any(x.search(text) for x in spec.exclude):
            continue
        if spec.context and not any(spec.context.search(t)
                                    for t in (c.text, before, c.section, c.lead_in)):
            continue
        if spec.negation == "block" and all(_negated(text, m.start(), m.end()) for m in hits):
            continue
        first = min(hits, key=lambda m: m.start())
        out.append(Candidate(c, min(1.0, 0.6 + 0.2 * (len(hits) - 1)),
                             max(0, first.start() - off)))
    return out


def _confidence(strength: float, prob: float) -> float:
    # The pattern is necessary, the model decides: an unlikely sentence stays below the
    # decision threshold however many patterns it matched.
    return float(np.clip(0.25 * strength + 0.75 * prob, 0.0, 1.0))


class FactExtractor:
    """Turns clauses into one `Fact` per taxonomy entry.

    `encode` maps a list of texts to L2-normalised embeddings (e.g. `SentenceEncoder().transform`);
    `scorer` defaults to the checked-in learned scorer (`default_scorer`), or to a
    `PrototypeScorer` over the taxonomy examples when that artefact does not fit.
    """

    def __init__(self, encode, scorer: ClauseScorer | None = None,
                 specs: Sequence[FactSpec] | None = None):
        self.encode = encode
        self.specs = tuple(specs or taxonomy())
        self.scorer = scorer or default_scorer(encode, self.specs)
        self.calibrated = bool(getattr(self.scorer, "calibrated", False))
        # P(fact absent | no candidate passed): measured on gold policies at training time.
        self.absent = float(getattr(self.scorer, "absent_confidence", 0.9))

    # -- public -------------------------------------------------------------------------
    def _confidence(self, strength: float, prob: float) -> float:
        # Rounded to 1e-6: a matrix product's last bits depend on how many rows BLAS gets at
        # once, and the fast path scores candidates in other groupings than the slow one.
        if self.calibrated:
            return round(float(prob), 6)  # already a calibrated probability that the clause states it
        return round(_confidence(strength, prob), 6)

    def extract(self, clauses: Sequence[Clause]) -> dict[str, Fact]:
        """Return {fact_id: Fact} for every fact in the taxonomy."""
        return self.extract_with_signals(clauses)[0]

    def extract_with_signals(self, clauses: Sequence[Clause]
                             ) -> tuple[dict[str, Fact], dict[str, tuple[float, float, bool, float]]]:
        """`extract`, plus for each boolean fact found "not stated" the signals its confidence
        comes from (`NotStatedModel.features`): the best recall-net score anywhere, the best
        candidate probability, whether a pattern matched, and the share of the other facts of
        its area that the policy states — what the lab fits the `NotStatedModel` on."""
        cands = {s.id: find_candidates(s, clauses) for s in self.specs}
        vectors: dict[int, np.ndarray] = {}
        probs = self._score_all(cands, vectors=vectors)
        net = self._net_scores(clauses)
        self._rescue(clauses, cands, probs, net, vectors)
        facts: dict[str, Fact] = {}
        ranks: dict[str, list[tuple[float, Candidate]]] = {}
        silent = []
        for spec in self.specs:
            ranks[spec.id] = ranked = self._rank(cands[spec.id], probs.get(spec.id, {}))
            if spec.kind == "bool":
                vetoed = any(v.search(c.text) for v in spec.veto for c in clauses)
                facts[spec.id] = self._boolean(spec, ranked, vetoed)
                if facts[spec.id].value is False and not vetoed and spec.id in net:
                    silent.append(spec)
            elif spec.kind == "age":
                facts[spec.id] = self._age(spec, ranked)
        signals = {spec.id: self._signals(spec, ranks[spec.id], cands, net, facts)
                   for spec in silent}
        for spec in silent:
            facts[spec.id].confidence = self._not_stated(spec, ranks[spec.id], signals[spec.id])
        level = next((s for s in self.specs if s.id == "retention.level"), None)
        if level is not None:
            self._retention(ranks[level.id], facts, cands, clauses)
            if facts[level.id].value == "none" and level.id in net:
                # "none" is a "not stated" too: how sure it is comes from the same model.
                signals[level.id] = self._signals(level, ranks[level.id], cands, net, facts)
                conf = self._not_stated(level, ranks[level.id], signals[level.id])
                facts[level.id].confidence = facts["retention.periods"].confidence = conf
        return {s.id: facts[s.id] for s in self.specs}, signals

    def _signals(self, spec: FactSpec, ranked, cands, net, facts) -> tuple[float, float, bool, float]:
        peers = [s.id for s in self.specs if s.kind == "bool" and s.area == spec.area
                 and s.id != spec.id]
        share = sum(facts[f].value is True for f in peers) / len(peers) if peers else 0.0
        return (max(net[spec.id].values(), default=0.0), ranked[0][0] if ranked else 0.0,
                any(c.via == "pattern" for c in cands[spec.id]), share)

    # -- steps --------------------------------------------------------------------------
    def _score_all(self, cands: dict[str, list[Candidate]],
                   known: dict[str, dict[int, float]] | None = None,
                   vectors: dict[int, np.ndarray] | None = None
                   ) -> dict[str, dict[int, float]]:
        """Probabilities {fact: {clause index: p}} of the candidates not already in `known`.
        Each distinct clause is embedded once per extraction, whatever number of facts it is a
        candidate for: `vectors` keeps the embeddings between calls."""
        known = known or {}
        vectors = {} if vectors is None else vectors
        todo = {fid: [c for c in lst if c.clause.index not in known.get(fid, {})]
                for fid, lst in cands.items()}
        unique: dict[int, Clause] = {}
        for lst in todo.values():
            for cand in lst:
                unique.setdefault(cand.clause.index, cand.clause)
        if not unique:
            return known
        missing = [i for i in unique if i not in vectors]
        if missing:
            vectors.update(zip(missing, self.encode([unique[i].text for i in missing])))
        order = list(unique)
        emb = np.stack([vectors[i] for i in order])
        row = {idx: k for k, idx in enumerate(order)}
        # Pattern features come from pattern candidates only: the classifier judges a
        # recall-net candidate as the ungated clause it is (its gate features were learned
        # from pattern gates; granting them to net candidates let anything through).
        gated: dict[int, dict[str, float]] = {}
        for fid, lst in cands.items():
            for cand in lst:
                if cand.via == "pattern":
                    gated.setdefault(cand.clause.index, {})[fid] = cand.strength
        out = {fid: dict(v) for fid, v in known.items()}
        for fid, lst in todo.items():
            if not lst:
                continue
            rows = [row[c.clause.index] for c in lst]
            extra = np.array([extra_features(fid, gated.get(c.clause.index, {}), self.specs)
                              for c in lst])
            p = self.scorer.score(fid, emb[rows], extra)
            out.setdefault(fid, {}).update({c.clause.index: float(v) for c, v in zip(lst, p)})
        return out

    def _net_scores(self, clauses: Sequence[Clause]) -> dict[str, dict[int, float]]:
        """The recall net's score of every body clause for every fact it knows: {fact: {index: p}}."""
        net = getattr(self.scorer, "net", None)
        body = [c for c in clauses if not c.is_heading]
        if net is None or not body:
            return {}
        S = net.scores([c.text for c in body])
        return {f: {c.index: float(S[k, j]) for k, c in enumerate(body)}
                for j, f in enumerate(net.facts)}

    def _rescue(self, clauses: Sequence[Clause], cands: dict[str, list[Candidate]],
                probs: dict[str, dict[int, float]], net: dict[str, dict[int, float]],
                vectors: dict[int, np.ndarray]) -> None:
        """Recall net: a boolean fact (or the retention level) that no pattern candidate
        proves gets the net's best clauses (at most `NET_TOP_K`, each at or above the fact's
        net threshold) as candidates, judged by the same calibrated model without the pattern
        features. Only facts that would otherwise be "not stated" pay for the extra
        embeddings."""
        if not net:
            return
        thresholds = self.scorer.net.thresholds
        by_index = {c.index: c for c in clauses}
        added = False
        for spec in self.specs:
            if spec.kind not in ("bool", "level") or spec.id not in net:
                continue
            p = probs.get(spec.id, {})
            if any(v >= DECISION_THRESHOLD for v in p.values()):
                continue
            have = {c.clause.index for c in cands[spec.id]}
            best = heapq.nsmallest(NET_TOP_K, net[spec.id].items(), key=lambda t: (-t[1], t[0]))
            picked = [by_index[i] for i, v in best
                      if v >= thresholds.get(spec.id, 1.0) and i not in have]
            for c in picked:
                if _net_admissible(spec, c, by_index.get(c.index - 1)):
                    # No pattern strength: a net candidate is judged without pattern features.
                    cands[spec.id].append(Candidate(c, 0.0, 0, via="net"))
                    added = True
        if added:
            probs.update(self._score_all(cands, probs, vectors))

    def _rank(self, cands: list[Candidate],
              probs: dict[int, float]) -> list[tuple[float, Candidate]]:
        scored = [(self._confidence(c.strength, probs.get(c.clause.index, 0.5)), c)
                  for c in cands]
        return sorted(scored, key=lambda t: (-t[0], t[1].clause.index))

    @staticmethod
    def _evidence(ranked: list[tuple[float, Candidate]]) -> list[Evidence]:
        return [Evidence.of(c.clause) for conf, c in ranked[:MAX_EVIDENCE]
                if conf >= DECISION_THRESHOLD]

    def _boolean(self, spec: FactSpec, ranked: list[tuple[float, Candidate]],
                 vetoed: bool = False) -> Fact:
        if ranked and ranked[0][0] >= DECISION_THRESHOLD and not vetoed:
            return Fact(spec.id, True, ranked[0][0], self._evidence(ranked))
        return Fact(spec.id, False, self._absent_confidence(ranked, vetoed), [])

    def _absent_confidence(self, ranked: list[tuple[float, Candidate]],
                           vetoed: bool = False) -> float:
        """Confidence in "not stated": the best candidate is not evidence, and nothing the
        patterns missed states it either."""
        best = ranked[0][0] if ranked and not vetoed else 0.0
        if not self.calibrated:
            return round(1.0 - best, 3)
        return round((1.0 - best) * self.absent, 3)

    def _not_stated(self, spec: FactSpec, ranked: list[tuple[float, Candidate]],
                    signals: tuple[float, float, bool, float]) -> float:
        """Confidence in "not stated" = 1 − P(the policy states it after all), from the
        `NotStatedModel` (the signals of `extract_with_signals` and how often policies state
        the fact), never above 1 − the best candidate's probability; the older rule when the
        scorer has no such model."""
        model = getattr(self.scorer, "not_stated", None)
        if model is None:
            return self._absent_confidence(ranked)
        # The policy states the fact at least as surely as its best candidate clause does (a
        # calibrated probability), whatever the policy-level model makes of the signals.
        cand_best = signals[1] if self.calibrated else 0.0
        return round(1.0 - max(model.p_stated(spec.id, *signals), cand_best), 3)

    def _age(self, spec: FactSpec, ranked: list[tuple[float, Candidate]]) -> Fact:
        options = []
        for conf, cand in ranked:
            c = cand.clause
            ages = find_ages(c.text)
            if not ages or not (_CHILD.search(c.text) or _CHILD.search(c.section)
                                 or _UNDER_AGE.search(c.text) or _AGE_REQUIRED.search(c.text)):
                continue
            if _NOT_MIN_AGE.search(c.text):
                continue  # who may remove their posts, or may not be sold to: not a minimum age
            strong = bool(_AGE_STRONG.search(c.text))
            in_section = bool(_CHILD.search(c.section))
            score = 0.55 + 0.25 * strong + 0.15 * in_section + 0.05 * (conf >= 0.5)
            options.append((score, min(a for a, _, _ in ages), c))
        if not options:
            return Fact(spec.id, None, 0.9, [])
        best = max(s for s, _, _ in options)
        # Among the strongest statements, the lowest age is the one below which the service
        # refuses everyone ("under 13, or 16 in the EEA" → 13 is where it refuses all).
        top = [o for o in options if o[0] >= best - 1e-9]
        score, age, clause = min(top, key=lambda o: (o[1], o[2].index))
        ev = [Evidence.of(clause)] + [Evidence.of(c) for s, a, c in top
                                      if c is not clause and a == age][:MAX_EVIDENCE - 1]
        return Fact(spec.id, age, round(min(score, 1.0), 3), ev)

    def _retention(self, ranked: list[tuple[float, Candidate]], facts: dict[str, Fact],
                   cands: dict[str, list[Candidate]], clauses: Sequence[Clause]) -> None:
        """`retention.level` and `retention.periods` from the level's ranked candidates."""
        accepted = [(conf, c) for conf, c in ranked if conf >= DECISION_THRESHOLD]
        specific = []
        # Durations also count in clauses outside the retention candidates when a retention
        # verb governs them ("refresh tokens (90 days)" sits in a list of stored data).
        pool = {c.clause.index: (conf, c.clause) for conf, c in accepted}
        for lst in cands.values():
            for cand in lst:
                pool.setdefault(cand.clause.index, (0.6, cand.clause))
        for clause in clauses:
            if _table_header(clause):
                pool.setdefault(clause.index, (0.6, clause))
        for conf, clause in sorted(pool.values(), key=lambda t: t[1].index):
            # A table row's header governs its cells; a list's lead-in does not ("You can:").
            periods = _retention_periods(clause.text, _table_header(clause))
            if periods:
                specific.append((max(conf, 0.75), clause, periods))
        if specific:
            periods = list(dict.fromkeys(p for _, _, ps in specific for p in ps))
            ev = [Evidence.of(c) for _, c, _ in sorted(specific, key=lambda t: -t[0])[:MAX_EVIDENCE]]
            conf = max(c for c, _, _ in specific)
            facts["retention.level"] = Fact("retention.level", "specific", round(conf, 3), ev)
            facts["retention.periods"] = Fact("retention.periods", "; ".join(periods),
                                              round(conf, 3), ev)
        elif accepted:
            facts["retention.level"] = Fact("retention.level", "vague", round(accepted[0][0], 3),
                                             self._evidence(accepted))
            facts["retention.periods"] = Fact("retention.periods", "", round(accepted[0][0], 3), [])
        else:
            conf = self._absent_confidence(ranked)
            facts["retention.level"] = Fact("retention.level", "none", conf, [])
            facts["retention.periods"] = Fact("retention.periods", "", conf, [])


def _net_admissible(spec: FactSpec, clause: Clause, before: Clause | None) -> bool:
    """A recall-net candidate obeys the fact's exclusions, context and negation like a
    pattern candidate would."""
    text = clause.text
    if any(x.search(text) for x in spec.exclude):
        return False
    if spec.context and not any(spec.context.search(t) for t in
                                (text, before.text if before else "", clause.section)):
        return False
    return not (spec.negation == "block" and _NEGATION.search(text))


def _table_header(clause: Clause) -> str:
    """The header row a table row is read with (`segment.segment`); "" for any other clause."""
    return clause.lead_in if CELL_SEPARATOR in clause.lead_in else ""


def _retention_periods(text: str, context: str = "") -> list[str]:
    """Durations in `text` that govern keeping or deleting data (not reply deadlines). A
    retention verb in `context` (a table row's header: "How long we keep it") governs them
    too."""
    governed = bool(context) and bool(_RETENTION_VERB.search(context))
    out = []
    for d in find_durations(text):
        if d.unit in ("second", "minute"):
            continue  # session lifetimes and codes, not data retention
        if re.match(r"\s*(?:old|of age|or (?:older|younger))\b", text[d.end:], re.IGNORECASE):
            continue  # an age ("minors under 18 years old"), not a period
        window = text[max(0, d.start - 90): d.end + 60]
        if _NOT_RETENTION.search(text[max(0, d.start - 60): d.end + 15]):
            continue
        if _DELAY.search(text[max(0, d.start - 30): d.start]) and (
                _OPT_OUT_DELAY.search(text[max(0, d.start - 60): d.end + 80])
                or _REQUEST_TIME.match(text, d.end)):
            continue
        if not (governed or _RETENTION_VERB.search(window)):
            continue
        out.append(d.text)
    return out
