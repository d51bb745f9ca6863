"""The embedding tests' kernel (stats/embedding.py) against independent references: the
linear-time MMD recomputed pair by pair with scikit-learn's RBF kernel and scipy's normal tail
(Gretton et al. 2012, Lemma 14 and Corollary 16), the classifier's weights against
scikit-learn's L2 logistic regression, its AUC against scikit-learn's and scipy's
Mann-Whitney, Hanley & McNeil's standard error by hand, and the automatic choice at its
boundaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.metrics.pairwise import rbf_kernel

from mlmon.stats import embedding as emb
from mlmon.stats.embedding import (METHODS, EmbeddingTest, choose_method, domain_classifier_test, embedding_test,
                                   hanley_mcneil_se, mmd_linear_test, mmd_permutation_test)
from mlmon.stats.mmd import mmd_test


def test_constants_and_methods():
    assert METHODS == ("mmd", "mmd_linear", "domain_classifier")
    assert (emb.SMALL, emb.CLASSIFIER_MIN_DIM, emb.CLASSIFIER_TRAIN, emb.BLOCK, emb.BANDWIDTH_ROWS) == \
        (5000, 16, 10_000, 65_536, 1000)


def test_the_automatic_choice_at_its_boundaries():
    assert choose_method(5000, 5000, 2) == "mmd"
    assert choose_method(10**6, 5000, 512) == "mmd"      # the smaller side decides
    assert choose_method(5001, 10**6, 16) == "domain_classifier"
    assert choose_method(10**6, 5001, 15) == "mmd_linear"


def _linear_by_hand(x, y, gamma, seed):
    """The seeded pairing (a permutation of each side), then h_i and its normal p-value."""
    rng = np.random.default_rng(seed)
    p = min(len(x), len(y)) // 2
    xi, yi = rng.permutation(len(x))[:2 * p], rng.permutation(len(y))[:2 * p]
    h = []
    for i in range(p):
        x1, x2, y1, y2 = (x[xi[2 * i]][None], x[xi[2 * i + 1]][None], y[yi[2 * i]][None], y[yi[2 * i + 1]][None])
        k = lambda a, b: float(rbf_kernel(a, b, gamma=gamma)[0, 0])
        h.append(k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1))
    h = np.array(h)
    se = h.std(ddof=1) / math.sqrt(p)
    return p, h.mean(), se, float(norm.sf(h.mean() / se))


@pytest.mark.parametrize("block", [emb.BLOCK, 3, 1])
def test_linear_mmd_equals_the_pairwise_formula_for_any_block(block):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(23, 3)).astype(np.float32)
    y = rng.normal(0.4, 1.0, size=(18, 3))
    p, mean, se, pv = _linear_by_hand(x.astype(np.float64), y, 0.3, seed=5)
    r = mmd_linear_test(x, y, gamma=0.3, seed=5, block=block, alpha=0.2)
    assert r.method == "mmd_linear" and r.alpha == 0.2
    assert r.details["pairs"] == p == 9 and r.details["dimension"] == 3 and r.details["gamma"] == 0.3
    assert r.statistic == pytest.approx(mean, rel=1e-9)
    assert r.details["standard_error"] == pytest.approx(se, rel=1e-9)
    assert r.p_value == pytest.approx(pv, rel=1e-9)
    assert r.drifted == (pv < 0.2)


def test_linear_mmd_without_spread_is_decided_by_its_sign():
    # identical rows on each side: every h is 2 - 2 exp(-gamma |x - y|²) > 0, se 0 -> p 0
    r = mmd_linear_test(np.zeros((4, 2)), np.ones((4, 2)), gamma=0.5)
    assert r.statistic == pytest.approx(2 - 2 * math.exp(-1.0), rel=1e-12)
    assert (r.p_value, r.drifted, r.details["standard_error"], r.details["pairs"]) == (0.0, True, 0.0, 2)
    # the same rows everywhere: h = 0, se 0 -> p 1
    # a small positive MMD² without spread still means p = 0
    small = mmd_linear_test(np.zeros((4, 2)), np.ones((4, 2)), gamma=0.05)
    assert small.statistic == pytest.approx(2 - 2 * math.exp(-0.1), rel=1e-12) and small.p_value == 0.0
    same = mmd_linear_test(np.ones((5, 2)), np.ones((4, 2)), gamma=0.5)
    assert (same.statistic, same.p_value, same.drifted) == (0.0, 1.0, False)


def test_linear_mmd_needs_two_pairs():
    with pytest.raises(ValueError, match="^the linear-time MMD needs at least 4 rows on each side$"):
        mmd_linear_test(np.zeros((3, 2)), np.ones((10, 2)), gamma=1.0)
    assert mmd_linear_test(np.zeros((4, 2)), np.ones((5, 2)), gamma=1.0).details["pairs"] == 2


def test_linear_mmd_bandwidth_is_positive_and_seeded():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 4)), rng.normal(size=(30, 4))
    a, b = mmd_linear_test(x, y, seed=1), mmd_linear_test(x, y, seed=1)
    assert a == b and a.details["gamma"] > 0
    # the bandwidth reads the pooled sample: scaling every value by 10 scales gamma by 1/100
    c = mmd_linear_test(10 * x, 10 * y, seed=1)
    assert c.details["gamma"] == pytest.approx(a.details["gamma"] / 100, rel=1e-9)


def _standardized(x, y, t, seed):
    rng = np.random.default_rng(seed)
    xo, yo = rng.permutation(len(x)), rng.permutation(len(y))
    xt, yt = x[np.sort(xo[:t])], y[np.sort(yo[:t])]
    both = np.concatenate([xt, yt])
    return xo, yo, both, both.mean(axis=0), both.std(axis=0)


def test_classifier_weights_auc_and_p_value_against_sklearn_and_scipy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 3))
    y = rng.normal(size=(50, 3)) + np.array([0.8, 0.0, 0.0])
    x[:, 2] = 7.0
    y[:, 2] = 7.0  # a constant column: its scale counts as 1
    t = 12
    r = domain_classifier_test(x, y, train=t, l2=2.0, seed=9, block=7, alpha=0.01)
    xo, yo, both, mean, scale = _standardized(x, y, t, 9)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1 / 2.0, tol=1e-12, max_iter=10_000).fit((both - mean) / scale, np.r_[np.zeros(t), np.ones(t)])
    sx = ((x[np.sort(xo[t:])] - mean) / scale) @ lr.coef_[0] + lr.intercept_[0]
    sy = ((y[np.sort(yo[t:])] - mean) / scale) @ lr.coef_[0] + lr.intercept_[0]
    auc = roc_auc_score(np.r_[np.zeros(sx.size), np.ones(sy.size)], np.r_[sx, sy])
    mw = mannwhitneyu(sy, sx, alternative="greater", method="asymptotic", use_continuity=False)
    assert r.method == "domain_classifier" and r.alpha == 0.01
    assert r.statistic == pytest.approx(auc, abs=1e-6)
    assert r.p_value == pytest.approx(mw.pvalue, rel=1e-4)
    assert r.drifted == (r.p_value < 0.01)
    se = hanley_mcneil_se(r.statistic, sy.size, sx.size)
    assert r.details["auc_interval"] == pytest.approx([max(0.0, auc - 1.96 * se), min(1.0, auc + 1.96 * se)],
                                                      abs=1e-6)
    assert (r.details["train_rows_per_side"], r.details["reference_rows_held_out"],
            r.details["current_rows_held_out"], r.details["dimension"]) == (12, 48, 38, 3)


def test_classifier_train_size_is_capped_by_half_of_each_side():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(11, 2))
    r = domain_classifier_test(x, y)
    assert r.details["train_rows_per_side"] == 5
    assert (r.details["reference_rows_held_out"], r.details["current_rows_held_out"]) == (25, 6)
    with pytest.raises(ValueError, match="^the classifier test needs at least 4 rows on each side$"):
        domain_classifier_test(x, y[:3])
    # the smaller side may be the reference
    assert domain_classifier_test(y, x).details["train_rows_per_side"] == 5
    assert domain_classifier_test(x, y[:4]).details["train_rows_per_side"] == 2


def test_a_perfect_classifier_clips_its_interval_at_one():
    x = np.zeros((40, 2))
    x[:, 0] = np.arange(40.0)
    y = x.copy()
    y[:, 1] = 10.0
    r = domain_classifier_test(x, y, seed=3)
    assert r.statistic == 1.0 and r.details["auc_interval"][1] == 1.0 and r.p_value < 1e-6


def test_an_auc_of_one_half_with_all_scores_tied_has_p_one_half():
    # every row identical: all scores tie, the AUC is 1/2, z = 0
    r = domain_classifier_test(np.ones((20, 3)), np.ones((20, 3)))
    assert r.statistic == 0.5 and r.p_value == 0.5 and not r.drifted


@pytest.mark.parametrize("a, n1, n0", [(0.8, 50, 50), (0.65, 30, 70), (0.5, 10, 3)])
def test_hanley_mcneil_by_hand(a, n1, n0):
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    want = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    assert hanley_mcneil_se(a, n1, n0) == pytest.approx(want, rel=1e-14)


def test_hanley_mcneil_of_a_perfect_auc_is_zero():
    assert hanley_mcneil_se(1.0, 20, 20) == 0.0


def test_auc_ties_against_mann_whitney():
    neg = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    pos = np.array([1.0, 2.0, 2.0, 4.0])
    auc, var0 = emb._auc(neg, pos)
    mw = mannwhitneyu(pos, neg, alternative="greater", method="asymptotic", use_continuity=False)
    assert auc == pytest.approx(mw.statistic / 20, rel=1e-14)
    assert norm.sf((auc - 0.5) / math.sqrt(var0)) == pytest.approx(mw.pvalue, rel=1e-12)


def test_embedding_test_dispatches_and_checks_shapes():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(24, 2))
    assert embedding_test(x, y).method == "mmd"
    assert embedding_test(x, y, "mmd_linear", seed=2) == mmd_linear_test(x, y, seed=2)
    assert embedding_test(x, y, "domain_classifier", alpha=0.3) == domain_classifier_test(x, y, alpha=0.3)
    assert embedding_test(x, y, "mmd", seed=4) == mmd_permutation_test(x, y, seed=4)
    with pytest.raises(ValueError, match="unknown embedding test 'energy'; use one of mmd, mmd_linear, "
                                         "domain_classifier"):
        embedding_test(x, y, "energy")
    with pytest.raises(ValueError, match="reference vectors have 2 values, current ones 3"):
        embedding_test(x, rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match=r"current must be a 2-D array \(rows, dimension\), got shape \(5,\)"):
        embedding_test(x, np.zeros(5))
    with pytest.raises(ValueError, match=r"reference must be a 2-D array .* got shape \(5, 0\)"):
        embedding_test(np.zeros((5, 0)), np.zeros((5, 0)))


def test_permutation_mmd_reports_the_quadratic_test_unstandardized():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(25, 2)), 1.3 * rng.normal(size=(20, 2))
    r = mmd_permutation_test(x, y, alpha=0.1, seed=3, n_permutations=50)
    m = mmd_test(x, y, alpha=0.1, seed=3, n_permutations=50, standardize=False)
    assert isinstance(r, EmbeddingTest) and r.method == "mmd" and r.alpha == 0.1
    assert (r.statistic, r.p_value, r.drifted) == (m.statistic, m.p_value, m.p_value < 0.1)
    assert r.details == {"reference_rows_used": 25, "current_rows_used": 20, "dimension": 2, "gamma": m.gamma,
                         "permutations": 50, "estimator": m.estimator}
    assert mmd_permutation_test(x, y).details["permutations"] == 200


@pytest.mark.parametrize("method", METHODS)
def test_the_drift_test_of_an_embedding_method_reports_its_p_value(method):
    from mlmon.stats.univariate import StatTestResult, embedding_tests

    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(40, 3)), rng.normal(0.3, 1.0, size=(36, 3))
    run = embedding_tests._test(method)   # the wrapper each method is registered with
    assert run.__name__ == method
    r = embedding_test(x, y, method, alpha=0.05)
    got = run(x, y, "embedding", 0.05)
    assert isinstance(got, StatTestResult)
    assert (got.score, got.drifted, got.statistic) == (r.p_value, r.p_value < 0.05, r.statistic)
    # drift is p strictly below the threshold, and the threshold is the test's level
    at = run(x, y, "embedding", r.p_value)
    assert at.drifted is False and at.score == r.p_value
    assert embedding_test(x, y, method, alpha=r.p_value).drifted is False


def test_linear_mmd_bandwidth_is_the_median_heuristic_on_at_most_500_rows_a_side():
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(17)
    x, y = rng.normal(size=(600, 2)), rng.normal(0.5, 1.0, size=(80, 2))
    r = mmd_linear_test(x, y, seed=4)
    # the seeded draws: 500 of the 600 reference rows, all 80 current rows (in their order), then the pairing
    draw = np.random.default_rng(4)
    ix = np.sort(draw.choice(600, 500, replace=False))
    iy = np.sort(draw.choice(80, 80, replace=False))
    d2 = pdist(np.concatenate([x[ix], y[iy]]), "sqeuclidean")
    gamma = 1.0 / np.median(d2[d2 > 0])
    assert r.details["gamma"] == pytest.approx(gamma, rel=1e-12)
    p = 40
    xi, yi = draw.permutation(600)[:2 * p], draw.permutation(80)[:2 * p]
    k = lambda a, b: np.exp(-gamma * ((a - b) ** 2).sum(axis=1))
    h = (k(x[xi[0::2]], x[xi[1::2]]) + k(y[yi[0::2]], y[yi[1::2]]) - k(x[xi[0::2]], y[yi[1::2]])
         - k(x[xi[1::2]], y[yi[0::2]]))
    assert r.statistic == pytest.approx(h.mean(), rel=1e-9)
    assert r.p_value == pytest.approx(norm.sf(h.mean() / (h.std(ddof=1) / math.sqrt(p))), rel=1e-9)


def test_classifier_default_penalty_is_one():
    rng = np.random.default_rng(19)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + np.array([0.6, 0.0])
    t = 20
    r = domain_classifier_test(x, y, seed=2)
    xo, yo, both, mean, scale = _standardized(x, y, t, 2)
    lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit((both - mean) / scale, np.r_[np.zeros(t), np.ones(t)])
    sx = ((x[np.sort(xo[t:])] - mean) / scale) @ lr.coef_[0] + lr.intercept_[0]
    sy = ((y[np.sort(yo[t:])] - mean) / scale) @ lr.coef_[0] + lr.intercept_[0]
    assert r.statistic == pytest.approx(roc_auc_score(np.r_[np.zeros(sx.size), np.ones(sy.size)], np.r_[sx, sy]),
                                        abs=1e-9)
    w = emb._logistic((both - mean) / scale, np.r_[np.zeros(t), np.ones(t)], 1.0)
    assert w.tolist() == pytest.approx(lr.coef_[0].tolist() + [lr.intercept_[0]], abs=1e-5)


def test_the_seed_defaults_to_zero():
    rng = np.random.default_rng(23)
    x, y = rng.normal(size=(30, 2)), rng.normal(0.2, 1.0, size=(30, 2))
    assert mmd_linear_test(x, y) == mmd_linear_test(x, y, seed=0)
    assert mmd_permutation_test(x, y, n_permutations=40) == mmd_permutation_test(x, y, n_permutations=40, seed=0)
