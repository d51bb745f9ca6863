"""compute_performance: the JSON contract, windows, baseline and severity, labels, estimation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlmon.errors import MlmonError
from mlmon.services.performance import PerfOptions, compute_performance, metric_rows

DAY = 86400


def frame(n=3000, shift=0.0, start="2024-01-01", days=5, seed=0, noise=False):
    """A calibrated binary model: p = sigmoid(2x), y ~ Bernoulli(p). ``shift`` moves x
    (covariate shift without concept drift); ``noise`` flips labels (concept drift)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    p = 1 / (1 + np.exp(-2 * x))
    y = (rng.random(n) < p).astype(int)
    if noise:
        flip = rng.random(n) < 0.35
        y = np.where(flip, 1 - y, y)
    ts = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days * DAY, n), unit="s")
    return pd.DataFrame({"id": np.arange(n), "ts": ts, "y": y, "p": p, "yhat": (p >= 0.5).astype(int)})


BIN = dict(task="binary", target="y", prediction="yhat", proba="p", timestamp="ts", window="1D")


def test_contract_keys_and_strict_json():
    d = compute_performance(frame(seed=1), PerfOptions(**BIN), frame(seed=2)).to_dict()
    text = json.dumps(d, allow_nan=False)  # raises on NaN
    assert json.loads(text) == d
    assert d["schema_version"] == 1 and d["task"] == "binary"
    assert set(d["baseline"]["metrics"]) >= {"accuracy", "f1_score", "auc_roc", "precision", "recall", "log_loss",
                                             "false_positive_cost", "false_negative_cost"}
    assert isinstance(d["warnings"], list)
    w = d["windows"][0]
    for key in ("start", "end", "n", "n_labeled", "metrics", "estimated", "severity"):
        assert key in w
    assert w["severity"] in ("healthy", "degraded", "critical")
    assert w["estimated"] is None and d["label_delay"] is None
    assert len(d["windows"]) == 5 and sum(w["n"] for w in d["windows"]) == 3000


