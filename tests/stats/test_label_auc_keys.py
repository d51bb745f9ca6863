"""label_auc sorts integer keys made of each score's bits and its label: the AUC equals
scikit-learn's roc_auc_score on scores of any size >= 0 (keys signed below 2, unsigned above),
with ties, zeros and negative zeros, in windows given in any row order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from mlmon.stats.classification import label_auc

scores = st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.0, 1e300]),
                   st.floats(0, 1), st.floats(0, 1e6), st.integers(0, 4).map(float))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), scores, st.integers(0, 3)), min_size=1, max_size=80))
def test_label_auc_equals_sklearn_per_window(rows):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows])
    g = np.array([r[2] for r in rows])
    auc, n_pos, n_neg = label_auc(s, y, g, 4)
    for w in range(4):
        sel = g == w
        assert (n_pos[w], n_neg[w]) == (y[sel].sum(), (~y[sel]).sum())
        if len(set(y[sel])) == 2:
            assert auc[w] == pytest.approx(roc_auc_score(y[sel], s[sel]), abs=1e-12)
        else:
            assert np.isnan(auc[w])


def test_hand_counted_ties_between_classes_count_one_half():
    # positives 0.5, 0.5; negatives 0.5, 0.2: pairs (0.5>0.2) x2 = 2, (0.5=0.5) x2 = 2 halves -> 3 of 4
    s = np.array([0.5, 0.5, 0.5, 0.2])
    y = np.array([1, 1, 0, 0])
    assert label_auc(s, y, np.zeros(4, dtype=int), 1)[0][0] == 0.75 == roc_auc_score(y, s)
    # the same above 2 (unsigned keys)
    assert label_auc(s * 8, y, np.zeros(4, dtype=int), 1)[0][0] == 0.75


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3_000), st.integers(1, 12), st.sampled_from([2, 3, 5]),
       st.booleans())
def test_rows_bucketed_in_parts_on_threads_give_the_same_aucs_to_the_bit(seed, n, n_groups, workers, in_order):
    import mlmon.stats.classification as cls

    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    if in_order:
        groups = np.sort(groups)
    score = np.round(rng.random(n), 2)  # ties within and across classes
    positive = rng.random(n) < 0.4
    serial = label_auc(score, positive, groups, n_groups)[0]
    saved = (cls.PARALLEL_ROWS, cls.os.cpu_count)
    try:
        cls.PARALLEL_ROWS, cls.os.cpu_count = 0, (lambda: workers)
        threaded = label_auc(score, positive, groups, n_groups)[0]
    finally:
        cls.PARALLEL_ROWS, cls.os.cpu_count = saved
    assert np.array_equal(serial, threaded, equal_nan=True)
