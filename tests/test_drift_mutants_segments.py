"""Drift by segment, rule by rule: the option checks word for word, the empirical p-value
``(1 + #{null scores at least as extreme}) / (B + 1)`` by hand, the number of null draws
``max(199, ceil(2m/q) - 1)`` by hand, which segments are tested, how a segment's verdict is
recomputed after the adjustment, and how the most drifted segments are ranked (the rules of
:mod:`mlmon.services.drift.segments`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError, option
from mlmon.io.tables import Table
from mlmon.services.drift import ColumnDrift, DriftOptions, DriftResult
from mlmon.services.drift.segments import (MAX_DRAWS, PROCEDURE, _control, _refresh, _sizes, check_not_windowed,
                                           check_segment_options, empirical_p_value, most_drifted, run_segments)
from mlmon.services.drift.windowed import run_two_files
from mlmon.services.segments import parse_segment_by, partition


def _line(check, **fields):
    with pytest.raises(MlmonError) as exc:
        check(DriftOptions(**fields))
    return exc.value.line()


@pytest.mark.parametrize("fields", [dict(segment_fdr=1e-9), dict(segment_fdr=0.999), dict(segment_min_rows=10)])
def test_segment_options_at_the_edge_of_their_range_pass(fields):
    check_segment_options(DriftOptions(**fields))


@pytest.mark.parametrize("fields, message", [
    (dict(segment_fdr=0.0), "segment_fdr 0.0 is outside (0, 1) (options); use e.g. segment_fdr 0.05"),
    (dict(segment_fdr=1.0), "segment_fdr 1.0 is outside (0, 1) (options); use e.g. segment_fdr 0.05"),
    (dict(segment_fdr=True), "segment_fdr True is outside (0, 1) (options); use e.g. segment_fdr 0.05"),
    (dict(segment_fdr="0.1"), "segment_fdr 0.1 is outside (0, 1) (options); use e.g. segment_fdr 0.05"),
    (dict(segment_min_rows=9), "segment_min_rows 9 is not a row count of at least 10 (options); "
                               "use e.g. segment_min_rows 100"),
    (dict(segment_min_rows=True), "segment_min_rows True is not a row count of at least 10 (options); "
                                  "use e.g. segment_min_rows 100"),
    (dict(segment_min_rows=10.0), "segment_min_rows 10.0 is not a row count of at least 10 (options); "
                                  "use e.g. segment_min_rows 100"),
])
def test_segment_options_out_of_range_are_one_line_errors(fields, message):
    assert _line(check_segment_options, **fields) == "mlmon: error: " + message


def test_segments_and_windows_together_are_refused_and_each_alone_passes():
    message = ("mlmon: error: segment_by with windows is not supported yet (options); check segments on the two "
               "files (drop window/chunk_size), or run one windowed check per segment's rows")
    assert _line(check_not_windowed, segment_by=["g"], chunk_size=100) == message
    assert _line(check_not_windowed, segment_by=["g"], window="1D", timestamp="ts") == message
    check_not_windowed(DriftOptions(segment_by=["g"]))
    check_not_windowed(DriftOptions(chunk_size=100))


NULL = np.array([0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("score, rule, p", [
    (0.3, ">=", 3 / 5), (0.3, ">", 3 / 5),   # a distance: 0.3 and 0.4 at least as large
    (0.3, "<=", 4 / 5), (0.3, "<", 4 / 5),   # a p-value: 0.1, 0.2 and 0.3 at most as large
    (0.5, ">=", 1 / 5), (0.05, "<=", 1 / 5),  # beyond every draw: the smallest p-value, 1 / (B + 1)
    (0.05, ">=", 5 / 5), (math.nan, ">=", 1.0), (math.nan, "<=", 1.0),
])
def test_the_empirical_p_value_counts_the_draws_at_least_as_extreme(score, rule, p):
    assert empirical_p_value(NULL, score, rule) == pytest.approx(p, rel=1e-15)


def test_a_segment_is_tested_when_both_sides_reach_the_minimum():
    ref = pd.DataFrame({"g": ["A"] * 10 + ["B"] * 9 + ["C"] * 12})
    cur = pd.DataFrame({"g": ["A"] * 10 + ["B"] * 30 + ["D"] * 11})
    tested, not_tested = _sizes(partition([ref, cur], parse_segment_by(["g"])), 10)
    assert tested == ["A"]
    assert not_tested == {
        "B": {"reference_rows": 9, "current_rows": 30, "reason": "fewer than 10 rows on a side: reported, not tested"},
        "C": {"reference_rows": 12, "current_rows": 0, "reason": "only in reference"},
        "D": {"reference_rows": 0, "current_rows": 11, "reason": "only in current"},
    }


def _col(name, drifted, score=0.01):
    return ColumnDrift(name, "numerical", "feature", "ks", "K-S p_value", score, 0.05, drifted, "p_value", "<=",
                       None, 100, 100, 0, 0, 0)


def _result(flags, rows=(100, 80), drift_share=0.5):
    cols = {f"c{i}": _col(f"c{i}", f) for i, f in enumerate(flags)}
    return DriftResult(reference={"rows": rows[0]}, current={"rows": rows[1]}, columns=cols, drift_share=0.0,
                       dataset_drift=False, drift_share_threshold=drift_share, n_columns=len(cols), n_drifted=0,
                       severity="healthy")


@pytest.mark.parametrize("flags, share, dataset, severity", [
    ([True, False, False, False, False], 0.2, False, "healthy"),
    ([True, True, False, False], 0.5, True, "degraded"),
    ([True, True, True, False], 0.75, True, "critical"),
    ([], 0.0, False, "healthy"),
    ([True], 1.0, True, "critical"),  # one column, drifted: the whole segment
])
def test_a_segments_verdict_is_recomputed_from_its_adjusted_flags(flags, share, dataset, severity):
    r = _result(flags)
    _refresh(r)
    assert (r.n_drifted, r.drift_share, r.dataset_drift, r.severity) == (sum(flags), share, dataset, severity)
    assert (r.recommendations[0].startswith("Investigate") if any(flags) else r.recommendations == []) is True


def test_the_most_drifted_segments_rank_by_drifted_columns_then_share_then_name():
    results = {
        "none": _result([False, False]),
        "b": _result([True, False, False, False]),      # 1 of 4
        "a": _result([True, False, False, False]),      # 1 of 4: ties with b, named first
        "half": _result([True, False]),                 # 1 of 2: a larger share
        "two": _result([True, True, False, False, False], rows=(300, 200)),  # 2 of 5: most columns
    }
    for r in results.values():
        _refresh(r)
    top = most_drifted(results)
    assert [t["segment"] for t in top] == ["two", "half", "a", "b"]
    assert top[0] == {"segment": "two", "n_drifted": 2, "n_columns": 5, "drift_share": 0.4,
                      "drifted_columns": ["c0", "c1"], "reference_rows": 300, "current_rows": 200}
    assert [t["segment"] for t in most_drifted(results, limit=2)] == ["two", "half"]
    six = {f"s{i}": _result([True]) for i in range(6)}
    for r in six.values():
        _refresh(r)
    assert [t["segment"] for t in most_drifted(six)] == ["s0", "s1", "s2", "s3", "s4"]  # MOST_DRIFTED = 5


KINDS = {"g": "string", "x": "float", "c": "string"}


def _frame(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    g = np.array(["A"] * (n // 2) + ["B"] * (n // 4) + ["C"] * (n - n // 2 - n // 4))
    x = rng.normal(0, 1, n) + np.where(g == "A", shift, 0.0)
    return pd.DataFrame({"g": g, "x": x, "c": rng.choice(list("pq"), n)})


def _segments(options, ref=None, cur=None):
    ref = Table("ref", _frame(200, 0) if ref is None else ref, KINDS)
    cur = Table("cur", _frame(120, 1, shift=3.0) if cur is None else cur, KINDS)
    return run_segments(ref, cur, options, run_two_files(ref, cur, options)).to_dict()


def test_a_shifted_segment_is_flagged_with_the_smallest_p_value_the_draws_allow():
    # 3 segments x 2 columns: m = 6 pairs, q = 0.05: ceil(2 * 6 / 0.05) - 1 = 239 draws; x in A
    # (moved by 3 sd) beats every draw: p = 1 / 240; BH over 6 pairs makes it at most 6/240 = 0.025
    d = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30))
    seg = d["segmentation"]
    assert {k: seg[k] for k in ("by", "min_rows", "false_discovery_rate", "procedure", "pairs", "pairs_tested",
                                "pairs_flagged", "null_draws", "values", "not_tested")} == {
        "by": ["g"], "min_rows": 30, "false_discovery_rate": 0.05, "procedure": PROCEDURE, "pairs": 6,
        "pairs_tested": 6, "pairs_flagged": 1, "null_draws": 239,
        "values": {"A": {"g": "A"}, "B": {"g": "B"}, "C": {"g": "C"}}, "not_tested": {}}
    x = d["segments"]["A"]["columns"]["x"]
    assert x["details"] == {"null_p_value": 1 / 240, "null_draws": 239}
    assert (x["p_value_adjusted"], x["threshold"], x["threshold_source"], x["drift_rule"], x["drifted"]) == (
        pytest.approx(6 / 240, rel=1e-12), 0.05, "default", "<=", True)
    assert seg["most_drifted"] == [{"segment": "A", "n_drifted": 1, "n_columns": 2, "drift_share": 0.5,
                                    "drifted_columns": ["x"], "reference_rows": 100, "current_rows": 60}]
    assert d["warnings"][-1] == "segments drifted most: A (1 of 2 columns: x)"
    a = d["segments"]["A"]
    assert (a["n_drifted"], a["drift_share"], a["dataset_drift"], a["severity"]) == (1, 0.5, True, "degraded")
    assert "g" not in a["columns"]  # the segment column is no column of its segments


def test_the_rate_given_is_where_the_adjusted_thresholds_come_from():
    d = _segments(DriftOptions().from_fields(segment_by=["g"], segment_min_rows=30, segment_fdr=0.02))
    assert {c["threshold_source"] for s in d["segments"].values() for c in s["columns"].values()} == {"config"}
    assert d["segmentation"]["null_draws"] == 599  # ceil(2 * 6 / 0.02) - 1
    d = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30, segment_fdr=0.1))
    assert {c["threshold"] for s in d["segments"].values() for c in s["columns"].values()} == {0.1}
    assert {c["threshold_source"] for s in d["segments"].values() for c in s["columns"].values()} == {"flag"}


def test_few_pairs_take_199_draws_and_too_many_are_capped_with_a_warning(monkeypatch):
    from mlmon.services.drift import segments

    small = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30, segment_fdr=0.49))
    assert small["segmentation"]["null_draws"] == 199  # ceil(2 * 6 / 0.49) - 1 = 24, raised to 199
    assert MAX_DRAWS == 20_000
    # the cap lowered so that it binds at a fast size: 6 pairs at q = 0.04 want ceil(12 / 0.04) - 1 = 299
    monkeypatch.setattr(segments, "MAX_DRAWS", 299)
    d = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30, segment_fdr=0.04))
    assert d["segmentation"]["null_draws"] == 299 and not any(" null draws a pair " in w for w in d["warnings"])
    monkeypatch.setattr(segments, "MAX_DRAWS", 9)
    d = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30, segment_fdr=0.01))
    assert d["segmentation"]["null_draws"] == 9  # ceil(2 * 6 / 0.01) - 1 = 1199, capped
    # 1 / (9 + 1) = 0.1; q / m = 0.01 / 6 = 0.0017
    assert d["warnings"][-1] == (
        "6 (segment, column) pairs: 9 null draws a pair resolve p-values down to 0.1, above the 0.0017 the "
        "first flag needs; segment by fewer values to keep the false discovery rate at 0.01 with power")


def _four(n_per, seed, shifted):
    """Segments A-D; in current, A moves all of x0-x3 by 3 sd and B-D move x0 alone."""
    rng = np.random.default_rng(seed)
    g = np.repeat(list("ABCD"), n_per)
    f = pd.DataFrame({"g": g})
    for k in range(4):
        move = ((g == "A") | (k == 0)) if shifted else np.zeros(len(g), bool)
        f[f"x{k}"] = rng.normal(0, 1, len(g)) + 3.0 * move
    return f


def test_the_warning_names_the_three_most_drifted_segments_with_three_columns_each():
    kinds = {"g": "string", **{f"x{k}": "float" for k in range(4)}}
    ref, cur = Table("ref", _four(50, 0, False), kinds), Table("cur", _four(30, 1, True), kinds)
    options = DriftOptions().override(segment_by=["g"], segment_min_rows=30)
    d = run_segments(ref, cur, options, run_two_files(ref, cur, options)).to_dict()
    assert d["segmentation"]["null_draws"] == 639  # 16 pairs: ceil(2 * 16 / 0.05) - 1
    assert [t["segment"] for t in d["segmentation"]["most_drifted"]] == ["A", "B", "C", "D"]
    assert d["warnings"][-1] == ("segments drifted most: A (4 of 4 columns: x0, x1, x2); B (1 of 4 columns: x0); "
                                 "C (1 of 4 columns: x0)")


def test_each_pair_is_compared_with_draws_of_its_current_size_up_to_half_its_reference():
    # the empirical p-value by its definition: null_scores of min(current, reference // 2) rows
    # drawn from the segment's own reference, seeded by segment and column; a column with fewer than
    # 2 current values in a segment has no null (p = 1, 0 draws), with 2 it has one
    from mlmon.stats import univariate
    from mlmon.stats.calibration import null_scores, seed_for

    r, c = _frame(200, 0), _frame(120, 1, shift=3.0)
    c.loc[c.index[c["g"] == "A"][1:], "x"] = np.nan  # A: one current value of x
    c.loc[c.index[c["g"] == "B"][2:], "x"] = np.nan  # B: two
    d = _segments(DriftOptions().override(segment_by=["g"], segment_min_rows=30), ref=r, cur=c)
    x = {s: d["segments"][s]["columns"]["x"] for s in "ABC"}
    assert (x["A"]["current_count"], x["A"]["details"]) == (1, {"null_p_value": 1.0, "null_draws": 0})
    ks = univariate.get("ks")
    for s, n in (("B", 2), ("C", 25)):  # C: 30 current rows, 50 reference rows: windows of 50 // 2
        ref_x = np.sort(r.loc[r["g"] == s, "x"].to_numpy())
        pool = null_scores(ref_x, ks, "numerical", n, draws=239, method="random", seed=seed_for(f"{s}\x00x"),
                           presorted=True, fast=True)
        assert x[s]["details"] == {"null_p_value": empirical_p_value(pool.scores, x[s]["score"], "<="),
                                   "null_draws": 239}


@pytest.mark.parametrize("origin", ["flag", "config"])
def test_an_explicit_threshold_keeps_its_own_verdict_outside_the_adjustment(origin):
    options = DriftOptions().override(segment_by=["g"], segment_min_rows=30)
    d = _segments(options.override(column_thresholds={"x": 0.5}) if origin == "flag" else
                  options.from_fields(column_thresholds={"x": 0.5}))
    for s in d["segments"].values():
        x, c = s["columns"]["x"], s["columns"]["c"]
        assert (x["threshold"], x["threshold_source"], "p_value_adjusted" in x, "details" in x) == (
            0.5, origin, False, False)
        assert (x["drifted"], c["threshold_source"], "p_value_adjusted" in c) == (x["score"] <= 0.5, "default", True)
    assert d["segmentation"]["pairs_tested"] == 6


def test_a_pair_whose_adjusted_p_value_equals_q_is_flagged():
    # c0: 0.3 and 0.4 of the 4 draws at least 0.35, p = (1 + 1) / 5 = 0.4; c1 has no null, p = 1.
    # Benjamini-Hochberg by hand over m = 2: 0.4 * 2 / 1 = 0.8 and 1.0 * 2 / 2 = 1.0; at q = 0.8 c0 is flagged
    r = _result([False, False])
    r.columns["c0"].score = 0.35
    out = _control({"s": r}, {("s", "c0"): (NULL, ">=")}, 0.8, "flag")
    c0, c1 = r.columns["c0"], r.columns["c1"]
    assert out == {"tested": 2, "flagged": 1}
    assert (c0.p_value_adjusted, c0.drifted, c0.threshold, c0.threshold_source, c0.drift_rule, c0.details) == (
        pytest.approx(0.8, rel=1e-15), True, 0.8, "flag", "<=", {"null_p_value": 0.4, "null_draws": 4})
    assert (c1.p_value_adjusted, c1.drifted, c1.details) == (1.0, False, {"null_p_value": 1.0, "null_draws": 0})


def _typed_frame(na, nb, seed, shift=0.0):
    """Segment A: an integer k over 100 values, text s over four; segment B: k over three values and a new s on
    every row, so that B alone would type k as categories and s as free text."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "g": ["A"] * na + ["B"] * nb,
        "k": np.concatenate([rng.integers(0, 100, na), rng.integers(0, 3, nb)]),
        "s": np.concatenate([rng.choice(["v0", "v1", "v2", "v3"], na), [f"w{seed}-{i}" for i in range(nb)]]),
        "x": rng.normal(shift, 1, na + nb), "y": rng.normal(0, 1, na + nb)})


