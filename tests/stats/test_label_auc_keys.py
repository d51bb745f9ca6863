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


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 2_000), st.integers(1, 6), st.booleans())
def test_log_loss_and_its_interval_per_window_equal_a_plain_computation(seed, n, n_groups, threaded):
    """The mean log loss per window (scikit-learn's log_loss) and its interval, mean ± z·s/√n
    with the sample standard deviation (numpy, ddof=1) and the lower end at 0, whether the rows
    are bucketed serially or on threads."""
    import mlmon.stats.classification as cls
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    p = np.round(rng.random(n), 3)
    p[:3] = [0.0, 1.0, 0.5][: min(3, n)]  # certain predictions are clipped, as scikit-learn does
    y = (rng.random(n) < p).astype(np.int64)
    saved = cls.PARALLEL_ROWS
    try:
        cls.PARALLEL_ROWS = 0 if threaded else saved
        m = cls.binary_metrics(y, (p >= 0.5).astype(np.int64), groups, n_groups, proba=p)
    finally:
        cls.PARALLEL_ROWS = saved
    eps = np.finfo(np.float64).eps
    for w in range(n_groups):
        rows = groups == w
        if not rows.any():
            assert np.isnan(m.values["log_loss"][w])
            continue
        assert m.values["log_loss"][w] == pytest.approx(log_loss(y[rows], p[rows], labels=[0, 1]), rel=1e-12)
        losses = -np.log(np.clip(np.where(y[rows] == 1, p[rows], 1 - p[rows]), eps, 1 - eps))
        if rows.sum() < 2:
            assert np.isnan(m.lower["log_loss"][w])
            continue
        half = 1.959963984540054 * losses.std(ddof=1) / np.sqrt(rows.sum())
        assert m.lower["log_loss"][w] == pytest.approx(max(losses.mean() - half, 0.0), rel=1e-9, abs=1e-12)
        assert m.upper["log_loss"][w] == pytest.approx(losses.mean() + half, rel=1e-9, abs=1e-12)


def test_a_one_row_window_has_its_log_loss_and_float32_scores_are_read_as_their_values():
    """A window of one row still has a log loss (scikit-learn's on that row); float32
    probabilities are scored as the float64 values they hold."""
    from sklearn.metrics import log_loss

    from mlmon.stats.classification import binary_metrics

    y = np.array([1, 0, 1, 1, 0])
    p = np.array([0.7, 0.2, 0.4, 0.9, 0.6], dtype=np.float32)
    g = np.array([0, 1, 1, 1, 1])
    m = binary_metrics(y, (p >= 0.5).astype(int), g, 2, proba=p)
    wide = p.astype(np.float64)
    assert m.values["log_loss"][0] == pytest.approx(log_loss([1], [wide[0]], labels=[0, 1]), rel=1e-15)
    assert m.values["log_loss"][1] == pytest.approx(log_loss(y[1:], wide[1:]), rel=1e-14)
    assert np.isnan(m.values["auc_roc"][0]) and m.values["auc_roc"][1] == roc_auc_score(y[1:], wide[1:]) == 0.75
    assert label_auc(p, y, g, 2)[0][1] == 0.75


def test_hundreds_of_windows_out_of_order_each_get_their_own_auc():
    """More than 256 windows: the window index no longer fits 8 bits (the radix key widens)."""
    rng = np.random.default_rng(3)
    n_groups = 300
    groups = rng.permutation(np.repeat(np.arange(n_groups), 8))
    score = rng.random(groups.size)
    positive = rng.random(groups.size) < 0.5
    auc = label_auc(score, positive, groups, n_groups)[0]
    for w in range(n_groups):
        rows = groups == w
        if 0 < positive[rows].sum() < rows.sum():
            assert auc[w] == pytest.approx(roc_auc_score(positive[rows], score[rows]), abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 300), st.integers(1, 5), st.integers(2, 4))
def test_support_is_each_windows_count_of_labels_per_class(seed, n, n_groups, k):
    from mlmon.stats.classification import binary_metrics, multiclass_metrics

    def label_counts(y, classes):
        return [[int(np.sum((groups == w) & (y == c))) for c in range(classes)] for w in range(n_groups)]

    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    y, yhat = rng.integers(0, 2, n), rng.integers(0, 2, n)
    assert binary_metrics(y, yhat, groups, n_groups).support.tolist() == label_counts(y, 2)
    y, yhat = rng.integers(0, k, n), rng.integers(0, k, n)
    assert multiclass_metrics(y, yhat, groups, n_groups, k).support.tolist() == label_counts(y, k)


def test_a_single_prediction_has_scikit_learns_log_loss():
    from sklearn.metrics import log_loss

    from mlmon.stats.classification import binary_metrics

    m = binary_metrics(np.array([0]), np.array([1]), np.zeros(1, dtype=int), 1, proba=np.array([0.8]))
    assert m.values["log_loss"][0] == pytest.approx(log_loss([0], [0.8], labels=[0, 1]), rel=1e-15)  # -log(0.2)
    assert np.isnan(m.values["auc_roc"][0])


def _threaded(workers):
    """PARALLEL_ROWS at 0 and ``workers`` cores: every call buckets its rows in parts on threads."""
    import contextlib

    import mlmon.stats.classification as cls

    @contextlib.contextmanager
    def patched():
        saved = (cls.PARALLEL_ROWS, cls.os.cpu_count)
        cls.PARALLEL_ROWS, cls.os.cpu_count = 0, (lambda: workers)
        try:
            yield
        finally:
            cls.PARALLEL_ROWS, cls.os.cpu_count = saved

    return patched()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 2_000), st.integers(1, 12), st.sampled_from([1, 2, 3]),
       st.sampled_from(["shuffled", "in order", "first half in order"]))
