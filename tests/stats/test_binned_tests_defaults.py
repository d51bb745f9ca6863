"""psi and jensenshannon called with their defaults: unsorted rows (presorted=False) and the
default threshold 0.1, against a plain numpy computation of Evidently's bins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon as scipy_js

from mlmon.stats.univariate.jensenshannon import jensenshannon
from mlmon.stats.univariate.psi import psi


def _shares():
    # unsorted rows; Sturges bins over the combined 500 values (Evidently's get_binned_data),
    # 10 bins here, none empty on either side, so no zero filling is involved
    ref = np.random.default_rng(3).uniform(0.0, 1.0, 300)
    cur = np.random.default_rng(4).uniform(0.1, 1.1, 200)
    edges = np.histogram_bin_edges(np.r_[ref, cur], bins="sturges")
    r, c = np.histogram(ref, edges)[0] / ref.size, np.histogram(cur, edges)[0] / cur.size
    assert r.min() > 0 and c.min() > 0
    return ref, cur, r, c


def test_psi_sorts_unsorted_rows_by_default():
    ref, cur, r, c = _shares()
    assert psi(ref, cur, "numerical").score == pytest.approx(np.sum((r - c) * np.log(r / c)), rel=1e-12)


def test_jensenshannon_sorts_unsorted_rows_by_default():
    ref, cur, r, c = _shares()
    assert jensenshannon(ref, cur, "numerical").score == pytest.approx(scipy_js(r, c), rel=1e-12)


def test_psi_default_threshold_is_one_tenth():
    # shares (3/4, 1/4) against (1/4, 3/4): PSI = 0.5 ln 3 + 0.5 ln 3 = ln 3 = 1.0986, and
    # (9/10, 1/10) against (8/10, 2/10): 0.1 ln(9/8) + 0.1 ln 2 = 0.0811 (hand calculation)
    assert psi(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), "categorical").drifted
    low = psi(np.array([0] * 9 + [1]), np.array([0] * 8 + [1] * 2), "categorical")
    assert low.score == pytest.approx(0.1 * np.log(9 / 8) + 0.1 * np.log(2), rel=1e-12) and not low.drifted


def test_jensenshannon_default_threshold_is_one_tenth():
    # shares (1/2, 1/2) against (1/4, 3/4): 0.1839 (the module's example); (1/2, 1/2) against
    # (9/20, 11/20): 0.0354 (scipy.spatial.distance.jensenshannon)
    assert jensenshannon(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), "categorical").drifted
    low = jensenshannon(np.array([0] * 10 + [1] * 10), np.array([0] * 9 + [1] * 11), "categorical")
    assert low.score == pytest.approx(scipy_js([0.5, 0.5], [0.45, 0.55]), rel=1e-12) and not low.drifted


def test_js_distance_renormalises_like_scipy():
    from mlmon.stats.univariate.jensenshannon import js_distance

    # counts rather than shares: scipy divides each vector by its sum first
    p, q = np.array([1.0, 2.0, 3.0]), np.array([6.0, 2.0, 2.0])
    assert js_distance(p, q) == pytest.approx(scipy_js(p, q), rel=1e-12)
