"""Every univariate test gives Evidently 0.7.23's drift score and verdict.

Evidently's own stattest objects are the oracle: they receive the raw values (category
*values* for categorical columns) as pandas Series, our kernels receive float64 arrays or
int64 codes into the sorted category list.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from mlmon.stats import univariate as U

ev_registry = pytest.importorskip("evidently.legacy.calculations.stattests.registry")
from evidently.legacy.core import ColumnType  # noqa: E402

EV_TYPE = {U.NUMERICAL: ColumnType.Numerical, U.CATEGORICAL: ColumnType.Categorical}
PERMUTATION_TESTS = {"TVD", "empirical_mmd"}
# tests defined by Evidently (our extra variants are checked in their own files)
EVIDENTLY_IDS = sorted(i for i in ev_registry._registered_stat_tests if "text_content" not in i)


def _numerical_cases():
    rng = np.random.default_rng(20240601)
    cases = {
        "shifted_normals": (rng.normal(0, 1, 500), rng.normal(0.3, 1, 600)),
        "same_normals": (rng.normal(0, 1, 400), rng.normal(0, 1, 400)),
        "heavy_tailed": (rng.standard_t(1.5, 2000), rng.standard_t(1.5, 1500) + 0.2),
        "five_values": (rng.integers(0, 5, 300).astype(float), rng.integers(0, 5, 350).astype(float)),
        "twenty_values": (rng.integers(0, 20, 800).astype(float), rng.integers(2, 21, 700).astype(float)),
        "thirty_values_ties": (rng.integers(0, 30, 900).astype(float), rng.integers(0, 33, 900).astype(float)),
        "rounded_ties": (np.round(rng.normal(0, 1, 1000), 1), np.round(rng.normal(0.1, 1.2, 1100), 1)),
        "unequal_sizes": (rng.gamma(2.0, 1.0, 300), rng.gamma(2.2, 1.0, 1200)),
        "small_n25": (rng.normal(0, 1, 25), rng.normal(0.8, 1, 25)),
        "small_unequal": (rng.normal(0, 1, 15), rng.normal(0.5, 1, 19)),
        "few_ref_many_cur": (rng.integers(0, 4, 500).astype(float), rng.normal(1.5, 1, 500)),
        "large_asymptotic": (rng.normal(0, 1, 12000), rng.normal(0.02, 1, 12500)),
        "constant_reference": (np.full(200, 3.0), rng.normal(3, 1, 200)),
    }
    return cases


def _categorical_cases():
    rng = np.random.default_rng(777)
    cases = {
        "two_categories": (rng.choice(["no", "yes"], 500, p=[0.7, 0.3]), rng.choice(["no", "yes"], 500, p=[0.6, 0.4])),
        "two_categories_same": (rng.choice(["a", "b"], 300), rng.choice(["a", "b"], 300)),
        "three_categories": (rng.choice(list("abc"), 400, p=[0.5, 0.3, 0.2]), rng.choice(list("abc"), 450)),
        "two_hundred_categories": (
            rng.choice([f"c{i:03d}" for i in range(200)], 5000),
            rng.choice([f"c{i:03d}" for i in range(200)], 4000),
        ),
        "only_in_current": (rng.choice(list("abc"), 300), rng.choice(list("abcd"), 300)),
        "only_in_reference": (rng.choice(list("abcd"), 300), rng.choice(list("bcd"), 300)),
        "integer_values": (rng.choice([3, 7, 11], 250), rng.choice([3, 7, 11], 250, p=[0.2, 0.3, 0.5])),
        "single_value_both": (np.array(["x"] * 50), np.array(["x"] * 50)),
        "binary_equal_small": (rng.choice(["m", "f"], 25), rng.choice(["m", "f"], 25, p=[0.8, 0.2])),
    }
    return cases


NUMERICAL_CASES = _numerical_cases()
CATEGORICAL_CASES = _categorical_cases()


def encode(ref_values, cur_values, unused=("zz_unused",)):
    """Codes into the sorted category list, which also holds categories seen on neither side."""
    cats = np.array(sorted(set(ref_values.tolist()) | set(cur_values.tolist()) | set(
        u for u in unused if isinstance(u, type(ref_values[0].item() if hasattr(ref_values[0], "item") else ref_values[0]))
    )))
    return np.searchsorted(cats, ref_values).astype(np.int64), np.searchsorted(cats, cur_values).astype(np.int64)


def run_evidently(test_id, ref, cur, column_type, threshold=None):
    stattest = ev_registry._registered_stat_tests[test_id]
    stattest = next(iter(stattest.values()))  # same object for every allowed type
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stattest(pd.Series(ref), pd.Series(cur), EV_TYPE[column_type], threshold)
    return float(r.drift_score), bool(r.drifted)


def run_ours(test_id, ref, cur, column_type, threshold=None, presorted=False):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # our kernels must not warn
        return U.get(test_id)(ref, cur, column_type, threshold, presorted=presorted)


def assert_score_equal(ours, theirs):
    if math.isnan(theirs):  # e.g. chi-square with one category: zero degrees of freedom
        assert math.isnan(ours), (ours, theirs)
    elif theirs < 1e-6 or ours < 1e-6:
        assert (ours == theirs) or math.isclose(ours, theirs, rel_tol=1e-9) or max(ours, theirs) < 1e-300, (ours, theirs)
    else:
        assert abs(ours - theirs) <= 1e-9, (ours, theirs)


def _cases():
    for test_id in EVIDENTLY_IDS:
        if test_id in PERMUTATION_TESTS:
            continue
        types = {t for t, ct in [(U.NUMERICAL, ColumnType.Numerical), (U.CATEGORICAL, ColumnType.Categorical)]
                 if ct in ev_registry._registered_stat_tests[test_id]}
        if U.NUMERICAL in types:
            for name in NUMERICAL_CASES:
                yield pytest.param(test_id, U.NUMERICAL, name, id=f"{test_id}-num-{name}")
        if U.CATEGORICAL in types:
            for name in CATEGORICAL_CASES:
                yield pytest.param(test_id, U.CATEGORICAL, name, id=f"{test_id}-cat-{name}")


def test_registry_mirrors_evidently_ids_and_column_types():
    ours = U.available()
    for test_id in EVIDENTLY_IDS:
        allowed = set(ev_registry._registered_stat_tests[test_id])
        expected = {t for t, ct in [(U.NUMERICAL, ColumnType.Numerical), (U.CATEGORICAL, ColumnType.Categorical)] if ct in allowed}
        assert test_id in ours
        assert ours[test_id].column_types == frozenset(expected), test_id
        ev_test = next(iter(ev_registry._registered_stat_tests[test_id].values()))
        assert ours[test_id].default_threshold == ev_test.default_threshold, test_id


@pytest.mark.parametrize("test_id, column_type, case", list(_cases()))
def test_score_and_verdict_match_evidently(test_id, column_type, case):
    if column_type == U.NUMERICAL:
        ref, cur = NUMERICAL_CASES[case]
        ours_in = (ref, cur)
    else:
        ref, cur = CATEGORICAL_CASES[case]
        ours_in = encode(ref, cur)
    try:
        score, drifted = run_evidently(test_id, ref, cur, column_type)
    except (ValueError, ZeroDivisionError):  # Evidently refuses this input: so do we
        with pytest.raises(ValueError):
            run_ours(test_id, *ours_in, column_type)
        return
    result = run_ours(test_id, *ours_in, column_type)
    assert_score_equal(result.score, score)
    assert result.drifted == drifted


@pytest.mark.parametrize("test_id", ["chisquare", "z", "g_test", "fisher_exact", "jensenshannon", "psi"])
def test_count_tests_on_numerical_values_match_evidently(test_id):
    # Evidently's automatic choice sends numerical columns with <= 5 values to chisquare / z
    rng = np.random.default_rng(5)
    for values in ([0.0, 1.0], [0.5, 2.0, 7.25]):
        ref = rng.choice(values, 300)
        cur = rng.choice(values, 300, p=np.linspace(1, 2, len(values)) / np.linspace(1, 2, len(values)).sum())
        try:
            score, drifted = run_evidently(test_id, ref, cur, U.NUMERICAL)
        except ValueError:
            continue
        result = run_ours(test_id, ref, cur, U.NUMERICAL)
        assert_score_equal(result.score, score)
        assert result.drifted == drifted


@pytest.mark.parametrize("test_id", ["ks", "wasserstein", "psi", "jensenshannon", "kl_div", "hellinger"])
@pytest.mark.parametrize("threshold", [0.0, 0.01, 0.2, 0.5])
def test_explicit_threshold_verdicts_match_evidently(test_id, threshold):
    ref, cur = NUMERICAL_CASES["shifted_normals"]
    score, drifted = run_evidently(test_id, ref, cur, U.NUMERICAL, threshold)
    result = run_ours(test_id, ref, cur, U.NUMERICAL, threshold)
    assert_score_equal(result.score, score)
    assert result.drifted == drifted


def test_sturges_bins_with_outlier_match_evidently():
    # one far outlier stretches Evidently's equal-width bins: both sides must see the same counts
    rng = np.random.default_rng(3)
    ref = np.append(rng.normal(0, 1, 5000), 1e4)
    cur = rng.normal(0.05, 1, 5000)
    for test_id in ("psi", "jensenshannon", "kl_div"):
        score, drifted = run_evidently(test_id, ref, cur, U.NUMERICAL)
        result = run_ours(test_id, ref, cur, U.NUMERICAL)
        assert_score_equal(result.score, score)
        assert result.drifted == drifted


def _mc_tolerance(p, iterations):
    # both p-values are Monte-Carlo estimates from `iterations` permutations: the difference
    # has standard error sqrt(2 p (1 - p) / B); allow 4.5 of them, plus one permutation's step
    return 4.5 * math.sqrt(2 * max(p * (1 - p), 0.01 * 0.99) / iterations) + 1.0 / iterations


@pytest.mark.parametrize("case", ["three_categories", "only_in_current"])
def test_tvd_p_value_within_monte_carlo_error_of_evidently(case):
    ref, cur = CATEGORICAL_CASES[case]
    ref, cur = ref[:200], cur[:200]  # Evidently's row-shuffling loop is slow
    score, _ = run_evidently("TVD", ref, cur, U.CATEGORICAL)
    result = run_ours("TVD", *encode(ref, cur), U.CATEGORICAL)
    assert abs(result.score - score) <= _mc_tolerance(score, 1000), (result.score, score)


@pytest.mark.parametrize("case", ["shifted_normals", "same_normals", "small_n25", "five_values", "small_unequal"])
def test_empirical_mmd_p_value_within_monte_carlo_error_of_evidently(case):
    from evidently.legacy.calculations.stattests.mmd_stattest import mmd_pval

    ref, cur = NUMERICAL_CASES[case]
    np.random.seed(0)  # Evidently draws its permutations from the global generator unseeded
    p_ev, mmd_ev = mmd_pval(ref.reshape(-1, 1), cur.reshape(-1, 1))
    result = run_ours("empirical_mmd", ref, cur, U.NUMERICAL)
    assert result.statistic == pytest.approx(mmd_ev, rel=1e-9, abs=1e-12)
    assert abs(result.score - p_ev) <= _mc_tolerance(p_ev, 100), (result.score, p_ev)


def _naive_mmd2(x, y, gamma):
    def mean_kernel(a, b, drop_diagonal):
        k = np.exp(-gamma * (a[:, None] - b[None, :]) ** 2)
        if drop_diagonal:
            return (k.sum() - np.trace(k)) / (a.size * (a.size - 1))
        return k.mean()

    return mean_kernel(x, x, True) + mean_kernel(y, y, True) - 2 * mean_kernel(x, y, False)


def test_permutation_tests_are_reproducible_with_a_seed():
    """The documented recipes, written out naively: empirical_mmd draws ``rng.permutation`` 100
    times from ``default_rng(0)`` with the bandwidth from the reference's median squared
    difference; TVD draws 1000 reference count vectors with ``multivariate_hypergeometric``."""
    ref, cur = NUMERICAL_CASES["same_normals"]
    rng = np.random.default_rng(0)
    sigma2 = 0.5 * np.percentile(((ref[:, None] - ref[None, :]) ** 2).ravel(), 50, method="nearest")
    gamma = 1.0 / (2.0 * sigma2)
    pooled = np.concatenate([ref, cur])
    observed = _naive_mmd2(ref, cur, gamma)
    permuted = []
    for _ in range(100):
        in_x = np.zeros(pooled.size, dtype=bool)
        in_x[rng.permutation(pooled.size)[:ref.size]] = True
        permuted.append(_naive_mmd2(pooled[in_x], pooled[~in_x], gamma))
    expected_p = float(np.mean(observed <= np.array(permuted)))
    for _ in range(2):  # and again: the same seed, the same answer
        result = U.get("empirical_mmd")(ref, cur, U.NUMERICAL)
        assert result.statistic == pytest.approx(observed, rel=1e-9, abs=1e-12)
        assert result.score == expected_p

    a, b = encode(*CATEGORICAL_CASES["three_categories"])
    ref_counts = np.bincount(a, minlength=max(a.max(), b.max()) + 1)
    cur_counts = np.bincount(b, minlength=ref_counts.size)
    used = (ref_counts + cur_counts) > 0
    ref_counts, cur_counts = ref_counts[used], cur_counts[used]

    def total_variation(r, c):
        return 0.5 * sum(abs(ri / r.sum() - ci / c.sum()) for ri, ci in zip(r, c))

    observed = total_variation(ref_counts, cur_counts)
    draws = np.random.default_rng(0).multivariate_hypergeometric(ref_counts + cur_counts, a.size, size=1000)
    expected_p = sum(observed <= total_variation(d, ref_counts + cur_counts - d) + 1e-15 for d in draws) / 1000
    for _ in range(2):
        result = U.get("TVD")(a, b, U.CATEGORICAL)
        assert result.statistic == pytest.approx(observed, abs=1e-12)
        assert result.score == pytest.approx(expected_p, abs=1e-12)


def test_empirical_mmd_caps_large_samples_and_still_detects_a_shift():
    rng = np.random.default_rng(11)
    ref, cur = rng.normal(0, 1, 50_000), rng.normal(0.25, 1, 50_000)
    result = U.get("empirical_mmd")(ref, cur, U.NUMERICAL)
    assert result.drifted and result.score == 0.0
