"""The drift pipeline's verdicts and warnings, word for word, run in this process on small tables:
skipped columns, infinite and new values, constant columns, the small-sample rule, the false
discovery rate (Benjamini-Hochberg as scipy computes it), the multivariate test's preconditions and
the per-column method checks (the rules of :mod:`mlmon.services.drift.pipeline`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, ks_2samp

from mlmon.errors import MlmonError
from mlmon.io.tables import Table, _kind
from mlmon.services.drift import SMALL_SAMPLE, DriftOptions, compute_drift


def _table(path, frame):
    return Table(path, frame, {c: _kind(frame[c]) for c in frame.columns})


def _drift(ref, cur, options=None):
    return compute_drift(_table("r.parquet", ref), _table("c.parquet", cur), options)


def test_tolerated_inputs_are_tested_or_skipped_with_one_warning_each():
    ref = pd.DataFrame({"x": [1.0, 2, 3, 4, np.inf, 6, np.nan, 8] * 5, "k": [5.0] * 40, "c": list("aabbaabb") * 5,
                        "allnan_r": [np.nan] * 40, "m": [np.nan] * 40})
    cur = pd.DataFrame({"x": [1.0, 2, 3, -np.inf, 5, 6, 7, 8] * 5, "k": [5.0] * 40, "c": list("abcdefgh") * 5,
                        "allnan_r": [1.0] * 40, "m": [np.nan] * 40})
    r = _drift(ref, cur, DriftOptions(categorical=["c"], numerical=["allnan_r", "m"]))
    assert r.warnings == [
        "m: skipped (all values missing)",
        "allnan_r: skipped (all values missing in reference)",
        "x: 10 infinite value(s) dropped",
        "k: constant column (one value on both sides)",
        "c: 6 categories only in current (c, d, e, f, g, ...; 30 rows)",
    ]
    assert r.skipped == {"allnan_r": "all values missing in reference", "m": "all values missing"}
    x, c = r.columns["x"], r.columns["c"]
    assert (x.reference_count, x.current_count, x.reference_missing, x.current_missing, x.infinite_dropped) == (
        30, 35, 5, 0, 10)
    assert (c.reference_count, c.current_count, c.new_categories) == (40, 40, list("cdefgh"))
    assert (r.n_columns, r.n_drifted) == (3, sum(col.drifted for col in r.columns.values()))


def test_all_missing_in_current_says_so():
    ref = pd.DataFrame({"a": np.arange(40.0), "m": np.arange(40.0)})
    cur = pd.DataFrame({"a": np.arange(40.0), "m": [np.nan] * 40})
    assert _drift(ref, cur).skipped == {"m": "all values missing in current"}


def test_one_new_category_is_singular_and_many_are_cut_to_five_named():
    ref = pd.DataFrame({"c": ["a"] * 40})
    one = pd.DataFrame({"c": ["a"] * 39 + ["b"]})
    assert _drift(ref, one).warnings == ["c: 1 category only in current (b; 1 rows)"]
    # 22 new: five named, "..." for the rest, " and 2 more" beyond the 20 the result lists
    cur = pd.DataFrame({"c": ["a"] * 10 + [f"n{i:02d}" for i in range(22)] + ["n00"] * 8})
    r = _drift(ref, cur, DriftOptions(categorical=["c"]))
    assert r.warnings == ["c: 22 categories only in current (n00, n01, n02, n03, n04, ... and 2 more; 30 rows)"]
    assert r.columns["c"].new_categories == [f"n{i:02d}" for i in range(20)]
    six = pd.DataFrame({"c": ["a"] * 34 + [f"n{i}" for i in range(6)]})
    assert _drift(ref, six).warnings == ["c: 6 categories only in current (n0, n1, n2, n3, n4, ...; 6 rows)"]
    five = pd.DataFrame({"c": ["a"] * 35 + [f"n{i}" for i in range(5)]})
    assert _drift(ref, five).warnings == ["c: 5 categories only in current (n0, n1, n2, n3, n4; 5 rows)"]


@pytest.mark.parametrize("n_ref, n_cur, warned", [(29, 30, True), (30, 29, True), (30, 30, False)])
def test_fewer_than_30_rows_on_either_side_is_a_small_sample(n_ref, n_cur, warned):
    rng = np.random.default_rng(0)
    r = _drift(pd.DataFrame({"a": rng.normal(0, 1, n_ref)}), pd.DataFrame({"a": rng.normal(0, 1, n_cur)}))
    small = (f"small sample: {n_ref} reference and {n_cur} current rows; tests have little power below 30 rows, "
             "read the verdicts as weak evidence")
    assert SMALL_SAMPLE == 30
    assert (small in r.warnings) is warned


def _three():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({k: rng.normal(0, 1, 200) for k in "abc"})
    cur = pd.DataFrame({"a": rng.normal(0.3, 1, 200), "b": rng.normal(0.25, 1, 200), "c": rng.normal(0, 1, 200)})
    return ref, cur


def test_fdr_replaces_each_p_value_threshold_with_the_benjamini_hochberg_rule():
    ref, cur = _three()
    raw = [ks_2samp(ref[c], cur[c]).pvalue for c in "abc"]
    adjusted = false_discovery_control(raw)
    r = _drift(ref, cur, DriftOptions(fdr=0.05))
    for name, p, q in zip("abc", raw, adjusted):
        col = r.columns[name]
        assert col.score == pytest.approx(p, rel=1e-12)
        assert col.p_value_adjusted == pytest.approx(q, rel=1e-12)
        assert (col.threshold, col.threshold_source, col.drift_rule, col.drifted) == (0.05, "flag", "<=", q <= 0.05)
    assert r.drifted_columns == [c for c, q in zip("abc", adjusted) if q <= 0.05] and r.fdr == 0.05
    assert {c.threshold_source for c in _drift(ref, cur, DriftOptions().from_fields(fdr=0.05)).columns.values()} == {
        "config"}
    # an adjusted p-value equal to q is drifted (<=): q set to the middle adjusted value
    q = float(np.sort(adjusted)[1])
    at = _drift(ref, cur, DriftOptions(fdr=q))
    assert at.drifted_columns == [c for c, a in zip("abc", adjusted) if a <= q] and len(at.drifted_columns) == 2


def test_fdr_leaves_distance_scores_alone():
    ref, cur = _three()
    r = _drift(ref, cur, DriftOptions(fdr=0.05, method="wasserstein"))
    assert all(c.p_value_adjusted is None and c.threshold == 0.1 and c.threshold_source == "default"
               for c in r.columns.values())


def test_the_dataset_drifts_when_the_share_reaches_the_threshold():
    ref, cur = _three()
    cur = cur.assign(a=cur["a"] + 2.0, b=cur["b"] + 2.0, c=ref["c"])  # a and b drift, c does not: share 2/3
    assert _drift(ref, cur, DriftOptions(drift_share=2 / 3)).dataset_drift is True
    assert _drift(ref, cur, DriftOptions(drift_share=0.67)).dataset_drift is False


def test_multivariate_preconditions_are_warnings_and_an_unknown_method_an_error():
    ref = pd.DataFrame({"c": ["x", "y"] * 20, "a": np.arange(40.0)})
    r = _drift(ref, ref.copy(), DriftOptions(multivariate="mmd", exclude=["a"]))
    assert (r.warnings, r.multivariate) == (["multivariate MMD skipped: no numerical feature columns"], None)
    gaps = pd.DataFrame({"a": [1.0] + [np.nan] * 39, "b": [np.nan] + list(np.arange(39.0))})
    r = _drift(gaps, gaps.copy(), DriftOptions(multivariate="mmd"))
    assert r.warnings[-1] == "multivariate MMD skipped: fewer than 2 complete rows on a side"
    assert r.multivariate is None
    with pytest.raises(MlmonError) as exc:
        _drift(ref, ref.copy(), DriftOptions(multivariate="foo"))
    assert exc.value.line() == "mlmon: error: unknown multivariate method 'foo' (multivariate); use multivariate mmd"


def test_multivariate_runs_on_the_numerical_features_only():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"a": rng.normal(0, 1, 60), "b": rng.normal(0, 1, 60), "c": ["x", "y"] * 30})
    cur = pd.DataFrame({"a": rng.normal(0, 1, 60), "b": rng.normal(0, 1, 60), "c": ["x", "y"] * 30})
    mv = _drift(ref, cur, DriftOptions(multivariate="mmd", mmd_gamma=0.5)).multivariate
    assert (mv["method"], mv["columns"]) == ("mmd", ["a", "b"])


def test_column_methods_must_name_a_tested_column_of_a_type_they_apply_to():
    ref = pd.DataFrame({"c": ["x", "y"] * 20, "a": np.arange(40.0)})

    def line(options, frame=ref):
        with pytest.raises(MlmonError) as exc:
            _drift(frame, frame.copy(), options)
        return exc.value.line()

    assert line(DriftOptions(column_methods={"zz": "ks"})) == (
        "mlmon: error: column_method names unknown column 'zz' (options); check the spelling against the file's header")
    assert line(DriftOptions(column_methods={"c": "ks"})) == (
        "mlmon: error: column_method c=ks: ks does not apply to categorical columns (options); use one of: "
        "chisquare, chisquare_pooled, fisher_exact, g_test, hellinger, jensenshannon, kl_div, psi, TVD, z")
    ids = pd.DataFrame({"u": [f"id{i}" for i in range(40)], "a": np.arange(40.0)})
    assert line(DriftOptions(column_methods={"u": "chisquare"}), ids).startswith(
        "mlmon: error: column_method u=chisquare: column is skipped (text-like: ")


def test_a_target_missing_from_current_is_skipped_as_labels_not_in_yet():
    ref = pd.DataFrame({"a": np.arange(40.0), "y": [0, 1] * 20})
    r = _drift(ref, ref[["a"]].copy(), DriftOptions(target="y"))
    assert r.skipped == {"y": "not in the current data: labels not in yet?"}
    assert r.warnings == ["y: skipped (not in the current data: labels not in yet?)"]
    assert r.target_drift is None


def test_no_testable_feature_is_a_warning():
    ids = pd.DataFrame({"u": [f"id{i}" for i in range(40)]})
    r = _drift(ids, ids.copy())
    assert r.warnings[-1] == "no feature column could be tested: see the skipped columns"
    assert (r.n_columns, r.drift_share, r.dataset_drift, r.severity) == (0, 0.0, False, "healthy")


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_the_result_does_not_depend_on_the_number_of_threads(workers):
    ref, cur = _three()
    assert _drift(ref, cur, DriftOptions(workers=workers)).to_dict() == _drift(ref, cur).to_dict()


def test_multivariate_is_mmd_on_the_complete_rows_of_every_numerical_feature():
    # a nullable integer column counts as numbers: its missing rows are dropped with the others';
    # the result is mmd_test's own on the same arrays, with the gamma asked for
    from mlmon.stats.mmd import mmd_test

    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"a": rng.normal(0, 1, 40), "b": pd.array([1, 2, None, 4] * 10, dtype="Int64"),
                        "c": ["x", "y"] * 20})
    cur = pd.DataFrame({"a": rng.normal(0.5, 1, 40), "b": pd.array([2, 3, 4, None] * 10, dtype="Int64"),
                        "c": ["x", "y"] * 20})
    mv = _drift(ref, cur, DriftOptions(multivariate="mmd", mmd_gamma=0.5, numerical=["b"])).multivariate
    x, y = (f[["a", "b"]].astype(float).dropna().to_numpy() for f in (ref, cur))
    assert (len(x), len(y)) == (30, 30)
    assert mv == {"method": "mmd", "columns": ["a", "b"], **mmd_test(x, y, gamma=0.5).to_dict()}
    assert mv["gamma"] == 0.5 and mv["n_reference"] == 30


def test_multivariate_needs_two_complete_rows_on_each_side():
    full = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    two = full.copy()
    two.loc[2:, "b"] = np.nan  # rows 0 and 1 complete
    one = full.copy()
    one.loc[1:, "b"] = np.nan
    skipped = "multivariate MMD skipped: fewer than 2 complete rows on a side"
    for ref, cur, runs in ((two, two, True), (one, full, False), (full, one, False)):
        r = _drift(ref, cur, DriftOptions(multivariate="mmd"))
        assert (r.multivariate is not None, skipped in r.warnings) == (runs, not runs)
        if runs:
            assert (r.multivariate["n_reference"], r.multivariate["n_current"]) == (2, 2)


def test_an_embedding_takes_the_method_asked_for_when_it_applies_to_embeddings_else_the_automatic_one():
    # the automatic choice (mlmon.stats.embedding.choose_method): mmd up to 5000 rows a side,
    # then mmd_linear below 16 dimensions
    rng = np.random.default_rng(2)
    ref = pd.DataFrame(rng.normal(size=(300, 2)), columns=["v_0", "v_1"]).assign(x=rng.normal(size=300))
    cur = pd.DataFrame(rng.normal(size=(300, 2)), columns=["v_0", "v_1"]).assign(x=rng.normal(size=300))

    def methods(frame_r, frame_c, **options):
        r = _drift(frame_r, frame_c, DriftOptions(embedding=["v_"], **options))
        return {n: c.method for n, c in r.columns.items()}

    assert methods(ref, cur, method="mmd_linear") == {"v_": "mmd_linear", "x": "ks"}
    assert methods(ref, cur, method="wasserstein") == {"v_": "mmd", "x": "wasserstein"}
    big = pd.DataFrame(rng.normal(size=(5001, 2)), columns=["v_0", "v_1"])
    assert methods(big, big.copy()) == {"v_": "mmd_linear"}


def test_exactly_twenty_new_categories_are_all_listed_with_no_more():
    ref = pd.DataFrame({"c": ["a"] * 40})
    cur = pd.DataFrame({"c": ["a"] * 20 + [f"n{i:02d}" for i in range(20)]})
    r = _drift(ref, cur, DriftOptions(categorical=["c"]))
    assert r.warnings == ["c: 20 categories only in current (n00, n01, n02, n03, n04, ...; 20 rows)"]
    assert r.columns["c"].new_categories == [f"n{i:02d}" for i in range(20)]


def test_a_single_drifted_feature_is_dataset_drift():
    ref = pd.DataFrame({"a": np.arange(40.0)})
    r = _drift(ref, ref + 100.0)  # every current value above every reference one: ks p-value far below 0.05
    assert (r.n_columns, r.n_drifted, r.drift_share, r.dataset_drift, r.severity) == (1, 1, 1.0, True, "critical")


def test_a_method_that_cannot_take_a_column_gives_scipys_reason():
    # scipy's anderson_ksamp refuses a sample with one distinct value, in these words
    ref = pd.DataFrame({"k": np.full(100, 3.0), "x": np.arange(100.0)})
    r = _drift(ref, ref.copy(), DriftOptions(method="anderson"))
    assert r.skipped == {"k": "anderson cannot be computed here: anderson_ksamp needs more than one distinct observation"}
    with pytest.raises(MlmonError) as exc:
        _drift(ref, ref.copy(), DriftOptions(column_methods={"k": "anderson"}))
    assert exc.value.line() == (
        "mlmon: error: anderson cannot be computed for column 'k': anderson_ksamp needs more than one distinct "
        "observation (drift method); choose another method for it, e.g. --column-method k=z")