def test_window_metrics_equal_sklearn_on_the_rows_of_that_day():
    cur = frame(seed=3)
    d = compute_performance(cur, PerfOptions(**BIN)).to_dict()
    for w in d["windows"]:
        rows = cur[(cur.ts >= pd.Timestamp(w["start"])) & (cur.ts < pd.Timestamp(w["end"]))]
        assert w["n"] == len(rows)
        assert w["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(rows.y, rows.yhat), abs=1e-12)
        assert w["metrics"]["auc_roc"] == pytest.approx(skm.roc_auc_score(rows.y, rows.p), abs=1e-12)


def test_severity_tiers_from_relative_drop_against_the_reference():
    ref = frame(seed=4)
    cur = frame(seed=5, noise=True)  # labels 35 % flipped: accuracy falls from ~0.78 to ~0.57
    d = compute_performance(cur, PerfOptions(**BIN), ref).to_dict()
    base = d["baseline"]["metrics"]["accuracy"]
    for w in d["windows"]:
        drop = (base - w["metrics"]["accuracy"]) / base
        assert w["drops"]["accuracy"] == pytest.approx(drop, abs=1e-12)
        assert w["severity"] == "critical"
    assert d["severity"] == "critical"
    calm = compute_performance(frame(seed=6), PerfOptions(**BIN, critical_drop=0.9, warning_drop=0.8), ref).to_dict()
    assert {w["severity"] for w in calm["windows"]} == {"healthy"}


def test_lower_is_better_metrics_count_an_increase_as_a_drop():
    rng = np.random.default_rng(0)
    y = rng.normal(10, 2, 400)
    ref = pd.DataFrame({"y": y, "yhat": y + rng.normal(0, 1, 400)})
    cur = pd.DataFrame({"y": y, "yhat": y + rng.normal(0, 1.5, 400)})
    d = compute_performance(cur, PerfOptions(task="regression", target="y", prediction="yhat", primary=["mae"]),
                            ref).to_dict()
    mae_ref, mae_cur = d["baseline"]["metrics"]["mae"], d["windows"][0]["metrics"]["mae"]
    assert d["windows"][0]["drops"]["mae"] == pytest.approx((mae_cur - mae_ref) / mae_ref)
    assert d["windows"][0]["severity"] == "critical"


def test_chunks_cut_rows_in_time_order():
    cur = frame(n=1050, seed=7)
    d = compute_performance(cur, PerfOptions(**{**BIN, "window": None}, chunk_size=500)).to_dict()
    assert [w["n"] for w in d["windows"]] == [500, 500, 50]
    assert d["window"] == "chunk:500"
    ordered = cur.sort_values("ts", kind="stable")
    first = ordered.iloc[:500]
    assert d["windows"][0]["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(first.y, first.yhat))
    assert d["windows"][0]["start"] == ordered.ts.iloc[0].isoformat()


def test_empty_window_gets_a_note_and_no_metrics():
    cur = pd.concat([frame(n=500, start="2024-01-01", days=1, seed=8), frame(n=500, start="2024-01-03", days=1, seed=9)])
    d = compute_performance(cur, PerfOptions(**BIN)).to_dict()
    assert [w["n"] for w in d["windows"]] == [500, 0, 500]
    assert d["windows"][1]["metrics"] == {} and "empty window" in d["windows"][1]["notes"][0]


def test_single_class_window_reports_null_auc_with_a_note():
    cur = frame(n=400, seed=10, days=1)
    cur["y"] = 1
    d = compute_performance(cur, PerfOptions(**BIN)).to_dict()
    w = d["windows"][0]
    assert w["metrics"]["auc_roc"] is None and w["metrics"]["accuracy"] is not None
    assert any("one class" in note for note in w["notes"])


def test_unlabeled_rows_and_sparse_latest_windows_warn():
    cur = frame(n=3000, seed=11)
    late = cur.ts >= pd.Timestamp("2024-01-04")
    cur.loc[late, "y"] = np.nan
    d = compute_performance(cur, PerfOptions(**BIN)).to_dict()
    assert d["windows"][-1]["n_labeled"] == 0 and d["windows"][-1]["unlabeled_share"] == 1.0
    assert d["labeled_rows"] == int((~late).sum())
    assert any("latest 2 window(s) are sparsely labeled" in w for w in d["warnings"])


def test_label_delay_median_and_p95():
    cur = frame(n=1000, seed=12)
    delay_s = np.random.default_rng(0).exponential(2 * DAY, 1000)
    cur["label_ts"] = cur.ts + pd.to_timedelta(delay_s, unit="s")
    d = compute_performance(cur, PerfOptions(**BIN, label_timestamp="label_ts")).to_dict()
    assert d["label_delay"]["median_seconds"] == pytest.approx(np.median(delay_s), abs=1e-3)
    assert d["label_delay"]["p95_seconds"] == pytest.approx(np.percentile(delay_s, 95), abs=1e-3)


def test_labels_joined_from_another_frame_report_matches():
    cur = frame(n=1000, seed=13)
    labels = cur[["id", "y"]].iloc[::2].copy()
    labels["id"] = labels["id"].astype(str)  # ids as text in the labels file
    d = compute_performance(cur.drop(columns="y"), PerfOptions(**BIN, join_on="id"), labels=labels).to_dict()
    assert d["labels_join"]["matched"] == 500 and d["labeled_rows"] == 500


def test_labels_that_join_nothing_are_an_error():
    cur = frame(n=100, seed=14)
    labels = pd.DataFrame({"id": np.arange(1000, 1100), "y": 1})
    with pytest.raises(MlmonError, match="do not join: 0 of 100"):
        compute_performance(cur.drop(columns="y"), PerfOptions(**BIN, join_on="id"), labels=labels)


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.assign(p=f.p * 2), "probabilities outside \\[0, 1\\]"),
    (lambda f: f.assign(p=np.nan), "probability column 'p' is empty"),
    (lambda f: f.assign(p=["x"] * len(f)), "probability column 'p' is not numeric"),
    (lambda f: f.assign(ts=["yesterday"] + list(f.ts.astype(str)[1:])), "unparseable timestamp"),
    (lambda f: f.assign(y=np.arange(len(f)) % 3), "classes for a binary task"),
])
def test_bad_classification_input_is_one_clear_error(mutate, message):
    with pytest.raises(MlmonError, match=message):
        compute_performance(mutate(frame(n=200, seed=15)), PerfOptions(**BIN))


def test_non_numeric_regression_target_is_an_error():
    cur = pd.DataFrame({"y": ["a", "2.5", "3"], "yhat": [1.0, 2.0, 3.0]})
    with pytest.raises(MlmonError, match="target column 'y' is not numeric"):
        compute_performance(cur, PerfOptions(task="regression", target="y", prediction="yhat"))