TYPED_KINDS = {"g": "string", "k": "int", "s": "string", "x": "float", "y": "float"}


def test_segments_keep_the_whole_tables_column_types_and_target_and_leave_out_its_table_wide_checks():
    ref, cur = Table("ref", _typed_frame(180, 60, 0), TYPED_KINDS), Table("cur", _typed_frame(120, 40, 1), TYPED_KINDS)
    o = DriftOptions().override(segment_by=["g"], segment_min_rows=30, target="y", fdr=0.05, multivariate="mmd")
    d = run_segments(ref, cur, o, run_two_files(ref, cur, o)).to_dict()
    assert d["multivariate"] is not None and d["fdr"] is not None and d["target_drift"]["column"] == "y"
    for name, seg in d["segments"].items():
        assert {c: v["type"] for c, v in seg["columns"].items()} == {"k": "numerical", "s": "categorical",
                                                                      "x": "numerical"}, name
        assert seg["target_drift"]["column"] == "y" and seg["target_drift"]["type"] == "numerical"
        # the false discovery rate is the segments' own, over every (segment, column) pair; no multivariate test
        assert seg["multivariate"] is None and seg["fdr"] is None and "segments" not in seg
    assert d["segmentation"]["pairs"] == 2 * 4  # k, s, x and the target in each of two segments


