"""A performance run's summary where the other tests leave room, called in the test process: the
label delay and its warnings, rows left out for want of a prediction, the sparse-labels warning
word for word, the tiers and columns of the result, and each window against the previous judged
one (for mutation testing: ``scripts/mutation scripts/mlmon/services/performance/compute.py``).

Counts, shares and delays are hand computed on the small frames built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError, option
from mlmon.services.performance import PerfOptions, compute_performance

BIN = dict(task="binary", target="y", prediction="yhat")
T0 = pd.Timestamp("2024-01-01 06:00")


def _frame(n=8, **cols):
    return pd.DataFrame({"y": [1, 0] * (n // 2), "yhat": [1, 0] * (n // 2), **cols})


def _error(call):
    with pytest.raises(MlmonError) as info:
        call()
    return info.value.what, info.value.where, info.value.todo


def test_the_label_delay_counts_labels_timestamped_before_their_prediction():
    ts = [T0] * 4
    lts = [T0 + pd.Timedelta(hours=h) for h in (1, 2, -1, 4)]
    d = compute_performance(_frame(4, ts=ts, lts=lts), PerfOptions(**BIN, timestamp="ts", label_timestamp="lts",
                                                                   min_labeled=1)).to_dict()
    assert d["label_delay"] == {"median_seconds": 5400.0, "p95_seconds": pytest.approx(3.7 * 3600),
                                "max_seconds": 14400.0, "labeled_rows": 4, "negative_delays": 1,
                                "unlabeled_share": 0.0, "sparse_windows": [], "min_labeled_share": 0.5,
                                "min_labeled": 1}
    assert "1 labels are timestamped before their prediction" in d["warnings"]


def test_no_row_with_both_timestamps_gives_no_delay_with_a_warning():
    f = _frame(4, ts=[T0] * 4, lts=[pd.NaT] * 4)
    d = compute_performance(f, PerfOptions(**BIN, timestamp="ts", label_timestamp="lts")).to_dict()
    assert d["label_delay"] is None
    assert "no row has both a timestamp and a label timestamp (lts): no label delay" in d["warnings"]


def test_a_label_delay_needs_the_prediction_timestamp():
    f = _frame(4, lts=[T0] * 4)
    assert _error(lambda: compute_performance(f, PerfOptions(**BIN, label_timestamp="lts"))) == (
        "label delay needs the prediction timestamp", option("label_timestamp"), f"pass {option('timestamp')} COL too")


def test_labeled_rows_without_a_prediction_are_left_out_with_a_warning():
    f = _frame(8).astype({"yhat": float})
    f.loc[[1, 2], "yhat"] = np.nan
    d = compute_performance(f, PerfOptions(**BIN, min_labeled=1)).to_dict()
    assert "2 labeled rows without a usable prediction were left out" in d["warnings"]
    assert (d["rows"], d["labeled_rows"], d["windows"][0]["n_labeled"]) == (8, 6, 6)


def test_a_reference_without_a_usable_prediction_is_refused():
    ref = _frame(4).astype({"yhat": float}).assign(yhat=np.nan)
    assert _error(lambda: compute_performance(_frame(4), PerfOptions(**BIN), ref)) == (
        "no labeled reference rows with a usable prediction", "reference", "check the reference's columns")


def test_without_a_reference_severity_is_not_assessed_unless_judged_against_the_previous_window():
    d = compute_performance(_frame(), PerfOptions(**BIN)).to_dict()
    assert f"no baseline (no {option('reference')}): severity is not assessed" in d["warnings"]
    assert (d["tiers"], d["baseline"], d["baseline_kind"]) == ({"warning": 0.05, "critical": 0.15}, None, "reference")
    d = compute_performance(_frame(), PerfOptions(**BIN, baseline="previous_window")).to_dict()
    assert not any("no baseline" in w for w in d["warnings"])


def _daily(accuracies, n=40, labeled=None):
    frames = []
    for day, acc in enumerate(accuracies):
        y = np.arange(n) % 2
        right = int(acc * n)
        yhat = np.where(np.arange(n) < right, y, 1 - y)
        f = pd.DataFrame({"ts": T0 + pd.Timedelta(days=day) + pd.to_timedelta(np.arange(n), unit="min"),
                          "y": y.astype(float), "yhat": yhat})
        if labeled is not None and labeled[day] < n:
            f.loc[labeled[day]:, "y"] = np.nan
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def test_each_window_is_judged_against_the_last_window_that_was_judged():
    # day 2 has no labels: day 3 is held against day 1
    f = _daily([1.0, 0.75, 1.0, 0.5], labeled=[40, 40, 0, 40])
    d = compute_performance(f, PerfOptions(**BIN, timestamp="ts", window="1D", baseline="previous_window",
                                           primary=["accuracy"], min_labeled=1)).to_dict()
    got = [(w["start"][:10], w.get("baseline_window", "-"), w["drops"], w["severity"]) for w in d["windows"]]
    assert got == [("2024-01-01", None, {}, "healthy"),
                   ("2024-01-02", "2024-01-01T00:00:00", {"accuracy": 0.25}, "critical"),
                   ("2024-01-03", "2024-01-02T00:00:00", {}, "healthy"),
                   ("2024-01-04", "2024-01-02T00:00:00", {"accuracy": pytest.approx(1 / 3)}, "critical")]
    assert (d["severity"], d["baseline_kind"]) == ("critical", "previous_window")


def test_the_latest_sparsely_labeled_windows_are_named_the_newest_three():
    f = _daily([1.0] * 5, n=40, labeled=[40, 10, 10, 10, 10])
    o = PerfOptions(**BIN, timestamp="ts", window="1D", min_labeled=5)
    d = compute_performance(f, o).to_dict()
    assert ("the latest 4 window(s) are sparsely labeled (the newest 3: 2024-01-03T00:00:00: 10/40, "
            "2024-01-04T00:00:00: 10/40, 2024-01-05T00:00:00: 10/40 labeled): their realized metrics mean little "
            f"yet; wait for labels or add {option('estimate')}") in d["warnings"]
    f = _daily([1.0] * 3, n=40, labeled=[40, 40, 10])
    d = compute_performance(f, o).to_dict()
    assert ("the latest 1 window(s) are sparsely labeled (2024-01-03T00:00:00: 10/40 labeled): their realized "
            f"metrics mean little yet; wait for labels or add {option('estimate')}") in d["warnings"]


def test_one_window_is_sparse_only_when_its_labels_are_fewer_than_the_minimum():
    o = PerfOptions(**BIN, min_labeled=5)
    # 4 of 40 labeled: under half and under 5 labels
    d = compute_performance(_daily([1.0], labeled=[4]), o).to_dict()
    assert any(w.startswith("the latest 1 window(s) are sparsely labeled (") for w in d["warnings"])
    # 10 of 40: under half, but 10 labels are enough in a run of one window
    d = compute_performance(_daily([1.0], labeled=[10]), o).to_dict()
    assert not any("sparsely labeled" in w for w in d["warnings"])


def test_the_result_names_the_positive_label_and_the_classes():
    f = pd.DataFrame({"y": ["no", "yes"] * 4, "yhat": ["no", "yes"] * 4})
    d = compute_performance(f, PerfOptions(**BIN, positive_label="yes")).to_dict()
    assert d["columns"] == {"target": "y", "prediction": "yhat", "proba": None, "timestamp": None,
                            "label_timestamp": None, "positive_label": "yes"}
    f = pd.DataFrame({"y": [0, 1, 2] * 4, "yhat": [0, 1, 2] * 4})
    d = compute_performance(f, PerfOptions(task="multiclass", target="y", prediction="yhat")).to_dict()
    assert d["columns"] == {"target": "y", "prediction": "yhat", "proba": None, "timestamp": None,
                            "label_timestamp": None, "classes": ["0", "1", "2"]}


# ---------------------------------------------------------------------------- estimate against labels, window by window


def _window(start, est=None, band=None, real=None, n_labeled=100, metric="accuracy"):
    from types import SimpleNamespace

    return SimpleNamespace(start=start, estimated=None if est is None else {metric: est},
                           estimated_intervals=None if band is None else {metric: {"lower": band[0], "upper": band[1]}},
                           metrics={} if real is None else {metric: real}, n_labeled=n_labeled,
                           estimation={"reliable": True, "reasons": []})


def test_a_persistent_disagreement_skips_unestimated_windows_and_marks_the_run_and_after():
    from mlmon.services.performance.compute import _disagreement

    o = PerfOptions(task="binary", min_labeled=50)
    wins = [_window("d0", 0.9, (0.88, 0.92), 0.9), _window("d1"),  # no estimate: not a link in the run
            _window("d2", 0.9, (0.88, 0.92), 0.80), _window("d3", 0.9, (0.88, 0.92), 0.82),
            _window("d4", 0.9, (0.88, 0.92), 0.81, n_labeled=50), _window("d5", 0.9, (0.88, 0.92), 0.83, n_labeled=49)]
    estimation, warnings = {}, []
    _disagreement(wins, estimation, o, warnings)
    d = estimation["disagreement"]
    assert (d["starts"], d["windows"]) == (["d2", "d3", "d4"], 3)  # d4 has just enough labels, d5 too few
    assert warnings == [d["message"]] and d["message"].startswith("the estimate has been off by 0.09 for 3 windows")
    assert [w.estimation["reliable"] for w in wins] == [True, True, False, False, False, False]
    assert wins[5].estimation["reasons"] == [d["message"]]


def test_regression_disagreement_reads_the_mae_and_none_is_recorded_as_none():
    from mlmon.services.performance.compute import _disagreement

    o = PerfOptions(task="regression", min_labeled=1)
    wins = [_window(f"d{i}", 1.0, (0.9, 1.1), 1.5, metric="mae") for i in range(3)]
    estimation, warnings = {}, []
    _disagreement(wins, estimation, o, warnings)
    assert estimation["disagreement"]["windows"] == 3 and len(warnings) == 1
    assert "(realized mae above the estimate's band each time" in warnings[0]
    estimation, warnings = {}, []
    _disagreement(wins[:2], estimation, o, warnings)
    assert estimation == {"disagreement": None} and warnings == []


# ---------------------------------------------------------------------------- the classes of a multiclass estimate


def test_the_classes_to_estimate_come_from_both_frames_labels_and_predictions():
    from mlmon.services.performance.compute import _seed_classes
    from mlmon.services.performance.encoding import Encoder

    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=["p_a", "p_b", "p_c", "p_d"])
    ref = pd.DataFrame({"y": ["a", "a"], "yhat": ["b", "b"]})
    cur = pd.DataFrame({"y": ["c", None], "yhat": ["d", "b"]})  # each column brings a class of its own
    enc = Encoder(o)
    _seed_classes(enc, cur, ref, o)
    assert enc.classes == ["a", "b", "c", "d"]
    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=["p_a", "p_b", "p_d"])
    enc = Encoder(o)
    _seed_classes(enc, cur.drop(columns=["y"]), ref, o)  # a current period without labels
    assert enc.classes == ["a", "b", "d"]
    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=["p_b", "p_c", "p_d"])
    enc = Encoder(o)
    _seed_classes(enc, cur, ref.drop(columns=["y"]), o)  # a reference without labels
    assert enc.classes == ["b", "c", "d"]


def test_probability_columns_must_match_the_classes_of_both_frames():
    from mlmon.services.performance.compute import _seed_classes
    from mlmon.services.performance.encoding import Encoder

    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=["p_a", "p_b"])
    ref = pd.DataFrame({"y": [f"k{i:02d}" for i in range(11)], "yhat": ["k00"] * 11})
    with pytest.raises(MlmonError) as err:
        _seed_classes(Encoder(o), ref, ref, o)
    assert (err.value.what, err.value.where, err.value.todo) == (
        "2 probability columns for 11 classes (k00, k01, k02, k03, k04, k05, k06, k07, k08, k09) in the reference and "
        "current data", option("proba"), "give one column per class; a class the reference never saw cannot be estimated")


def test_the_reference_baseline_is_the_reference_as_one_window_with_its_intervals():
    rng = np.random.default_rng(12)
    p = rng.uniform(0, 1, 300)
    ref = pd.DataFrame({"y": (rng.random(300) < p).astype(int), "yhat": (p >= 0.5).astype(int), "p": p})
    o = PerfOptions(task="binary", target="y", prediction="yhat", proba="p")
    d = compute_performance(ref.iloc[:50], o, ref).to_dict()
    alone = compute_performance(ref, o).to_dict()["windows"][0]  # the same rows as the current data
    assert d["baseline"] == {"n": 300, "n_labeled": 300, "metrics": alone["metrics"], "intervals": alone["intervals"]}
    assert set(d["baseline"]["intervals"]["accuracy"]) == {"lower", "upper"}


# ---------------------------------------------------------------------------- inputs, costs and intervals


def test_tables_and_frames_give_the_same_run():
    from mlmon.io.tables import Table

    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"y": rng.integers(0, 2, 60), "yhat": rng.integers(0, 2, 60)})
    cur = pd.DataFrame({"y": rng.integers(0, 2, 40), "yhat": rng.integers(0, 2, 40)})
    o = PerfOptions(**BIN)
    frames = compute_performance(cur, o, ref).to_dict()
    tables = compute_performance(Table("cur.csv", cur, {}), o, Table("ref.csv", ref, {})).to_dict()
    assert tables == frames and frames["baseline"]["n"] == 60
    # labels joined by id, from a frame or a table
    ids = cur.assign(id=range(40)).drop(columns=["y"])
    labels = cur[["y"]].assign(id=range(40))
    joined = PerfOptions(**BIN, join_on="id")
    want = compute_performance(ids, joined, ref, labels).to_dict()
    assert compute_performance(Table("c", ids, {}), joined, ref, Table("l", labels, {})).to_dict() == want
    assert want["windows"][0]["metrics"] == frames["windows"][0]["metrics"]


def test_each_business_cost_weighs_its_own_errors():
    cur = pd.DataFrame({"y": [1, 1, 0, 0, 0], "yhat": [0, 1, 1, 1, 0]})  # 1 false negative, 2 false positives
    w = compute_performance(cur, PerfOptions(**BIN, false_positive_cost=3.0, false_negative_cost=10.0)
                            ).to_dict()["windows"][0]["metrics"]
    assert (w["false_positive_cost"], w["false_negative_cost"]) == (6.0, 10.0)


def test_regression_intervals_and_costs_reach_the_metrics():
    cur = pd.DataFrame({"y": [10.0, 20.0, 30.0, 40.0], "yhat": [12.0, 18.0, 30.0, 44.0],
                        "lo": [9.0, 21.0, 25.0, 41.0], "hi": [11.0, 25.0, 35.0, 50.0]})
    o = PerfOptions(task="regression", target="y", prediction="yhat", lower="lo", upper="hi",
                    under_prediction_cost=1.0, over_prediction_cost=3.0)
    w = compute_performance(cur, o).to_dict()["windows"][0]["metrics"]
    assert w["prediction_interval_coverage"] == 0.5  # rows 0 and 2 lie inside their intervals
    # cost: over-predictions 2, 4 at 3 each, under-prediction 2 at 1: 20; of 100 (the target's sum)
    assert w["business_value_captured"] == pytest.approx(1 - 20 / 100, abs=1e-15)


def test_unparseable_label_timestamps_are_named_with_their_column():
    cur = pd.DataFrame({"y": [1, 0], "yhat": [1, 0], "ts": ["2024-01-01", "2024-01-02"], "lt": ["2024-01-03", "soon"]})
    assert _error(lambda: compute_performance(cur, PerfOptions(**BIN, timestamp="ts", label_timestamp="lt"))) == (
        "1 unparseable timestamp(s) in column 'lt', e.g. 'soon'", "current column lt",
        "use ISO 8601 text (2024-05-01T12:00:00) or a datetime column")


def test_sparse_labels_are_warned_about_from_two_windows_and_three_are_listed_without_a_prefix():
    o = PerfOptions(**BIN, timestamp="ts", window="1D", min_labeled=5)
    d = compute_performance(_daily([1.0] * 2, labeled=[40, 10]), o).to_dict()
    assert any(w.startswith("the latest 1 window(s) are sparsely labeled (2024-01-02T00:00:00: 10/40 labeled)")
               for w in d["warnings"])
    d = compute_performance(_daily([1.0] * 4, labeled=[40, 10, 10, 10]), o).to_dict()
    assert any(w.startswith("the latest 3 window(s) are sparsely labeled (2024-01-02T00:00:00: 10/40, ")
               for w in d["warnings"])
    # one window with exactly the minimum of labels: sparse by share, yet enough to read
    d = compute_performance(_daily([1.0], labeled=[5]), PerfOptions(**BIN, min_labeled=5)).to_dict()
    assert not any("sparsely labeled" in w for w in d["warnings"])


def test_an_estimating_run_does_not_suggest_estimating():
    def with_p(f):
        return f.assign(p=np.where(f.yhat == 1, 0.8, 0.2))

    o = PerfOptions(**BIN, proba="p", timestamp="ts", window="1D", min_labeled=5, estimate=True)
    d = compute_performance(with_p(_daily([1.0] * 3, labeled=[40, 40, 10])), o, with_p(_daily([0.9] * 4))).to_dict()
    assert ("the latest 1 window(s) are sparsely labeled (2024-01-03T00:00:00: 10/40 labeled): their realized "
            "metrics mean little yet; wait for labels") in d["warnings"]


def test_a_missing_column_names_the_frame_it_is_missing_from():
    cur, ref = _frame(), _frame()
    assert _error(lambda: compute_performance(cur.drop(columns=["yhat"]), PerfOptions(**BIN), ref))[1] == (
        f"current, {option('prediction')} yhat")
    assert _error(lambda: compute_performance(cur, PerfOptions(**BIN), ref.drop(columns=["yhat"])))[1] == (
        f"reference, {option('prediction')} yhat")
