"""When an estimate is not to be trusted, each window says so and why: inputs outside the
reference, an estimator that did not hold on the reference's held-back last quarter, and
realized values that keep leaving the estimate's band once labels arrive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimation_data import MC, REG, multiclass_frame, regression_frame
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon.services.performance.disagreement import MIN_WINDOWS, persistent_disagreement
from mlmon.services.performance.estimate import OUTSIDE_UNRELIABLE, held_back_check


def test_inputs_outside_the_reference_range_make_a_window_unreliable_and_name_the_input():
    ref = multiclass_frame(5000, seed=50)
    cur = multiclass_frame(4000, seed=51, days=2)
    late = cur["ts"] >= "2024-01-02"
    cur.loc[late, "x2"] = cur.loc[late, "x2"] + 4.5   # beyond the reference's range on many rows of day 2
    d = compute_performance(cur.assign(y=None), PerfOptions(**MC, estimate=True), ref).to_dict()
    first, second = d["windows"]
    assert first["estimation"]["reliable"] is True and first["estimation"]["outside_share"] < OUTSIDE_UNRELIABLE
    assert second["estimation"]["reliable"] is False
    share = float(((cur.loc[late, "x2"] > ref["x2"].max()) | (cur.loc[late, "x2"] < ref["x2"].min())).mean())
    assert second["estimation"]["outside_share"] == pytest.approx(share, abs=1e-12)
    assert "inputs outside the reference's support (x2 " in second["estimation"]["reasons"][0]


def test_an_unseen_category_counts_as_outside_the_reference():
    ref = regression_frame(1000, seed=52)
    cur = regression_frame(400, seed=53)
    cur.loc[cur.index[:100], "region"] = "east"   # 25 % of the window: a region the reference never held
    d = compute_performance(cur.assign(y=np.nan), PerfOptions(**{**REG, "window": None, "timestamp": None},
                                                               estimate=True), ref).to_dict()
    e = d["windows"][0]["estimation"]
    assert e["outside_share"] >= 0.25 and e["reliable"] is False   # plus the odd number beyond the reference's range
    assert "(region 25%" in e["reasons"][0]


def test_an_estimator_that_did_not_hold_on_the_held_back_reference_is_reported():
    # the reference's last quarter already has the changed relation: what calibration learnt before it fails there
    ref = pd.concat([multiclass_frame(6000, seed=54), multiclass_frame(2000, seed=55, concept=1.5)], ignore_index=True)
    cur = multiclass_frame(2000, seed=56, days=2)
    d = compute_performance(cur.assign(y=None), PerfOptions(**MC, estimate=True), ref).to_dict()
    check = d["estimation"]["held_back"]
    assert check["held"] is False and check["rows"] == 2000
    for w in d["windows"]:
        assert w["estimation"]["reliable"] is False
        assert any(r.startswith("calibration did not hold on held-back reference data") for r in w["estimation"]["reasons"])


def test_a_stable_reference_holds():
    d = compute_performance(regression_frame(2000, seed=57).assign(y=np.nan), PerfOptions(**REG, estimate=True),
                            regression_frame(2000, seed=58)).to_dict()
    assert d["estimation"]["held_back"]["held"] is True


def test_held_back_check_needs_both_a_significant_and_a_material_gap():
    assert held_back_check(0.80, 0.85, 0.01, "accuracy", 1000)["held"] is False       # 5 se, 0.05 apart
    assert held_back_check(0.80, 0.805, 0.001, "accuracy", 10**6)["held"] is True     # 5 se but only 0.005 apart
    assert held_back_check(1.00, 1.10, 0.01, "mae", 1000)["held"] is False            # 10 %, 10 se
    assert held_back_check(1.00, 1.04, 0.001, "mae", 1000)["held"] is True            # 4 % < 5 %


def test_labels_that_keep_leaving_the_band_are_read_as_a_changed_relation():
    ref = multiclass_frame(10000, seed=59)
    cur = multiclass_frame(12000, seed=60, days=6, concept=1.5)  # labels arrive; the relation has changed
    d = compute_performance(cur, PerfOptions(**MC, estimate=True), ref).to_dict()
    found = d["estimation"]["disagreement"]
    assert found is not None and found["windows"] == 6 and found["metric"] == "accuracy"
    assert found["message"].startswith(f"the estimate has been off by {abs(found['gap']):.2f} for 6 windows: "
                                       "the input-label relation has likely changed")
    assert found["message"] in d["warnings"]
    assert all(found["message"] in w["estimation"]["reasons"] for w in d["windows"])


def test_no_disagreement_when_the_relation_holds():
    ref = multiclass_frame(10000, seed=61)
    d = compute_performance(multiclass_frame(12000, seed=62, days=6), PerfOptions(**MC, estimate=True), ref).to_dict()
    assert d["estimation"]["disagreement"] is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 0.95), st.floats(0.001, 0.04), st.floats(-1, 1)), max_size=30))
def test_realized_values_inside_the_band_never_disagree(rows):
    triples = [(e, (e - h, e + h), e + u * h) for e, h, u in rows]
    assert persistent_disagreement(triples) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 0.95), st.floats(0.001, 0.04), st.floats(-3, 3)), max_size=20),
       st.integers(MIN_WINDOWS, 8), st.sampled_from([-1, 1]), st.floats(1.5, 5))
def test_a_run_of_misses_on_one_side_is_found_after_any_history(history, run, side, far):
    triples = [(e, (e - h, e + h), e + u * h) for e, h, u in history]
    triples += [(0.5, (0.48, 0.52), 0.5 + side * far * 0.02)] * run
    found = persistent_disagreement(triples)
    assert found is not None and found.windows >= run and (found.gap > 0) == (side > 0)
    assert found.starts[-1] == len(triples) - 1


def test_windows_without_labels_are_skipped_not_counted_as_agreement():
    off = (0.9, (0.88, 0.92), 0.80)
    assert persistent_disagreement([off, (0.9, (0.88, 0.92), None), off, off]).windows == 3
    assert persistent_disagreement([off, off, (0.9, (0.88, 0.92), 0.95)]) is None   # the newest is off the other way


def test_stored_metric_rows_give_the_same_disagreement_as_the_run_that_wrote_them():
    from mlmon.services.performance.disagreement import disagreement_from_rows
    from mlmon.store.rows import metric_rows

    ref = multiclass_frame(10000, seed=63)
    d = compute_performance(multiclass_frame(12000, seed=64, days=6, concept=1.5), PerfOptions(**MC, estimate=True),
                            ref).to_dict()
    found = disagreement_from_rows(metric_rows(d))
    assert found is not None and found.windows == d["estimation"]["disagreement"]["windows"]
    assert found.gap == pytest.approx(d["estimation"]["disagreement"]["gap"], abs=1e-12)