def test_a_segment_column_one_table_lacks_is_named_with_that_table():
    # reachable when the column is excluded from the drift check itself
    ref, cur = Table("ref", _typed_frame(180, 60, 0), TYPED_KINDS), Table("cur.parquet", _typed_frame(120, 40, 1)
                                                                         .drop(columns=["g"]), TYPED_KINDS)
    o = DriftOptions().override(segment_by=["g"], segment_min_rows=30, exclude=["g"])
    with pytest.raises(MlmonError) as err:
        run_segments(ref, cur, o, run_two_files(ref, cur, o))
    assert (err.value.what, err.value.where) == (
        f"{option('segment_by')} names column 'g', which is not in the data", "cur.parquet")


def test_pairs_count_only_tested_segments_none_when_no_segment_is_large_enough():
    ref, cur = Table("ref", _typed_frame(180, 60, 0), TYPED_KINDS), Table("cur", _typed_frame(120, 40, 1), TYPED_KINDS)
    o = DriftOptions().override(segment_by=["g"], segment_min_rows=50, exclude=["k", "s"])
    d = run_segments(ref, cur, o, run_two_files(ref, cur, o)).to_dict()
    assert (d["segmentation"]["pairs"], d["segmentation"]["pairs_tested"]) == (2, 2)  # A: x and y; B is too small
    o = DriftOptions().override(segment_by=["g"], segment_min_rows=200, exclude=["k", "s"])
    d = run_segments(ref, cur, o, run_two_files(ref, cur, o)).to_dict()
    assert (d["segmentation"]["pairs"], d["segmentation"]["null_draws"], d["segments"]) == (0, 199, {})


def test_each_segment_names_its_rows_and_takes_the_columns_methods():
    ref, cur = Table("ref", _typed_frame(180, 60, 0), TYPED_KINDS), Table("cur", _typed_frame(120, 40, 1), TYPED_KINDS)
    o = DriftOptions().override(segment_by=["g"], segment_min_rows=30, column_methods={"x": "wasserstein", "g": "psi"})
    d = run_segments(ref, cur, o, run_two_files(ref, cur, o)).to_dict()
    a = d["segments"]["A"]
    assert (a["reference"], a["current"]) == ({"path": "ref [A]", "rows": 180}, {"path": "cur [A]", "rows": 120})
    assert {name: seg["columns"]["x"]["method"] for name, seg in d["segments"].items()} == {"A": "wasserstein",
                                                                                         "B": "wasserstein"}
