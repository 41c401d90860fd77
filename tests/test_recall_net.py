"""The recall net and the "not stated" model (issue 13, parts 1 and 3).

A fact that no pattern candidate proves gets the recall net's best clauses as candidates, judged
by the clause classifier *without* pattern features; the net's best score anywhere and the best
candidate's probability make a calibrated "not stated" confidence."""
from __future__ import annotations

import numpy as np
import pytest

from extract.classify import NET_TOP_K, FactExtractor
from extract.model import Clause
from extract.scorers import NotStatedModel, RecallNet, load_scorer, text_features
from extract.taxonomy import taxonomy

ERASURE = "You can ask us to wipe everything we hold on you."  # no erasure pattern matches


class _Net(RecallNet):
    """A net that scores by a fixed word list (stands in for the trained one)."""

    def __init__(self, words: dict[str, str]):
        self.words = words
        super().__init__(sorted({f for f in words.values()}), None, np.zeros(0), {})
        self.thresholds = {f: 0.3 for f in self.facts}

    def scores(self, texts):
        return np.array([[0.9 if any(w in t and self.words[w] == f for w in self.words) else 0.01
                          for f in self.facts] for t in texts])


class _Scorer:
    """A calibrated scorer that says yes to clauses containing `yes`; records pattern features."""

    calibrated = True
    absent_confidence = 0.9

    def __init__(self, net, yes: str, not_stated=None):
        self.net, self.yes, self.not_stated, self.seen = net, yes, not_stated, []

    def score(self, fact_id, embeddings, extra=None):
        self.seen += [(fact_id, tuple(x)) for x in extra]
        return np.array([0.9 if e[0] > 0 else 0.1 for e in embeddings])


def _encode_marking(word):
    return lambda texts: np.array([[1.0 if word in t else -1.0] + [0.0] * 383 for t in texts])


def _clauses(*texts):
    out, pos = [], 0
    for i, t in enumerate(texts):
        out.append(Clause(i, t, pos, pos + len(t), 1))
        pos += len(t) + 1
    return out


def test_net_candidate_can_prove_a_fact_the_patterns_miss():
    clauses = _clauses("We collect your e-mail address.", ERASURE)
    scorer = _Scorer(_Net({"wipe": "rights.erasure"}), "wipe")
    facts = FactExtractor(_encode_marking("wipe"), scorer).extract(clauses)
    assert facts["rights.erasure"].value is True
    assert facts["rights.erasure"].evidence[0].text == ERASURE
    # judged as the ungated clause it is: no pattern features granted to the net's pick
    assert ("rights.erasure", (0.0, 0.0, 0.0)) in scorer.seen


def test_net_candidate_the_classifier_rejects_stays_not_stated():
    clauses = _clauses("We collect your e-mail address.", ERASURE)
    scorer = _Scorer(_Net({"wipe": "rights.erasure"}), "wipe")
    facts = FactExtractor(_encode_marking("nothing-matches"), scorer).extract(clauses)
    assert facts["rights.erasure"].value is False and not facts["rights.erasure"].evidence


def test_net_adds_at_most_top_k_clauses_per_fact():
    texts = [f"Wipe request number {i} is handled by our team." for i in range(6)]
    encoded = []
    scorer = _Scorer(_Net({"Wipe": "rights.erasure"}), "x")

    def encode(batch):
        encoded.extend(batch)
        return np.full((len(batch), 384), -1.0)
    FactExtractor(encode, scorer).extract(_clauses(*texts))
    assert len(set(encoded)) == NET_TOP_K


def test_not_stated_confidence_falls_when_the_policy_looks_like_it_states_the_fact():
    model = NotStatedModel(np.array([1.0, 1.0, 0.5, 2.0, 1.0]), -2.0, {"rights.erasure": 0.5})
    quiet = model.p_stated("rights.erasure", 0.01, 0.0, False, 0.0)
    loud = model.p_stated("rights.erasure", 0.99, 0.45, True, 0.8)
    assert 0 <= quiet < loud <= 1
    clauses = _clauses("We collect your e-mail address.", ERASURE)
    scorer = _Scorer(_Net({"wipe": "rights.erasure"}), "wipe", not_stated=model)
    facts = FactExtractor(_encode_marking("nothing-matches"), scorer).extract(clauses)
    assert facts["rights.erasure"].confidence == pytest.approx(
        1 - model.p_stated("rights.erasure", 0.9, 0.1, False, 0.0), abs=1e-3)


def test_not_stated_is_never_surer_than_its_best_candidate_allows():
    """A candidate the classifier finds 45 % likely leaves "not stated" at most 55 % sure,
    however little the policy-level model makes of it."""
    model = NotStatedModel(np.zeros(5), -8.0, {"rights.erasure": 0.5})  # P(stated) ~ 0
    clauses = _clauses("We collect your e-mail address.", "You may request deletion of your data.")

    class _Maybe(_Scorer):
        def score(self, fact_id, embeddings, extra=None):
            return np.full(len(embeddings), 0.45)
    scorer = _Maybe(_Net({"deletion": "rights.erasure"}), "x", not_stated=model)
    facts = FactExtractor(_encode_marking("x"), scorer).extract(clauses)
    assert facts["rights.erasure"].value is False
    assert facts["rights.erasure"].confidence == pytest.approx(0.55, abs=1e-3)


RETENTION = "Old records go once nobody has needed them for a while."  # no retention pattern


def test_net_candidate_can_give_the_retention_level_the_patterns_miss():
    clauses = _clauses("We collect your e-mail address.", RETENTION)
    scorer = _Scorer(_Net({"Old records": "retention.level"}), "x")
    facts = FactExtractor(_encode_marking("Old records"), scorer).extract(clauses)
    assert facts["retention.level"].value == "vague"
    assert facts["retention.level"].evidence[0].text == RETENTION


def test_retention_none_is_as_sure_as_the_not_stated_model_says():
    model = NotStatedModel(np.array([1.0, 1.0, 0.5, 2.0, 1.0]), -2.0, {"retention.level": 0.5})
    clauses = _clauses("We collect your e-mail address.", RETENTION)
    scorer = _Scorer(_Net({"Old records": "retention.level"}), "x", not_stated=model)
    facts = FactExtractor(_encode_marking("nothing-matches"), scorer).extract(clauses)
    assert facts["retention.level"].value == "none"
    want = 1 - model.p_stated("retention.level", 0.9, 0.1, False, 0.0)
    assert facts["retention.level"].confidence == pytest.approx(want, abs=1e-3)
    assert facts["retention.periods"].confidence == facts["retention.level"].confidence


def test_text_features_are_stateless_and_normalised():
    a = text_features(["You may request deletion of your data."])
    b = text_features(["You may request deletion of your data."])
    assert (a != b).nnz == 0 and np.isclose(a.multiply(a).sum(), 1.0)


def test_checked_in_net_and_not_stated_model_load_and_rank_sensibly():
    scorer = load_scorer(strict=True)
    assert scorer.net is not None and scorer.not_stated is not None
    assert scorer.net.facts == [s.id for s in taxonomy() if s.id in scorer.models]
    s = scorer.net.scores(["You have the right to have your personal data erased.",
                           "Our office is open from nine to five on weekdays."])
    j = scorer.net.column("rights.erasure")
    assert s[0, j] > s[1, j]
