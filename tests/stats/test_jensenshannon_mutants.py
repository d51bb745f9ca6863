"""Jensen-Shannon distance: zero shares, normalisation, the drift rule at the threshold.

Expected values from ``scipy.spatial.distance.jensenshannon`` and ``scipy.special.rel_entr``
(natural logarithm), and by hand (noted at each figure).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon as scipy_js
from scipy.special import rel_entr

from mlmon.stats import univariate as U
from mlmon.stats.univariate.jensenshannon import js_distance, js_terms, jensenshannon


def test_terms_with_zero_shares_on_either_side_and_on_both():
    # rel_entr(p, m) + rel_entr(q, m), m = (p + q) / 2: a share against nothing costs p ln 2 (hand)
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.5, 0.5, 0.0])
    m = (p + q) / 2
    got = js_terms(p, q)
    assert got == pytest.approx(rel_entr(p, m) + rel_entr(q, m), rel=1e-15, abs=0)
    assert got.tolist() == pytest.approx([0.5 * math.log(2), 0.0, 0.5 * math.log(2), 0.0], rel=1e-15, abs=0)
    assert got[3] == 0.0 and got[1] == 0.0


def test_terms_of_unequal_shares_match_rel_entr():
    p = np.array([0.1, 0.2, 0.7])
    q = np.array([0.3, 0.3, 0.4])
    m = (p + q) / 2
    assert js_terms(p, q) == pytest.approx(rel_entr(p, m) + rel_entr(q, m), rel=1e-13)


def test_terms_broadcast_one_reference_against_several_rows():
    p = np.array([0.5, 0.5])
    q = np.array([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]])
    got = js_terms(p, q)
    assert got.shape == (3, 2)
    for row, qi in zip(got, q):
        m = (p + qi) / 2
        assert row == pytest.approx(rel_entr(p, m) + rel_entr(qi, m), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("p, q", [
    ([0.5, 0.5], [0.25, 0.75]),     # 0.183908 (the module's example)
    ([2.0, 2.0], [1.0, 3.0]),       # counts: normalised first, the same 0.183908
    ([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]),  # sqrt(ln 2 / 2) = 0.588705 (hand)
    ([5.0, 1.0, 0.0, 4.0], [1.0, 1.0, 3.0, 0.0]),
])
def test_distance_matches_scipy_jensenshannon(p, q):
    assert js_distance(np.array(p), np.array(q)) == pytest.approx(scipy_js(p, q), rel=1e-12)


def test_distance_of_disjoint_supports_is_sqrt_ln_2():
    assert js_distance(np.array([3.0, 0.0]), np.array([0.0, 7.0])) == pytest.approx(math.sqrt(math.log(2)), rel=1e-15)


def test_categorical_example_and_the_default_threshold():
    # shares (0.5, 0.5) against (0.25, 0.75): scipy 0.18390779; default threshold 0.1
    r = jensenshannon(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), "categorical")
    assert r.score == pytest.approx(0.18390779094047432, rel=1e-12)
    assert r.drifted is True
    assert U.get("jensenshannon").default_threshold == 0.1
    # 0.1 by default: shares (0.5, 0.5) against (0.45, 0.55) are 0.0354 apart, no drift
    small = jensenshannon(np.repeat([0, 1], [50, 50]), np.repeat([0, 1], [45, 55]), "categorical")
    assert small.score == pytest.approx(scipy_js([0.5, 0.5], [0.45, 0.55]), rel=1e-12)
    assert small.drifted is False
    assert jensenshannon(np.repeat([0, 1], [50, 50]), np.repeat([0, 1], [45, 55]), "categorical", 0.03).drifted is True


def test_drift_at_the_threshold_itself():
    ref, cur = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    score = jensenshannon(ref, cur, "categorical", 0.1).score
    assert jensenshannon(ref, cur, "categorical", score).drifted is True
    assert jensenshannon(ref, cur, "categorical", float(np.nextafter(score, 1.0))).drifted is False


def test_presorted_inputs_give_the_same_distance():
    rng = np.random.default_rng(0)
    ref, cur = np.sort(rng.normal(size=500)), np.sort(rng.normal(0.3, 1.0, size=300))
    a = jensenshannon(ref, cur, "numerical", 0.1, presorted=True)
    b = jensenshannon(rng.permutation(ref), rng.permutation(cur), "numerical", 0.1)
    assert a.score == pytest.approx(b.score, rel=1e-12)


def test_from_summary_on_category_counts_is_the_distance_of_the_counts():
    # counts (2, 2) against (1, 3): scipy 0.18390779, exact, drift at 0.1 and not at 0.2
    js = U.get("jensenshannon")
    r = js.from_summary(np.array([2, 2]), np.array([1, 3]), "categorical", 0.1)
    assert r.score == pytest.approx(0.18390779094047432, rel=1e-12)
    assert r.drifted is True and r.approximate is False
    assert js.from_summary(np.array([2, 2]), np.array([1, 3]), "categorical", 0.2).drifted is False


def test_terms_of_float32_shares_are_computed_in_double_precision():
    p32 = np.array([0.1000001, 0.2999999, 0.6], dtype=np.float32)
    q32 = np.array([0.1000002, 0.2999998, 0.6], dtype=np.float32)
    p, q = p32.astype(np.float64), q32.astype(np.float64)
    m = (p + q) / 2
    expected = rel_entr(p, m) + rel_entr(q, m)
    got = js_terms(p32, q32)
    assert got.dtype == np.float64
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-18)
    got_q = js_terms(p, q32)
    assert got_q == pytest.approx(expected, rel=1e-6, abs=1e-18)
    assert js_terms(p32, q) == pytest.approx(expected, rel=1e-6, abs=1e-18)