def test_multiclass_with_string_classes_and_proba_columns():
    rng = np.random.default_rng(16)
    n = 600
    proba = rng.dirichlet([1, 1, 1], n)
    classes = np.array(["cat", "dog", "eel"])
    y = classes[[rng.choice(3, p=r) for r in proba]]
    cur = pd.DataFrame({"y": y, "yhat": classes[proba.argmax(1)], "p_cat": proba[:, 0], "p_dog": proba[:, 1],
                        "p_eel": proba[:, 2]})
    d = compute_performance(cur, PerfOptions(task="multiclass", target="y", prediction="yhat",
                                             proba=["p_cat", "p_dog", "p_eel"])).to_dict()
    m = d["windows"][0]["metrics"]
    assert m["f1_score"] == pytest.approx(skm.f1_score(y, cur.yhat, average="macro"), abs=1e-12)
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=list(classes)), abs=1e-12)
    assert d["columns"]["classes"] == ["cat", "dog", "eel"]


def test_metric_rows_carry_every_window_metric():
    d = compute_performance(frame(seed=17), PerfOptions(**BIN, model="fraud", version="2", estimate=True),
                            frame(seed=18)).to_dict()
    rows = metric_rows(d)
    realized = [r for r in rows if r["kind"] == "realized"]
    estimated = [r for r in rows if r["kind"] == "estimated"]
    assert len(realized) == 5 * 8 and len(estimated) == 5 * 5
    assert {r["model"] for r in rows} == {"fraud"} and {r["window"] for r in rows} == {"1D"}
    acc = [r for r in realized if r["metric"] == "accuracy"][0]
    assert acc["value"] == d["windows"][0]["metrics"]["accuracy"] and acc["lower"] < acc["value"] < acc["upper"]


def test_a_drop_inside_the_windows_interval_is_flagged_as_possible_noise():
    ref = frame(n=20000, seed=40)
    small = frame(n=60, seed=41, days=1)  # tiny window: wide intervals
    d = compute_performance(small, PerfOptions(**BIN, warning_drop=0.0, critical_drop=0.9), ref).to_dict()
    w = d["windows"][0]
    base = d["baseline"]["metrics"]["accuracy"]
    iv = w["intervals"]["accuracy"]
    assert w["drop_beyond_noise"]["accuracy"] == (not iv["lower"] <= base <= iv["upper"])
    big = compute_performance(frame(n=20000, seed=42, noise=True, days=1), PerfOptions(**BIN), ref).to_dict()
    assert big["windows"][0]["drop_beyond_noise"]["accuracy"] is True
    assert not any("may be noise" in note for note in big["windows"][0]["notes"])


def test_previous_window_baseline_compares_each_window_with_the_one_before():
    good = frame(n=2000, seed=43, days=2)
    bad = frame(n=1000, seed=44, days=1, start="2024-01-03", noise=True)
    d = compute_performance(pd.concat([good, bad]), PerfOptions(**BIN, baseline="previous_window")).to_dict()
    w0, w1, w2 = d["windows"]
    assert d["baseline"] is None and d["baseline_kind"] == "previous_window"
    assert w0["drops"] == {} and w0["baseline_window"] is None and w0["severity"] == "healthy"
    assert w1["baseline_window"] == w0["start"]
    prev, cur = w1["metrics"]["accuracy"], w2["metrics"]["accuracy"]
    assert w2["drops"]["accuracy"] == pytest.approx((prev - cur) / prev, abs=1e-12)
    assert w2["severity"] == "critical"
    assert not any("no baseline" in w for w in d["warnings"])
    with pytest.raises(MlmonError, match="unknown baseline"):
        compute_performance(good, PerfOptions(**BIN, baseline="yesterday"))


# ---------------------------------------------------------------------------- calendar windows


