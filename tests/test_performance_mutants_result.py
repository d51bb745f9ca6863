"""The JSON contract of a performance run, key for key: a window's fields and their defaults, the
baseline window shown only against the previous window, which metrics a window was judged on,
and the run's fields in order with NaN made null (found by mutation testing:
``scripts/mutation scripts/mlmon/services/performance/result.py``)."""

from __future__ import annotations

import json

import numpy as np

from mlmon.services.performance.result import SCHEMA_VERSION, PerfResult, PerfWindow


def _window(**kw):
    return PerfWindow(start="2024-01-01", end="2024-01-02", n=10, n_labeled=8, unlabeled_share=0.2, **kw)


def test_a_new_window_is_healthy_unjudged_and_empty_in_the_json_contract():
    assert _window().to_dict() == {
        "start": "2024-01-01", "end": "2024-01-02", "n": 10, "n_labeled": 8, "unlabeled_share": 0.2,
        "metrics": {}, "intervals": {}, "estimated": None, "estimated_intervals": None, "estimation": None,
        "severity": "healthy", "severity_basis": None, "drops": {}, "drop_beyond_noise": {}, "notes": [],
        "too_small": []}
    w = _window()
    assert (w.against_previous, w.baseline_window, w.judged_values) == (False, None, None)
    # each window has lists and dicts of its own
    other = _window()
    w.notes.append("x"), w.metrics.update(a=1.0), w.intervals.update(a={}), w.drops.update(a=0.5)
    w.drop_beyond_noise.update(a=True), w.too_small.append("a")
    assert other.to_dict() == _window().to_dict()


def test_the_baseline_window_is_shown_only_against_the_previous_window():
    w = _window(against_previous=True, baseline_window="2023-12-31")
    d = w.to_dict()
    assert list(d)[-1] == "baseline_window" and d["baseline_window"] == "2023-12-31"
    assert "baseline_window" not in _window(baseline_window="2023-12-31").to_dict()
    assert _window(against_previous=True).to_dict()["baseline_window"] is None


def test_the_judged_values_are_the_realized_or_the_estimated_metrics():
    metrics, estimated = {"accuracy": 0.5}, {"accuracy": 0.75}
    assert _window(metrics=metrics, estimated=estimated, severity_basis="realized").judged_values is metrics
    assert _window(metrics=metrics, estimated=estimated, severity_basis="estimated").judged_values is estimated
    assert _window(metrics=metrics, estimated=estimated).judged_values is None


def _result(**kw):
    return PerfResult(task="binary", window="1D", columns={"target": "y"}, rows=10, labeled_rows=8,
                      baseline={"metrics": {"accuracy": np.float64(0.9), "auc_roc": float("nan")}},
                      windows=[_window(metrics={"accuracy": 0.5})], label_delay=None, severity="degraded",
                      primary=["accuracy"], tiers={"warning_drop": 0.05, "critical_drop": 0.15}, **kw)


def test_a_run_has_every_field_of_its_contract_in_order_with_nan_as_null():
    assert SCHEMA_VERSION == 1
    d = _result().to_dict()
    assert list(d) == ["schema_version", "task", "model", "version", "window", "columns", "rows", "labeled_rows",
                       "labels_join", "severity", "primary", "tiers", "baseline", "baseline_kind", "estimation",
                       "windows", "label_delay", "warnings"]
    assert d == {
        "schema_version": 1, "task": "binary", "model": None, "version": None, "window": "1D",
        "columns": {"target": "y"}, "rows": 10, "labeled_rows": 8, "labels_join": None, "severity": "degraded",
        "primary": ["accuracy"], "tiers": {"warning_drop": 0.05, "critical_drop": 0.15},
        "baseline": {"metrics": {"accuracy": 0.9, "auc_roc": None}}, "baseline_kind": "reference",
        "estimation": None, "windows": [_window(metrics={"accuracy": 0.5}).to_dict()], "label_delay": None,
        "warnings": []}
    assert type(d["baseline"]["metrics"]["accuracy"]) is float
    json.dumps(d, allow_nan=False)


def test_a_run_carries_its_model_version_join_estimation_and_warnings():
    d = _result(model="fraud", version="3", labels_join={"matched": 8}, estimation={"method": "cbpe"},
                warnings=["w"], baseline_kind="previous_window", schema_version=2).to_dict()
    assert (d["model"], d["version"], d["labels_join"], d["estimation"], d["warnings"], d["baseline_kind"],
            d["schema_version"]) == ("fraud", "3", {"matched": 8}, {"method": "cbpe"}, ["w"], "previous_window", 2)
    first, second = _result(), _result()
    first.warnings.append("only mine")
    assert second.warnings == []
