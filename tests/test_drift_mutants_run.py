"""The drift run end to end in this process: what each source's test hands back reaches the
column result unchanged (an embedding's p-value, statistic and details at the threshold asked
for), the false discovery rate's effect on the exactness of profile verdicts, and the result's
fields when no multivariate test was asked for (the rules of :func:`mlmon.services.drift.pipeline.run`
and of the sources' ``run`` in :mod:`mlmon.services.drift.sources`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.io.tables import Table, _kind
from mlmon.services.drift import DriftOptions, compute_drift


def _table(path, frame):
    return Table(path, frame, {c: _kind(frame[c]) for c in frame.columns})


def _drift(ref, cur, options=None):
    return compute_drift(_table("r.parquet", ref), _table("c.parquet", cur), options)


def _vectors(seed, rows=60, shift=0.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(shift, 1, size=(rows, 3)), columns=["v_0", "v_1", "v_2"])


def test_an_embedding_column_is_the_embedding_tests_own_result_at_the_threshold_asked_for():
    # same distribution on both sides: the permutation p-value is far above 0.05 and below 0.99,
    # so the verdict depends on which level the test was run at
    from mlmon.stats.embedding import embedding_test

    ref, cur = _vectors(0), _vectors(1)
    own = embedding_test(ref.to_numpy(), cur.to_numpy(), "mmd", alpha=0.99)
    assert 0.05 < own.p_value < 0.99 and own.statistic > 0
    col = _drift(ref, cur, DriftOptions(embedding=["v_"], threshold=0.99)).columns["v_"]
    assert (col.method, col.score, col.statistic, col.threshold, col.drifted) == (
        "mmd", own.p_value, own.statistic, 0.99, True)
    assert col.details == own.details and col.details["dimension"] == 3
    assert _drift(ref, cur, DriftOptions(embedding=["v_"])).columns["v_"].drifted is False


def _profiles_drift(ref, cur, options):
    from mlmon.profiles import drift_from_profiles, profile_frame

    return drift_from_profiles(profile_frame(ref), profile_frame(cur), options)


def _normal_pairs():
    # 5000 rows a side: more than a profile keeps as values, so ks reads the histogram and the
    # sketch (approximate, with bounds); x moved by 0.05, y not
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)})
    cur = pd.DataFrame({"x": rng.normal(0.05, 1, 5000), "y": rng.normal(0, 1, 5000)})
    return ref, cur


def test_an_approximate_p_value_under_the_false_discovery_rate_is_an_uncertain_verdict():
    # the profile's bounds hold for the raw p-value, not the Benjamini-Hochberg adjusted one:
    # every approximate p-value column becomes uncertain and the run says so once, in the end
    ref, cur = _normal_pairs()
    plain = _profiles_drift(ref, cur, DriftOptions(method="ks"))
    assert [(c.approximate, c.verdict_certain) for c in plain.columns.values()] == [(True, True), (True, True)]
    assert plain.warnings == []
    r = _profiles_drift(ref, cur, DriftOptions(method="ks", fdr=0.05))
    x, y = r.columns["x"], r.columns["y"]
    # Benjamini-Hochberg by hand on two p-values: the smaller times 2, the larger as it is
    assert (x.score, y.score) == (plain.columns["x"].score, plain.columns["y"].score)
    assert (x.p_value_adjusted, y.p_value_adjusted) == pytest.approx((2 * x.score, y.score), rel=1e-12)
    assert (x.drifted, y.drifted) == (True, False)
    assert (x.verdict_certain, y.verdict_certain) == (False, False)
    assert r.to_dict()["columns"]["x"]["verdict_certain"] is False
    assert r.warnings == ["verdict uncertain (the score's error bound straddles the threshold): x, y; profile with "
                          "a larger --bins-per-octave or --sketch-k, or compare the data files"]


def test_the_false_discovery_rate_leaves_the_exactness_of_distances_and_of_row_p_values_alone():
    ref, cur = _normal_pairs()
    psi = _profiles_drift(ref, cur, DriftOptions(method="psi", fdr=0.05))
    assert [(c.approximate, c.verdict_certain, c.p_value_adjusted) for c in psi.columns.values()] == [
        (True, True, None), (True, True, None)]
    assert psi.warnings == []
    rows = _drift(ref, cur, DriftOptions(method="ks", fdr=0.05))
    assert [c.p_value_adjusted is not None for c in rows.columns.values()] == [True, True]
    assert not any(hasattr(c, "verdict_certain") for c in rows.columns.values())
    assert rows.warnings == []


@pytest.mark.parametrize("columns, workers", [("a", 1), ("ab", 2)])
def test_a_calibrator_sets_the_threshold_of_columns_without_one_on_one_thread_or_several(columns, workers):
    # one column runs in this thread, two on a pool of two: both ask the calibrator for every
    # column without an explicit threshold, with the column, its test and its data
    from mlmon.services.drift.pipeline import run
    from mlmon.services.drift.sources import RowSource

    asked = []

    def calibrator(spec, test, data):
        asked.append((spec.name, test.id, data.n_reference, data.n_current))
        return 0.5

    frame = pd.DataFrame({c: np.arange(40.0) for c in columns})
    src = RowSource(_table("r.parquet", frame), _table("c.parquet", frame.copy()))
    r = run(src, DriftOptions(workers=workers), calibrator=calibrator)
    assert sorted(asked) == [(c, "ks", 40, 40) for c in columns]
    assert [(c.threshold, c.threshold_source, c.drifted) for c in r.columns.values()] == [
        (0.5, "calibrated", False)] * len(columns)


def test_a_target_left_out_is_not_reported_missing_from_current():
    ref = pd.DataFrame({"a": np.arange(40.0), "y": [0, 1] * 20})
    r = _drift(ref, ref[["a"]].copy(), DriftOptions(target="y", exclude=["y"]))
    assert (r.skipped, r.warnings, r.target_drift) == ({}, [], None)


def test_without_a_multivariate_test_the_result_has_none():
    ref = pd.DataFrame({"a": np.arange(40.0)})
    r = _drift(ref, ref.copy())
    assert r.multivariate is None and r.to_dict()["multivariate"] is None


def _threads_used(source, workers=None):
    """The threads the run tested each column on (seen from the calibrator, called once per column)."""
    import threading
    import time

    from mlmon.services.drift.pipeline import run

    seen = []

    def calibrator(spec, test, data):
        seen.append(threading.current_thread())
        time.sleep(0.02)  # keeps a pool thread busy, so a pool of more threads would use them
        return None

    run(source, DriftOptions(workers=workers), calibrator=calibrator)
    return seen


def _row_source(columns):
    from mlmon.services.drift.sources import RowSource

    frame = pd.DataFrame({c: np.arange(40.0) for c in columns})
    return RowSource(_table("r.parquet", frame), _table("c.parquet", frame.copy()))


def test_rows_run_on_as_many_threads_as_asked_and_one_thread_stays_in_the_caller():
    # workers=1 is how a caller that runs checks in parallel itself (root-cause analysis) keeps
    # each one on its own thread; several columns take a pool of at most ``workers`` threads
    import threading

    main = threading.main_thread()
    assert set(_threads_used(_row_source("abc"), workers=1)) == {main}
    assert set(_threads_used(_row_source("a"), workers=2)) == {main}  # one column is not worth a pool
    two = _threads_used(_row_source("ab"), workers=2)
    assert len(two) == 2 and main not in two
    four = _threads_used(_row_source("abcd"), workers=2)
    assert len(four) == 4 and main not in four and len(set(four)) <= 2


@pytest.mark.skipif((__import__("os").cpu_count() or 1) < 2, reason="one processor: the default is one thread")
def test_by_default_several_row_columns_share_a_pool_and_profile_columns_stay_in_the_caller():
    import threading

    from mlmon.profiles import profile_frame
    from mlmon.services.drift.sources import ProfileSource

    assert threading.main_thread() not in _threads_used(_row_source("ab"))
    frame = pd.DataFrame({c: np.arange(40.0) for c in "ab"})
    profiles = ProfileSource(profile_frame(frame), profile_frame(frame), "r.json", "c.json")
    assert set(_threads_used(profiles)) == {threading.main_thread()}