def test_month_windows_start_on_the_1st_and_their_metrics_are_the_months_rows():
    f = frame(n=3000, start="2024-01-20", days=45, seed=21)  # 20 Jan to 4 Mar
    d = compute_performance(f, PerfOptions(**{**BIN, "window": "1M"})).to_dict()
    assert d["window"] == "1M"
    assert [(w["start"], w["end"]) for w in d["windows"]] == [
        ("2024-01-01T00:00:00", "2024-02-01T00:00:00"), ("2024-02-01T00:00:00", "2024-03-01T00:00:00"),
        ("2024-03-01T00:00:00", "2024-04-01T00:00:00")]
    for w, (lo, hi) in zip(d["windows"], [("2024-01", "2024-02"), ("2024-02", "2024-03"), ("2024-03", "2024-04")]):
        rows = f[(f.ts >= lo) & (f.ts < hi)]
        assert w["n"] == len(rows)
        assert w["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(rows.y, rows.yhat), abs=1e-12)


def test_a_week_starts_on_monday_and_7d_on_the_first_days_midnight():
    f = frame(n=2000, start="2024-01-03", days=14, seed=22)  # Wednesday 3 Jan
    weeks = compute_performance(f, PerfOptions(**{**BIN, "window": "1W"})).to_dict()["windows"]
    assert [w["start"] for w in weeks] == ["2024-01-01T00:00:00", "2024-01-08T00:00:00", "2024-01-15T00:00:00"]
    # 7D counts days from the data's first midnight (the Unix epoch's Thursdays no longer decide)
    sevens = compute_performance(f, PerfOptions(**{**BIN, "window": "7D"})).to_dict()["windows"]
    assert [w["start"] for w in sevens] == ["2024-01-03T00:00:00", "2024-01-10T00:00:00"]


def test_days_are_cut_at_midnight_in_the_datas_own_zone_and_stored_in_utc():
    f = frame(n=2000, start="2024-03-29", days=4, seed=23)
    f["ts"] = f.ts.dt.tz_localize("Europe/Berlin", nonexistent="shift_forward")  # wall-clock times in Berlin; DST starts on 31 March
    d = compute_performance(f, PerfOptions(**BIN)).to_dict()
    assert [(w["start"], w["end"]) for w in d["windows"]] == [
        ("2024-03-29T00:00:00+01:00", "2024-03-30T00:00:00+01:00"),
        ("2024-03-30T00:00:00+01:00", "2024-03-31T00:00:00+01:00"),
        ("2024-03-31T00:00:00+01:00", "2024-04-01T00:00:00+02:00"),  # 23 hours
        ("2024-04-01T00:00:00+02:00", "2024-04-02T00:00:00+02:00")]
    local_day = f.ts.dt.strftime("%Y-%m-%d")
    assert [w["n"] for w in d["windows"]] == [int((local_day == day).sum()) for day in
                                             ("2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01")]
    stored = sorted({(r["timestamp"], r["window_end"]) for r in metric_rows(d)})
    assert stored[2] == ("2024-03-30T23:00:00+00:00", "2024-03-31T22:00:00+00:00")


def test_text_timestamps_with_several_utc_offsets_are_cut_in_utc_with_a_warning():
    f = frame(n=500, start="2024-03-29", days=4, seed=24)
    f["ts"] = f.ts.dt.tz_localize("Europe/Berlin", nonexistent="shift_forward").map(lambda t: t.isoformat())  # +01:00, then +02:00
    d = compute_performance(f, PerfOptions(**BIN)).to_dict()
    assert d["windows"][0]["start"] == "2024-03-28T00:00:00+00:00"  # 29 Mar 00:00 in Berlin is 28 Mar 23:00 UTC
    assert "timestamps in column 'ts' carry several UTC offsets: windows are cut in UTC" in d["warnings"]
    assert sum(w["n"] for w in d["windows"]) == 500


def test_window_errors_name_the_options():
    with pytest.raises(MlmonError) as err:
        compute_performance(frame(n=50), PerfOptions(**{**BIN, "window": "soon"}))
    assert err.value.line() == ("mlmon: error: window 'soon' is not a duration (window); use a count and a unit, "
                                "e.g. 30min, 6h, 1D, 1W or 1M (M months, m or min minutes)")
    with pytest.raises(MlmonError) as err:
        compute_performance(frame(n=50).assign(ts=pd.NaT), PerfOptions(**BIN))
    assert err.value.line({"timestamp": "--timestamp"}) == (
        "mlmon: error: timestamp column 'ts' is empty (current column ts); fill it or leave out --timestamp")


@pytest.mark.parametrize("gaps", [[0], [7], [0, 3, 49]])
def test_rows_without_a_timestamp_are_counted_in_one_line(gaps):
    """Rows without a time cannot be placed in a window: the run names how many, wherever they lie
    (the first row included: the check reads the earliest time, which NaT always is)."""
    cur = frame(n=50)
    cur.loc[gaps, "ts"] = pd.NaT
    with pytest.raises(MlmonError) as err:
        compute_performance(cur, PerfOptions(**BIN))
    assert err.value.line({"timestamp": "--timestamp"}) == (
        f"mlmon: error: {len(gaps)} rows have no timestamp in column 'ts' (current column ts); fill or drop those rows")
    with pytest.raises(MlmonError, match="timestamp column 'ts' is empty"):
        compute_performance(frame(n=50).iloc[:0], PerfOptions(**BIN))
