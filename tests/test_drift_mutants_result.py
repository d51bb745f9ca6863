"""The drift result's JSON contract, field by field: which keys are left out when empty, which are
bounded, which appear only in windowed and segment mode, and where a threshold came from (the
rules of :mod:`mlmon.services.drift.result`)."""

from __future__ import annotations

import math

from mlmon.jsonsafe import TEXT_LIMIT
from mlmon.services.drift import SCHEMA_VERSION, ColumnDrift, DriftOptions, DriftResult, ProfileColumnDrift

BASE = dict(column="a", type="num", role="feature", method="ks", method_name="K-S p_value", score=0.01,
            threshold=0.05, drifted=True, score_kind="p_value", drift_rule="<", statistic=0.3,
            reference_count=100, current_count=90, reference_missing=1, current_missing=2, infinite_dropped=3)
PLAIN = {**BASE, "threshold_source": "default"}


def test_a_column_leaves_out_details_adjusted_p_and_new_categories_when_it_has_none():
    assert ColumnDrift(**BASE).to_dict() == PLAIN
    assert ColumnDrift(**BASE, new_categories=[]).to_dict() == PLAIN


def test_a_column_keeps_them_when_set_and_bounds_each_new_category():
    long = "x" * (TEXT_LIMIT + 5)
    d = ColumnDrift(**BASE, p_value_adjusted=0.02, new_categories=["n", long], details={"rows": 5},
                    threshold_source="flag").to_dict()
    assert d == {**PLAIN, "p_value_adjusted": 0.02, "new_categories": ["n", "x" * (TEXT_LIMIT - 1) + "…"],
                 "details": {"rows": 5}, "threshold_source": "flag"}


def test_a_profile_column_shows_its_bounds_only_when_approximate():
    exact = ProfileColumnDrift(**BASE, error_bound=0.1, statistic_bounds=[0.2, 0.4], score_bounds=[0.0, 0.1])
    assert exact.to_dict() == {**PLAIN, "approximate": False, "verdict_certain": True, "basis": "exact"}
    approx = ProfileColumnDrift(**BASE, approximate=True, error_bound=0.1, statistic_bounds=[0.2, 0.4],
                                score_bounds=[0.0, 0.1], verdict_certain=False, basis="histogram")
    assert approx.to_dict() == {**PLAIN, "approximate": True, "error_bound": 0.1, "statistic_bounds": [0.2, 0.4],
                                "score_bounds": [0.0, 0.1], "verdict_certain": False, "basis": "histogram"}


def _result(**extra):
    col = ColumnDrift(**BASE)
    return DriftResult(reference={"rows": 100}, current={"rows": 92}, columns={"a": col}, drift_share=1.0,
                       dataset_drift=True, drift_share_threshold=0.5, n_columns=1, n_drifted=1, severity="critical",
                       **extra)


TWO_FILE = {
    "schema_version": SCHEMA_VERSION, "reference": {"rows": 100}, "current": {"rows": 92}, "dataset_drift": True,
    "drift_share": 1.0, "drift_share_threshold": 0.5, "n_columns": 1, "n_drifted": 1, "severity": "critical",
    "columns": {"a": PLAIN}, "target_drift": None, "prediction_drift": None, "multivariate": None, "fdr": None,
    "skipped": {}, "warnings": [], "recommendations": [],
}


def test_a_two_file_result_has_exactly_the_two_file_keys():
    assert SCHEMA_VERSION == 1
    assert _result().to_dict() == TWO_FILE
    assert _result().drifted_columns == ["a"]


def test_target_prediction_text_and_non_finite_numbers_are_made_safe():
    long = "w" * (TEXT_LIMIT + 1)
    target = ColumnDrift(**{**BASE, "column": "y", "role": "target", "score": math.nan})
    r = _result(target_drift=target, prediction_drift=ColumnDrift(**{**BASE, "column": "p", "role": "prediction"}),
                skipped={"s": long}, warnings=[long], recommendations=[long], fdr=0.1,
                multivariate={"p_value": math.inf})
    d = r.to_dict()
    cut = "w" * (TEXT_LIMIT - 1) + "…"
    assert d["target_drift"] == {**PLAIN, "column": "y", "role": "target", "score": None}
    assert d["prediction_drift"] == {**PLAIN, "column": "p", "role": "prediction"}
    assert (d["skipped"], d["warnings"], d["recommendations"]) == ({"s": cut}, [cut], [cut])
    assert (d["fdr"], d["multivariate"]) == (0.1, {"p_value": None})


def test_windowed_and_segment_keys_appear_only_in_their_modes_with_empty_defaults():
    d = _result(windows=[], calibration={"rate": 0.01}, segmentation={"by": ["c"]}).to_dict()
    assert d == {**TWO_FILE, "windows": [], "onsets": {}, "calibration": {"rate": 0.01},
                 "segmentation": {"by": ["c"]}, "segments": {}}
    d = _result(windows=[{"i": 1}], onsets={"a": "2024-01-01"}, segmentation={}, segments={"c=1": {}}).to_dict()
    assert (d["windows"], d["onsets"], d["segmentation"], d["segments"]) == ([{"i": 1}], {"a": "2024-01-01"}, {},
                                                                              {"c=1": {}})
    assert "calibration" not in d


def test_a_thresholds_origin_is_the_column_threshold_then_the_global_one():
    assert DriftOptions().threshold_origin("a") is None
    assert DriftOptions(threshold=0.1).threshold_origin("a") == "flag"  # set in code: the caller gave it
    assert DriftOptions().from_fields(threshold=0.1).threshold_origin("a") == "config"
    both = DriftOptions().from_fields(threshold=0.1).override(column_thresholds={"a": 0.2})
    assert (both.threshold_origin("a"), both.threshold_origin("b")) == ("flag", "config")
    assert DriftOptions().from_fields(column_thresholds={"a": 0.2}).threshold_origin("a") == "config"
    assert DriftOptions(column_thresholds={"a": 0.2}).threshold_origin("b") is None


def test_windowed_means_a_window_or_a_chunk_size():
    assert (DriftOptions().windowed, DriftOptions(window="1D").windowed, DriftOptions(chunk_size=0).windowed,
            DriftOptions(window="").windowed) == (False, True, True, False)