def test_confusion_counts_from_the_sorting_pass_equal_a_plain_count(seed, n, n_groups, workers, order):
    """With probabilities, tp/fp/fn/tn per window come out of the pass that buckets the rows for
    the AUC: every count-based metric equals the one from the plain count (``binary_counts``,
    the path without probabilities) to the bit, and the counts equal a count by hand; whether
    the rows are in window order, shuffled, or in order in one part only."""
    from mlmon.stats.classification import BINARY_METRICS, binary_metrics

    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    if order == "in order":
        groups = np.sort(groups)
    elif order == "first half in order":
        groups[: n // 2] = np.sort(groups[: n // 2])
    p = np.round(rng.random(n), 2)
    y = (rng.random(n) < p).astype(np.int64)
    yhat = (rng.random(n) < 0.5).astype(np.int64)  # predictions that are not a threshold of p
    plain = binary_metrics(y, yhat, groups, n_groups)
    with _threaded(workers):
        both = binary_metrics(y, yhat, groups, n_groups, proba=p)
        as_floats = binary_metrics(y.astype(float), yhat.astype(float), groups, n_groups, proba=p)  # 0.0/1.0 columns
    assert all(np.array_equal(as_floats.values[k], both.values[k], equal_nan=True) for k in both.values)
    counted = [[int(np.sum((groups == w) & (y == a) & (yhat == b))) for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))]
               for w in range(n_groups)]
    tn, fp, fn, tp = np.array(counted).T
    assert both.n.tolist() == (tn + fp + fn + tp).tolist()
    assert both.support.tolist() == np.column_stack((tn + fp, fn + tp)).tolist()
    assert both.values["false_positive_cost"].tolist() == fp.astype(float).tolist()
    assert both.values["false_negative_cost"].tolist() == fn.astype(float).tolist()
    for name in BINARY_METRICS:
        if name in ("auc_roc", "log_loss"):
            continue
        for table in ("values", "lower", "upper"):
            assert np.array_equal(getattr(both, table)[name], getattr(plain, table)[name], equal_nan=True), (name, table)


def test_a_score_of_two_or_more_in_one_part_only_reads_every_part_unsigned():
    """Each part picks its key type from its own largest score: one part below 2 (signed keys),
    the other with scores up to 1e300 (unsigned). A window holding rows of both still sorts
    them as numbers: scikit-learn's AUC."""
    score = np.array([0.1, 0.6, 0.5, 1.5, 3.0, 0.2, 1e300, 0.7])
    y = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    g = np.zeros(8, dtype=int)
    with _threaded(2):
        auc, n_pos, n_neg = label_auc(score, y, g, 1)
    assert auc[0] == roc_auc_score(y, score) == 1.0 - 1 / 16  # one pair of 16 the wrong way: 0.6 (positive, first part) < 0.7
    assert (n_pos[0], n_neg[0]) == (4, 4)
    y2 = np.array([1, 0, 1, 0, 0, 1, 0, 1])  # the other way round: every positive in the first part
    with _threaded(2):
        assert label_auc(score, y2, g, 1)[0][0] == roc_auc_score(y2, score)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3_000), st.sampled_from([1, 2, 3, 6, None]))
def test_sums_over_runs_of_one_score_equal_sums_over_rows(seed, n, decimals):
    """One window's Mann-Whitney numerator, log-loss sum and squared deviations, whether taken
    over runs of equal scores (few distinct scores: 1-3 decimals) or over rows (most scores
    distinct: 6 decimals or none): the numerator a count of half pairs, scikit-learn's AUC
    times the pairs, and the sums to 1e-12 of a plain per-row computation."""
    from sklearn.metrics import roc_auc_score

    from mlmon.stats.classification import _sorted_window

    rng = np.random.default_rng(seed)
    p = rng.beta(2, 3, n)
    if decimals is not None:
        p = np.round(p, decimals)
    p[: min(2, n)] = [0.0, 1.0][: min(2, n)]  # certain predictions are clipped, as scikit-learn does
    y = rng.random(n) < p
    seg = np.sort((p.view(np.int64) << 1) | y)
    num, total, ssd = _sorted_window(seg, True)
    eps = np.finfo(np.float64).eps
    losses = -np.log(np.clip(np.where(y, p, 1 - p), eps, 1 - eps))
    assert total == pytest.approx(losses.sum(), rel=1e-12)
    assert ssd == pytest.approx(np.sum((losses - losses.mean()) ** 2), rel=1e-10, abs=1e-12)
    if 0 < y.sum() < n:
        assert num == pytest.approx(roc_auc_score(y, p) * y.sum() * (n - y.sum()), rel=1e-12)
        assert (2 * num).is_integer()  # whole pairs and half pairs: exact
    assert _sorted_window(seg, False)[0] == num and np.isnan(_sorted_window(seg, False)[1])


def test_a_window_of_one_score_is_one_run():
    """Every row the same score: one run, every pair of a positive and a negative tied (AUC 1/2)."""
    from mlmon.stats.classification import _sorted_window

    y = np.array([1, 0, 0, 1, 0])
    seg = np.sort((np.full(5, 0.25).view(np.int64) << 1) | y)
    num, total, ssd = _sorted_window(seg, True)
    assert num == 0.5 * 2 * 3  # 2 positives x 3 negatives, each pair half
    assert total == pytest.approx(-2 * np.log(0.25) - 3 * np.log(0.75), rel=1e-15)
    mean = total / 5
    assert ssd == pytest.approx(2 * (-np.log(0.25) - mean) ** 2 + 3 * (-np.log(0.75) - mean) ** 2, rel=1e-14)
