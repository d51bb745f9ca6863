"""The exact two-sample KS p-value without scipy is scipy's, float for float.

Source of every expected value: ``scipy.stats.ks_2samp`` (scipy 1.17, ``method="auto"``,
two-sided), which takes the exact distribution when both samples hold at most 10 000 values.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.stats import ks_exact
from mlmon.stats.univariate import ks as ks_module
from mlmon.stats.univariate.ks import ks, ks_statistic_sorted

UNLIMITED = 10**12


def _sample(rng, n, kind, shift):
    if kind == "ties":  # few distinct values: long runs of ties inside and across the samples
        return (rng.integers(0, 6, n) + shift).astype(np.float64)
    if kind == "rounded":
        return np.round(rng.normal(shift, 1.0, n), 1)
    return rng.normal(shift, 1.0, n)


def _scipy(a, b):
    """scipy's (D, p), and whether its exact attempt gave up (it warns and goes asymptotic)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(a, b)
    gave_up = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    return float(res.statistic), float(res.pvalue), gave_up


sizes = st.integers(1, 1000)


@contextlib.contextmanager
def _python_walk(run_budget=UNLIMITED):
    """As in a process that has not imported scipy.stats (this one has), with a fresh run budget."""
    with mock.patch.object(ks_module, "_scipy_stats_loaded", lambda: False), \
            mock.patch.object(ks_module, "RUN_BUDGET", run_budget), mock.patch.object(ks_module, "_walked", 0):
        yield


@settings(max_examples=150, deadline=None)
@given(n1=sizes, n2=sizes, equal=st.booleans(), kind=st.sampled_from(["ties", "rounded", "continuous"]),
       shift=st.sampled_from([0.0, 0.1, 0.5, 2.0]), seed=st.integers(0, 2**32 - 1))
def test_the_kernel_gives_scipys_statistic_and_p_value_exactly(n1, n2, equal, kind, shift, seed):
    rng = np.random.default_rng(seed)
    n2 = n1 if equal else n2
    a, b = _sample(rng, n1, kind, 0.0), _sample(rng, n2, kind, shift)
    d, p, gave_up = _scipy(a, b)
    got = ks_exact.two_sided(ks_statistic_sorted(np.sort(a), np.sort(b)), n1, n2, budget=UNLIMITED)
    if gave_up:
        assert got is None
    else:
        assert got == (d, p)


@settings(max_examples=150, deadline=None)
@given(n1=sizes, n2=sizes, equal=st.booleans(), kind=st.sampled_from(["ties", "rounded", "continuous"]),
       shift=st.sampled_from([0.0, 0.1, 0.5, 2.0]), seed=st.integers(0, 2**32 - 1))
def test_the_ks_test_reports_scipys_statistic_and_p_value(n1, n2, equal, kind, shift, seed):
    rng = np.random.default_rng(seed)
    n2 = n1 if equal else n2
    a, b = _sample(rng, n1, kind, 0.0), _sample(rng, n2, kind, shift)
    d, p, _ = _scipy(a, b)
    with warnings.catch_warnings(), _python_walk():
        warnings.simplefilter("ignore")  # scipy's own switch to its asymptotic distribution
        r = ks(a, b)
        r_sorted = ks(np.sort(a), np.sort(b), presorted=True)
    assert (r.statistic, r.score) == (d, p) == (r_sorted.statistic, r_sorted.score)


def test_every_lattice_statistic_of_small_samples_matches_scipys_exact_attempt():
    # scipy's own exact routine for D = h / lcm, every h, every pair of sizes up to 12
    from scipy.stats._stats_py import _attempt_exact_2kssamp

    for n1 in range(1, 13):
        for n2 in range(1, 13):
            g = math.gcd(n1, n2)
            lcm = n1 // g * n2
            for h in range(lcm + 1):
                ok, d, p = _attempt_exact_2kssamp(n1, n2, g, h / lcm, "two-sided")
                got = ks_exact.two_sided(h / lcm, n1, n2, budget=UNLIMITED)
                assert got == ((d, float(np.clip(p, 0, 1))) if ok else None), (n1, n2, h)


def test_the_statistic_is_snapped_to_the_lattice_as_scipy_reports_it():
    # D = 0.5500000000000002 from float CDF differences is h = 11 of lcm(10, 20) = 20
    assert ks_exact.two_sided(0.5500000000000002, 10, 20) == (0.55, 0.02904701495406143)
    assert ks_exact.lattice_statistic(0.5500000000000002, 10, 20) == (11, 20)


def test_identical_samples_have_statistic_zero_and_p_value_one():
    # every run of ties ends with equal CDFs; inside a run they differ by 1 / n, which is no D
    assert ks_exact.two_sided(0.0, 7, 9) == (0.0, 1.0)
    x = np.linspace(0.0, 1.0, 5)
    assert ks_statistic_sorted(x, x) == 0.0 == ks_statistic_sorted(x, np.repeat(x, 3))
    r = ks(np.arange(5.0), np.arange(5.0))
    assert (r.statistic, r.score) == (0.0, 1.0)


@pytest.mark.parametrize("a, b", [([0.0, 2.0], [0.0, 1.0]), ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0]),
                                  ([1.0, 1.0, 2.0], [0.0, 0.0, 1.0, 1.0, 2.0])])
