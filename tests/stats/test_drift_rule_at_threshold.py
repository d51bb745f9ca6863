"""Every registered drift test decides by its declared rule (``drift_rule``), including when
its score equals the threshold: a ``<=`` test (ks, as in Evidently) reports drift there, a
``<`` test does not. A test that compared with the wrong operator would pass every check
whose score is not exactly on the threshold."""

from __future__ import annotations

import operator

import numpy as np
import pytest

from mlmon.stats import univariate as U

RULES = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _samples(test):
    rng = np.random.default_rng(5)
    if "embedding" in test.column_types:  # vectors: (rows, dimension)
        return rng.normal(0, 1, (200, 4)), rng.normal(0.2, 1, (200, 4)), "embedding"
    if U.NUMERICAL in test.column_types:
        return np.sort(rng.normal(0, 1, 200)), np.sort(rng.normal(0.2, 1, 200)), U.NUMERICAL
    # two categories: the z and Fisher tests accept no more
    return (rng.random(200) < 0.4).astype(np.int64), (rng.random(200) < 0.5).astype(np.int64), U.CATEGORICAL


@pytest.mark.parametrize("test_id", U.known_ids())
def test_the_verdict_follows_the_declared_rule_at_and_beside_the_threshold(test_id):
    test = U.get(test_id)
    ref, cur, column_type = _samples(test)
    score = test(ref, cur, column_type).score
    assert np.isfinite(score), (test_id, score)
    rule = RULES[U.drift_rule(test)]
    for threshold in (score, np.nextafter(score, np.inf), np.nextafter(score, -np.inf)):
        drifted = test(ref, cur, column_type, threshold=float(threshold)).drifted
        assert drifted == rule(score, threshold), (test_id, U.drift_rule(test), score, threshold)


def test_the_declared_rules_are_evidentlys():
    # Evidently 0.7: ks and cramer_von_mises compare p <= threshold, energy distance d > threshold,
    # every other p-value test p < threshold and every other distance d >= threshold
    rules = {test_id: U.drift_rule(U.get(test_id)) for test_id in U.known_ids()}
    assert {k: v for k, v in rules.items() if v in ("<=", ">")} == {"ks": "<=", "cramer_von_mises": "<=", "ed": ">"}
    assert rules["z"] == rules["chisquare"] == rules["t_test"] == "<"
    assert rules["psi"] == rules["wasserstein"] == rules["jensenshannon"] == ">="


def test_ks_of_a_sample_with_itself_at_threshold_one_is_drift():
    # identical samples: D = 0, p = 1 exactly, and 1 <= 1
    x = np.linspace(0.0, 1.0, 50)
    result = U.get("ks")(x, x, U.NUMERICAL, threshold=1.0)
    assert (result.score, result.statistic, result.drifted) == (1.0, 0.0, True)
