"""Jensen-Shannon's relative entropy without scipy.special (whose import costs a small drift check
more than its tests): ``rel_entr`` against ``scipy.special.rel_entr`` and ``js_distance`` against
``scipy.spatial.distance.jensenshannon``, which Evidently's jensenshannon test calls."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import jensenshannon as scipy_js
from scipy.special import rel_entr as scipy_rel_entr

from mlmon.stats.univariate.jensenshannon import js_distance, rel_entr

counts = arrays(np.float64, st.integers(1, 40), elements=st.integers(0, 10_000).map(float))


@settings(max_examples=300, deadline=None)
@given(p=counts, q_seed=st.integers(0, 2**32 - 1))
def test_rel_entr_is_scipys_where_the_mixture_holds_x(p, q_seed):
    q = np.random.default_rng(q_seed).integers(0, 50, p.size).astype(float)
    if p.sum() == 0 or q.sum() == 0:
        return
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2.0
    ours, theirs = rel_entr(p, m), scipy_rel_entr(p, m)
    # numpy's log and scipy's differ in the last bit: an error of a few ulp in log(x / y), times x
    assert (np.abs(ours - theirs) <= 4 * np.finfo(float).eps * p + 1e-15 * np.abs(theirs)).all()
    assert (ours[p == 0] == 0.0).all()
    assert abs(js_distance(p, q) - scipy_js(p, q)) <= 1e-15


def test_rel_entr_broadcasts_one_reference_over_rows_of_windows():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    m = (p + q) / 2.0
    np.testing.assert_allclose(rel_entr(p, m), scipy_rel_entr(p, m), rtol=1e-15)
    assert rel_entr(p, m)[1].tolist() == [0.0, 0.0, 0.0]  # identical shares: no divergence


def test_hand_values():
    # 0.5 * ln(0.5 / 0.25) = 0.5 ln 2; a zero share contributes 0 whatever the mixture holds
    assert rel_entr(np.array([0.5, 0.0]), np.array([0.25, 0.3])).tolist() == [0.5 * np.log(2.0), 0.0]
    # disjoint supports: the distance is sqrt(ln 2), its maximum in natural log
    assert abs(js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) - np.sqrt(np.log(2.0))) < 1e-15