def test_the_statistic_with_ties_at_the_start_is_scipys(a, b):
    a, b = np.array(a), np.array(b)
    # scipy's statistic before it is snapped to the lattice: right-continuous ECDFs at the pooled values
    pooled = np.concatenate([a, b])
    diffs = np.searchsorted(a, pooled, side="right") / a.size - np.searchsorted(b, pooled, side="right") / b.size
    assert ks_statistic_sorted(a, b) == max(np.clip(-diffs.min(), 0, 1), diffs.max())
    d, p, _ = _scipy(a, b)
    assert (ks(a, b).statistic, ks(a, b).score) == (d, p)


def test_the_work_estimate_bounds_the_columns_times_the_window():
    # 1000 against 999 values, D = 0.5: h = 499500 of lcm 999000, a window of about 1000 rows
    h, lcm = ks_exact.lattice_statistic(0.5, 1000, 999)
    assert (h, lcm) == (499500, 999000)
    assert ks_exact.inside_work(1000, 999, 1, h) == 1000 * 1000
    assert ks_exact.inside_work(999, 1000, 1, h) == 1000 * 1000
    assert ks_exact.inside_work(1000, 999, 1, 50) == 1000 * 2


def test_above_the_budget_the_kernel_declines_and_the_test_asks_scipy(monkeypatch):
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 300), rng.normal(0.3, 1, 200)
    d, p, _ = _scipy(a, b)
    d0 = ks_statistic_sorted(np.sort(a), np.sort(b))
    h, _ = ks_exact.lattice_statistic(d0, 300, 200)
    work = ks_exact.inside_work(300, 200, 100, h)
    assert ks_exact.two_sided(d0, 300, 200, budget=work) == (d, p)
    assert ks_exact.two_sided(d0, 300, 200, budget=work - 1) is None

    calls = []
    real = stats.ks_2samp
    monkeypatch.setattr(stats, "ks_2samp", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    with _python_walk():
        monkeypatch.setattr(ks_exact, "INSIDE_BUDGET", work - 1)
        r = ks(a, b)
        assert (r.statistic, r.score, calls) == (d, p, [1])
        monkeypatch.setattr(ks_exact, "INSIDE_BUDGET", work)
        r = ks(a, b)
        assert (r.statistic, r.score, calls) == (d, p, [1])  # computed here: scipy not called again


def test_a_run_walks_at_most_its_budget_then_asks_scipy(monkeypatch):
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 300), rng.normal(0.3, 1, 200)
    d, p, _ = _scipy(a, b)
    work = ks_exact.walk_cost(ks_statistic_sorted(np.sort(a), np.sort(b)), 300, 200)
    calls = []
    real = stats.ks_2samp
    monkeypatch.setattr(stats, "ks_2samp", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    with _python_walk(run_budget=2 * work):
        results = [ks(a, b) for _ in range(3)]
        assert ks_module._walked == 2 * work
    assert [(r.statistic, r.score) for r in results] == [(d, p)] * 3
    assert calls == [1]  # the third column: the run's budget is spent


def test_once_scipy_stats_is_imported_its_compiled_walk_answers_unequal_sizes(monkeypatch):
    rng = np.random.default_rng(8)
    a, b, c = rng.normal(0, 1, 300), rng.normal(0.3, 1, 200), rng.normal(0.3, 1, 300)
    calls = []
    real = stats.ks_2samp
    monkeypatch.setattr(stats, "ks_2samp", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    assert ks_module._scipy_stats_loaded()
    assert (ks(a, b).score, calls) == (real(a, b).pvalue, [1])
    assert (ks(a, c).score, calls) == (real(a, c).pvalue, [1])  # equal sizes: n + h steps, always here


def test_a_large_shift_over_the_budget_still_gives_scipys_value():
    # 1000 against 999 values, D = 0.5: a million cells, scipy's compiled walk answers
    a, b = np.arange(1000.0), np.arange(999.0) + 500
    d, p, _ = _scipy(a, b)
    assert d == 0.5 and 0 < p < 1e-50
    assert ks_exact.two_sided(d, 1000, 999) is None
    assert ks_exact.two_sided(d, 1000, 999, budget=UNLIMITED) == (d, p)
    r = ks(a, b)
    assert (r.statistic, r.score) == (d, p)


def test_equal_sizes_use_the_reflection_formula_at_any_size():
    # equal sizes cost n + h steps, never the budget: 1000 against 1000, fully separated
    d, p, _ = _scipy(np.arange(1000.0), np.arange(1000.0) + 5000)
    assert ks_exact.two_sided(1.0, 1000, 1000, budget=0) == (d, p)


@pytest.mark.parametrize("a, b", [([np.nan, 1.0, 2.0], [1.0, 2.0, 3.0])])
def test_a_missing_value_keeps_scipys_answer(a, b):
    d, p, _ = _scipy(np.array(a), np.array(b))
    r = ks(np.array(a), np.array(b))
    assert math.isnan(d) and math.isnan(r.statistic) and math.isnan(r.score) and math.isnan(p)


def test_the_kernel_module_imports_neither_scipy_nor_numpy():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ks_exact))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "math", "typing"}
    assert "stats" not in vars(ks_module)  # scipy.stats is looked up only where it answers
