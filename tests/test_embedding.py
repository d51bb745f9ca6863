"""Embeddings: a column of vectors typed ``embedding`` and tested as one column.

Expected values: hand computation (a linear-time MMD whose pairs do not matter), scipy's
Mann-Whitney test and sklearn's AUC for the classifier's null and score, Hanley & McNeil's
formula; false-positive rates by seeded simulation with Clopper-Pearson bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import beta, mannwhitneyu

from mlmon.stats.embedding import (_auc, choose_method, domain_classifier_test, embedding_test, hanley_mcneil_se,
                                   mmd_linear_test, mmd_permutation_test)
from mlmon_testing import drift_json as _drift, drift_error as _error

# ---------------------------------------------------------------------------- kernels


def test_linear_mmd_of_two_point_masses_is_two_minus_twice_the_cross_kernel():
    """Every pair of x rows is (0, 0), every pair of y rows (1, 1): h = 2 - 2 exp(-gamma)."""
    x, y = np.zeros((10, 1)), np.ones((10, 1))
    r = mmd_linear_test(x, y, gamma=1.0)
    assert r.statistic == pytest.approx(2 - 2 * math.exp(-1), rel=1e-12)
    assert r.p_value == 0.0 and r.details["pairs"] == 5


def test_classifier_auc_and_its_null_are_mann_whitneys():
    rng = np.random.default_rng(3)
    neg, pos = rng.normal(size=300), rng.normal(0.2, 1, size=250)
    neg[:20] = pos[:20]  # ties
    auc, var0 = _auc(neg, pos)
    mw = mannwhitneyu(pos, neg, alternative="greater", method="asymptotic", use_continuity=False)
    assert auc == pytest.approx(mw.statistic / (300 * 250), rel=1e-12)
    from scipy.stats import norm

    assert norm.sf((auc - 0.5) / math.sqrt(var0)) == pytest.approx(mw.pvalue, rel=1e-9)
    from sklearn.metrics import roc_auc_score

    assert auc == pytest.approx(roc_auc_score(np.r_[np.zeros(300), np.ones(250)], np.r_[neg, pos]), rel=1e-12)


def test_hanley_mcneil_standard_error_by_hand():
    a, n1, n0 = 0.8, 50, 50
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    by_hand = math.sqrt((a * (1 - a) + 49 * (q1 - a * a) + 49 * (q2 - a * a)) / 2500)
    assert hanley_mcneil_se(a, n1, n0) == pytest.approx(by_hand, rel=1e-15)
    assert by_hand == pytest.approx(0.04450, abs=5e-5)


def test_the_method_is_chosen_by_size_and_dimension():
    assert choose_method(5000, 10**6, 384) == "mmd"
    assert choose_method(5001, 5001, 16) == "domain_classifier"
    assert choose_method(5001, 5001, 15) == "mmd_linear"
    x = np.random.default_rng(0).normal(size=(200, 4))
    assert embedding_test(x, x[::-1], "auto").method == "mmd"


def test_the_result_does_not_depend_on_float32_or_float64_storage_beyond_rounding():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4000, 8)), rng.normal(0.05, 1, size=(4000, 8))
    a = mmd_linear_test(x, y, seed=2)
    b = mmd_linear_test(x.astype(np.float32), y.astype(np.float32), seed=2)
    assert a.p_value == pytest.approx(b.p_value, abs=1e-4)


# ---------------------------------------------------------------------------- calibration and power


def _rate_bound(rejections, runs, level=0.99):
    """One-sided lower Clopper-Pearson bound of a rejection rate."""
    return beta.ppf(1 - level, rejections, runs - rejections + 1) if rejections else 0.0


@pytest.mark.parametrize("method, runs, n, d", [("mmd_linear", 150, 1000, 16), ("domain_classifier", 100, 1000, 16),
                                                ("mmd", 60, 200, 8)])
def test_under_no_change_the_false_positive_rate_is_at_most_the_level(method, runs, n, d):
    rejected = 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        rejected += embedding_test(x, y, method, alpha=0.05, seed=seed).drifted
    assert _rate_bound(rejected, runs) <= 0.05, (method, rejected, runs)


def _subspace_shift(rng, n, d, k, size):
    """Current rows moved by ``size`` sd along a random ``k``-dimensional subspace of ``d``."""
    basis, _ = np.linalg.qr(rng.normal(size=(d, k)))
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    return x, y + size * basis.sum(axis=1) / math.sqrt(k)


def test_the_classifier_finds_a_shift_in_a_two_dimensional_subspace_of_sixty_four():
    """0.15 sd along a 2-D subspace of 64, 6000 rows a side: found in every one of 10 seeded runs
    (the linear-time MMD at this size: see benchmarks/embedding_drift.py)."""
    found = 0
    for seed in range(10):
        x, y = _subspace_shift(np.random.default_rng(seed), 6000, 64, 2, 0.15)
        r = embedding_test(x, y, "auto", seed=seed)
        assert r.method == "domain_classifier"
        found += r.drifted
    assert found == 10


def test_the_permutation_mmd_finds_a_subspace_shift_on_small_samples():
    found = sum(mmd_permutation_test(*_subspace_shift(np.random.default_rng(s), 500, 32, 2, 0.4), seed=s).drifted
                for s in range(10))
    assert found >= 9


# ---------------------------------------------------------------------------- the drift check


def _write_lists(path, matrix, extra=None):
    e = np.asarray(matrix, dtype=np.float32)
    arrays = {"emb": pa.array([list(map(float, row)) if row is not None else None for row in e], pa.list_(pa.float32()))}
    arrays.update(extra or {})
    pq.write_table(pa.table(arrays), path)


def test_a_parquet_list_column_is_typed_embedding_and_tested_as_one(tmp_path):
    rng = np.random.default_rng(0)
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    _write_lists(r, rng.normal(size=(800, 12)), {"x": pa.array(rng.normal(size=800))})
    _write_lists(c, rng.normal(size=(800, 12)) + np.r_[0.5, np.zeros(11)], {"x": pa.array(rng.normal(size=800))})
    d = _drift(r, c)
    e = d["columns"]["emb"]
    assert (e["type"], e["method"], e["drifted"], e["score_kind"]) == ("embedding", "mmd", True, "p_value")
    assert e["details"]["dimension"] == 12 and e["reference_count"] == 800
    assert "details" not in d["columns"]["x"]  # other columns keep their contract


def test_columns_sharing_a_prefix_are_one_embedding(tmp_path):
    rng = np.random.default_rng(1)
    cols = [f"v_{i}" for i in range(6)]
    ref = pd.DataFrame(rng.normal(size=(600, 6)), columns=cols).assign(x=rng.normal(size=600))
    cur = pd.DataFrame(rng.normal(size=(600, 6)), columns=cols).assign(x=rng.normal(size=600))
    ref.to_parquet(tmp_path / "r.parquet")
    cur.to_parquet(tmp_path / "c.parquet")
    d = _drift(tmp_path / "r.parquet", tmp_path / "c.parquet", "--embedding", "v_")
    assert list(d["columns"]) == ["v_", "x"]
    assert d["columns"]["v_"]["type"] == "embedding" and d["columns"]["v_"]["details"]["dimension"] == 6
    assert d["columns"]["v_"]["drifted"] is False


def test_an_embedding_method_can_be_asked_for(tmp_path):
    rng = np.random.default_rng(2)
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    _write_lists(r, rng.normal(size=(400, 4)))
    _write_lists(c, rng.normal(size=(400, 4)))
    d = _drift(r, c, "--column-method", "emb=domain_classifier")
    assert d["columns"]["emb"]["method"] == "domain_classifier"
    assert d["columns"]["emb"]["details"]["train_rows_per_side"] == 200


def test_rows_without_a_vector_count_as_missing(tmp_path):
    rng = np.random.default_rng(3)
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    _write_lists(r, rng.normal(size=(300, 4)))
    rows = [list(map(float, v)) for v in rng.normal(size=(300, 4))]
    rows[5] = None
    pq.write_table(pa.table({"emb": pa.array(rows, pa.list_(pa.float32()))}), c)
    e = _drift(r, c)["columns"]["emb"]
    assert (e["current_count"], e["current_missing"]) == (299, 1)


# ---------------------------------------------------------------------------- bad input


def test_vectors_of_unequal_length_are_refused(tmp_path):
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    _write_lists(r, np.zeros((50, 3)) + np.arange(50)[:, None])
    pq.write_table(pa.table({"emb": pa.array([[1.0, 2.0, 3.0]] * 10 + [[1.0, 2.0]] + [[1.0, 2.0, 3.0]] * 39,
                                             pa.list_(pa.float32()))}), c)
    err = _error(r, c)
    assert err == (f"mlmon: error: embedding column 'emb' holds vectors of different lengths (3 and 2 values, row 10) "
                   f"({c}); export every vector with the same length (one model, one dimension), or --exclude the "
                   "column\n")


def test_nan_inside_a_vector_is_refused(tmp_path):
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    m = np.random.default_rng(0).normal(size=(50, 3))
    _write_lists(r, m)
    m[7, 1] = np.nan
    _write_lists(c, m)
    err = _error(r, c)
    assert "embedding column 'emb' has NaN inside 1 vector(s) (first at row 7)" in err
    assert "fill or drop those rows before the check, or --exclude the column" in err


def test_missing_values_inside_prefix_columns_are_refused(tmp_path):
    m = np.random.default_rng(0).normal(size=(50, 3))
    pd.DataFrame(m, columns=["v_0", "v_1", "v_2"]).to_parquet(tmp_path / "r.parquet")
    m[4, 2] = np.nan
    pd.DataFrame(m, columns=["v_0", "v_1", "v_2"]).to_parquet(tmp_path / "c.parquet")
    err = _error(tmp_path / "r.parquet", tmp_path / "c.parquet", "--embedding", "v_")
    assert "embedding 'v_' has missing values inside 1 vector(s) (first at row 4)" in err


def test_a_prefix_matching_nothing_is_refused(tmp_path):
    m = np.random.default_rng(0).normal(size=(50, 3))
    for name in ("r", "c"):
        pd.DataFrame(m, columns=["v_0", "v_1", "v_2"]).to_parquet(tmp_path / f"{name}.parquet")
    err = _error(tmp_path / "r.parquet", tmp_path / "c.parquet", "--embedding", "emb_")
    assert err == (f"mlmon: error: --embedding 'emb_' matches no column ({tmp_path / 'c.parquet'}); name the prefix "
                   "the vector's columns share (emb_ for emb_0, emb_1, ...); columns: v_0, v_1, v_2\n")


def test_vectors_of_another_dimension_in_current_are_refused(tmp_path):
    r, c = tmp_path / "r.parquet", tmp_path / "c.parquet"
    _write_lists(r, np.zeros((40, 3)))
    _write_lists(c, np.zeros((40, 4)))
    assert "embedding 'emb' has 3 values a vector in the reference but 4 in current" in _error(r, c)
