"""Late labels in the scheduled job (``data.labels``): 45 days of a credit model whose labels come
20 days after each prediction (``late_labels_scenario.py``), replayed with ``mlmon run --date``.

Specifications: a run of day D sees exactly the labels known by the end of D (so the replay is
what the real days would have recorded); each day's realized accuracy, once its labels are in,
equals scikit-learn's ``accuracy_score`` on that day's predictions and labels to 1e-9; the days
still waiting carry the confidence-based estimate, within a few points of the accuracy their
labels will show; realized values supersede estimates, and the estimates stay in the store;
re-running a day records nothing new; alerts on estimates say so and can be turned off.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, timedelta

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

import late_labels_scenario as scenario
from mlmon.services.scheduled import RunSettings, run_scheduled
from mlmon_testing import run_mlmon

DAYS = 45


def replay(folder, days=DAYS, history=None, **kw):
    config, truth = scenario.write(str(folder), days=days, **kw)
    history = history or str(folder / "history.db")
    results = [run_scheduled(RunSettings(config, date=d, history=history, env={})) for d in scenario.dates(days)]
    return config, truth, history, results


def latest(history, kind=None):
    """Per day: the realized row recorded last if any, else the estimate recorded last (the
    store's as-of rule, written here independently of the code that reads it)."""
    conn = sqlite3.connect(history)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM ml_metrics WHERE metric='accuracy' AND model='credit'"
                        " ORDER BY known_at, run_id").fetchall()
    out = {}
    for r in rows:
        day = r["timestamp"][:10]
        if kind and r["kind"] != kind:
            continue
        if r["kind"] == "realized" or out.get(day, {}).get("kind") != "realized":
            out[day] = dict(r)
    return out


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    return replay(tmp_path_factory.mktemp("late"))


def test_realized_accuracy_equals_scikit_learn_day_by_day_once_the_labels_are_in(replayed):
    _, truth, history, _ = replayed
    points = latest(history)
    assert sorted(points) == [d.isoformat() for d in scenario.dates(DAYS)]
    for day, group in truth.groupby(truth["ts"].dt.date):
        point = points[day.isoformat()]
        if day + timedelta(days=20) <= scenario.dates(DAYS)[-1]:
            assert point["kind"] == "realized", day
            assert point["value"] == pytest.approx(accuracy_score(group["default"], group["pred"]), abs=1e-9)
            assert point["n"] == len(group) == 300
            assert point["known_at"] == f"{day + timedelta(days=21)}T00:00:00"  # the end of day D + 20
        else:
            assert point["kind"] == "estimated", day


def test_days_still_waiting_carry_an_estimate_within_a_few_points(replayed):
    _, truth, history, _ = replayed
    points = latest(history)
    errors = []
    for day, group in truth.groupby(truth["ts"].dt.date):
        point = points[day.isoformat()]
        if point["kind"] == "estimated":
            errors.append(abs(point["value"] - accuracy_score(group["default"], group["pred"])))
            assert point["lower"] <= point["value"] <= point["upper"]
            assert point["known_at"] == f"{day + timedelta(days=1)}T00:00:00"  # estimated the day it was predicted
    assert len(errors) == 20
    assert max(errors) < 0.08 and sum(errors) / len(errors) < 0.035


def test_the_estimates_stay_beside_the_realized_values_that_supersede_them(replayed):
    _, _, history, _ = replayed
    estimates, realized = latest(history, "estimated"), latest(history, "realized")
    assert len(estimates) == DAYS and len(realized) == 25
    conn = sqlite3.connect(history)
    per_window = conn.execute("SELECT timestamp, kind, COUNT(*) FROM ml_metrics WHERE metric='accuracy'"
                              " GROUP BY timestamp, kind").fetchall()
    assert {c for _, _, c in per_window} == {1}  # each recorded once: nothing re-recorded without new labels


def test_no_run_sees_a_label_before_it_was_known(replayed):
    _, truth, history, results = replayed
    for result in results:
        late = result["performance"]["late_labels"]
        day = date.fromisoformat(result["date"])
        end = pd.Timestamp(day + timedelta(days=1))
        # the label files of the lookback's days (40 of them: the delay and as long again), up to D's end
        read = (truth["labeled_at"] >= pd.Timestamp(day - timedelta(days=40))) & (truth["labeled_at"] < end)
        assert late["labels"]["known"] == int(read.sum())
        assert late["labels"]["not_yet_known"] == 0  # a day's file holds the labels that came that day
        assert late["realized_windows"] == ([f"{day - timedelta(days=20)}T00:00:00"] if day >= date(2026, 3, 21) else [])


def test_rerunning_a_day_records_nothing_new(tmp_path):
    config, _, history, _ = replay(tmp_path, days=22)
    before = sqlite3.connect(history).execute("SELECT COUNT(*) FROM ml_metrics").fetchone()
    again = run_scheduled(RunSettings(config, date=scenario.dates(22)[-1], history=history, env={}))
    assert sqlite3.connect(history).execute("SELECT COUNT(*) FROM ml_metrics").fetchone() == before
    assert again["performance"]["late_labels"]["realized_windows"] == []


def test_labels_arriving_over_days_update_the_realized_value_until_every_label_is_in(tmp_path):
    config, truth, history, results = replay(tmp_path, days=30, jitter_days=3)
    end = pd.Timestamp(scenario.dates(30)[-1] + timedelta(days=1))
    points = latest(history, "realized")
    for day, group in truth.groupby(truth["ts"].dt.date):
        known = group[group["labeled_at"] < end]
        if day.isoformat() in points:
            assert points[day.isoformat()]["n"] == len(known)
            assert points[day.isoformat()]["value"] == pytest.approx(
                accuracy_score(known["default"], known["pred"]), abs=1e-9)
    # the first day: realized once its window passed the delay with some labels missing, then again
    first = sqlite3.connect(history).execute(
        "SELECT n FROM ml_metrics WHERE metric='accuracy' AND kind='realized' AND timestamp LIKE '2026-03-01%'"
        " ORDER BY run_id").fetchall()
    assert len(first) >= 2 and first[-1][0] == 300 and first[0][0] < 300


def test_an_estimated_drop_fires_marked_as_estimated_and_can_be_turned_off(tmp_path):
    _, _, _, results = replay(tmp_path / "on", days=12, shift_from=10)
    breached = {r["date"]: a for r in results for a in r["alerts"] if a["condition"] == "accuracy_drop" and a["breached"]}
    assert sorted(breached) == ["2026-03-11", "2026-03-12"]  # utilization moved up from the 11th
    first = breached["2026-03-11"]
    assert first["estimated"] is True and "(estimated) vs baseline" in first["detail"] and first["status"] == "firing"
    _, _, _, quiet = replay(tmp_path / "off", days=12, shift_from=10, on_estimated=False)
    assert all(r["severity"] == "healthy" for r in quiet)
    assert all(r["observations"]["accuracy_drop"]["value"] is None for r in quiet)


# ---------------------------------------------------------------------------- bad input

def _run(config, day="2026-03-01", history=None):
    return run_mlmon("run", "--config", config, "--date", day, "--history", history or os.path.join(
        os.path.dirname(config), "history.db"), "--format", "json")


def test_a_labels_file_without_the_join_key_or_the_timestamp_is_one_line_and_nothing_is_recorded(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=3)
    pd.DataFrame({"ident": [1], "labeled_at": [pd.Timestamp("2026-03-01 12:00")], "default": [1]}).to_parquet(
        tmp_path / "labels" / "2026-03-01.parquet")
    r = _run(config)
    assert r.code == 2 and r.err.count("\n") == 1, r.err
    assert "the labels file has no column 'id' (data.labels.join_on)" in r.err and "columns there: ident" in r.err
    assert not (tmp_path / "history.db").exists() or sqlite3.connect(tmp_path / "history.db").execute(
        "SELECT COUNT(*) FROM runs").fetchone() == (0,)
    pd.DataFrame({"id": [1], "default": [1]}).to_parquet(tmp_path / "labels" / "2026-03-01.parquet")
    r = _run(config)
    assert r.code == 2 and "no column 'labeled_at' (data.labels.timestamp)" in r.err


def test_duplicate_ids_use_the_latest_label_and_are_counted_with_unknown_ids(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=2)
    pd.DataFrame({"id": [1, 1, 2, 2, 999_999],
                  "labeled_at": pd.to_datetime(["2026-03-02 08:00", "2026-03-02 09:00", "2026-03-02 08:00",
                                                "2026-03-02 08:30", "2026-03-02 10:00"]),
                  "default": [0, 1, 1, 1, 0]}).to_parquet(tmp_path / "labels" / "2026-03-02.parquet")
    r = _run(config, "2026-03-02")
    assert r.code == 0, r.err
    late = json.loads(r.out)["performance"]["late_labels"]["labels"]
    assert (late["known"], late["duplicate_ids"], late["conflicting_ids"], late["unmatched"], late["matched"]) \
        == (5, 2, 1, 1, 2)
    warnings = json.loads(r.out)["warnings"]
    assert any("1 id(s) were labeled more than once with different labels; the label known last is used" in w
               for w in warnings)
    assert any("1 label(s) for ids not among the predictions" in w for w in warnings)


def test_a_labels_day_not_there_yet_is_said_not_an_error(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=1)
    r = _run(config)
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert "labels for 2026-03-01 are not in yet (labels/2026-03-01.parquet)" in result["warnings"]
    assert result["performance"]["late_labels"]["estimated_windows"] == ["2026-03-01T00:00:00"]


def test_one_labels_file_holding_every_label_is_read_as_of_each_day(tmp_path):
    config, truth = scenario.write(str(tmp_path), days=23)
    truth[["id", "labeled_at", "default"]].to_parquet(tmp_path / "all-labels.parquet")
    text = open(config, encoding="utf-8").read().replace('"labels/{date}.parquet"', "all-labels.parquet")
    open(config, "w", encoding="utf-8").write(text)
    history = str(tmp_path / "one-file.db")
    results = [run_scheduled(RunSettings(config, date=d, history=history, env={})) for d in scenario.dates(23)]
    last = results[-1]["performance"]["late_labels"]["labels"]
    end = pd.Timestamp(scenario.dates(23)[-1] + timedelta(days=1))
    assert (last["known"], last["not_yet_known"]) == (int((truth["labeled_at"] < end).sum()),
                                                      int((truth["labeled_at"] >= end).sum()))
    assert [r["performance"]["late_labels"]["realized_windows"] for r in results[19:]] == [
        [], ["2026-03-01T00:00:00"], ["2026-03-02T00:00:00"], ["2026-03-03T00:00:00"]]


def test_a_labels_source_without_a_target_name_is_refused_by_validate_and_run(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=1)
    text = open(config, encoding="utf-8").read().replace("target: default, ", "")
    open(config, "w", encoding="utf-8").write(text)
    r = run_mlmon("validate", config)
    assert r.code == 2 and "data.labels needs the label column's name: set data.columns.target" in r.out + r.err
    r = _run(config)
    assert r.code == 2 and r.err.count("\n") == 1 and "data.columns.target" in r.err


def test_a_labels_path_with_an_unknown_placeholder_is_refused(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=1)
    text = open(config, encoding="utf-8").read().replace("labels/{date}.parquet", "labels/{day}.parquet")
    open(config, "w", encoding="utf-8").write(text)
    r = run_mlmon("validate", config)
    assert r.code == 2 and "unknown placeholder {day}; the only one is {date}" in r.out + r.err


def test_one_predictions_file_for_every_day_is_read_up_to_the_end_of_each_day(tmp_path):
    config, truth = scenario.write(str(tmp_path), days=22)
    truth.drop(columns=["default", "labeled_at"]).to_parquet(tmp_path / "all-predictions.parquet")
    text = open(config, encoding="utf-8").read().replace('"cur/{date}.parquet"', "all-predictions.parquet")
    open(config, "w", encoding="utf-8").write(text)
    history = str(tmp_path / "one-file.db")
    results = [run_scheduled(RunSettings(config, date=d, history=history, env={})) for d in scenario.dates(22)]
    assert [r["performance"]["late_labels"]["labels"]["predictions"]["outside"] for r in results[:2]] == [21 * 300, 20 * 300]
    assert [r["performance"]["late_labels"]["estimated_windows"] for r in results[:2]] == [
        ["2026-03-01T00:00:00"], ["2026-03-02T00:00:00"]]
    assert results[-1]["performance"]["late_labels"]["realized_windows"] == ["2026-03-02T00:00:00"]
    assert latest(history) == latest(replay(tmp_path / "daily", days=22)[2])  # the same as one file per day


def test_retention_days_bounds_the_history_on_the_runs_own_clock(tmp_path):
    config, _ = scenario.write(str(tmp_path), days=30)
    text = open(config, encoding="utf-8").read() + "storage: {retention_days: 10}\n"
    open(config, "w", encoding="utf-8").write(text)
    history = str(tmp_path / "h.db")
    results = [run_scheduled(RunSettings(config, date=d, history=history, env={})) for d in scenario.dates(30)]
    conn = sqlite3.connect(history)
    periods = [r[0] for r in conn.execute("SELECT DISTINCT period_start FROM runs WHERE kind='scheduled' ORDER BY 1")]
    # the last run is of 2026-03-30, its clock the end of that day: periods ending on or before 03-21 are gone
    assert periods[0] == "2026-03-21T00:00:00" and len(periods) == 10
    assert results[-1]["retention"]["runs"] == 3  # the scheduled run of 03-20, its drift run, its performance run


def test_mlmon_history_gives_the_realized_accuracy_then_the_estimates_day_by_day(replayed):
    """The check a team runs after a backfill: ``mlmon history --metric accuracy --format json``
    against scikit-learn on each day's predictions and the labels they got."""
    config, truth, history, _ = replayed
    r = run_mlmon("history", "--history", history, "--metric", "accuracy", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["model"] == "credit"
    by_day = {p["start"][:10]: p for p in data["points"]}
    assert sorted(by_day) == [d.isoformat() for d in scenario.dates(DAYS)]
    last = scenario.dates(DAYS)[-1]
    for day, group in truth.groupby(truth["ts"].dt.date):
        p, truth_value = by_day[day.isoformat()], accuracy_score(group["default"], group["pred"])
        if day + timedelta(days=20) <= last:
            assert (p["source"], p["n"]) == ("realized", 300)
            assert p["value"] == pytest.approx(truth_value, abs=1e-9)
        else:
            assert p["source"] == "estimated" and abs(p["value"] - truth_value) < 0.08
    # --config reads the config's model from the store the config names (relative to its folder)
    named = os.path.join(os.path.dirname(config), "named.yaml")
    with open(named, "w", encoding="utf-8") as fh:
        fh.write(open(config, encoding="utf-8").read() + "storage: {history_url: \"sqlite:///history.db\"}\n")
    r2 = run_mlmon("history", "--config", named, "--metric", "accuracy", "--format", "json")
    assert r2.code == 0, r2.err
    assert json.loads(r2.out) == data


def test_labels_that_keep_leaving_the_estimates_band_are_reported_as_a_changed_relation(tmp_path):
    """From day 3 defaults follow a different relation than the scores (the inputs do not move):
    once those days' labels arrive (day 23 on), realized accuracy sits below every estimate's
    band, and from the third such window the run says the estimate cannot be trusted."""
    _, _, history, results = replay(tmp_path, days=26, concept_from=2)
    found = {r["date"]: r["performance"]["late_labels"]["estimate_disagreement"] for r in results}
    assert all(not found[d.isoformat()] for d in scenario.dates(24))
    (d,) = found["2026-03-26"]
    assert d["metric"] == "accuracy" and d["windows"] >= 3 and d["gap"] < -0.05
    assert d["starts"][-1] == "2026-03-06T00:00:00"
    assert any(w.startswith("accuracy: the estimate has been off by") for w in results[-1]["warnings"])
    summary = json.loads(run_mlmon("history", "--history", history, "--summary", "--format", "json").out)
    (model,) = summary["models"]
    assert [x["metric"] for x in model["estimate_disagreement"]] == ["accuracy", "precision", "recall"]
    md = run_mlmon("history", "--history", history, "--summary").out
    assert "**estimates not to be trusted**: accuracy: the estimate has been off by" in md
    _, _, _, calm = replay(tmp_path / "calm", days=26)
    assert all(not r["performance"]["late_labels"]["estimate_disagreement"] for r in calm)


def test_a_multiclass_model_with_late_labels_gets_estimates_then_its_realized_accuracy(tmp_path):
    """Three classes, one probability column per class, labels 2 days late: the waiting days are
    estimated (multiclass confidence-based estimation), the labeled ones equal scikit-learn."""
    import numpy as np

    rng = np.random.default_rng(4)

    def rows(n, day, first):
        logits = rng.normal(0, 1.5, (n, 3))
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = np.array([rng.choice(3, p=row) for row in p])
        ts = pd.Timestamp(day) + pd.to_timedelta(np.sort(rng.uniform(0, 86_399, n)), unit="s")
        return pd.DataFrame({"id": np.arange(first, first + n), "ts": ts, "x": logits[:, 0],
                             "p_a": p[:, 0], "p_b": p[:, 1], "p_c": p[:, 2],
                             "pred": np.array(["a", "b", "c"])[p.argmax(axis=1)],
                             "label": np.array(["a", "b", "c"])[y]})

    (tmp_path / "cur").mkdir()
    (tmp_path / "labels").mkdir()
    rows(3000, "2026-01-01", 10**6).to_parquet(tmp_path / "ref.parquet")
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]
    truth = []
    for i, d in enumerate(days):
        frame = rows(400, d.isoformat(), 1 + 400 * i)
        frame.drop(columns=["label"]).to_parquet(tmp_path / "cur" / f"{d}.parquet")
        frame.assign(labeled_at=frame["ts"] + pd.Timedelta(days=2))[["id", "labeled_at", "label"]].to_parquet(
            tmp_path / "labels" / f"{d + timedelta(days=2)}.parquet")
        truth.append(frame)
    (tmp_path / "monitoring.yaml").write_text(
        'version: 1\nmodel: {name: tri, task: multiclass}\ndata:\n  reference: {path: ref.parquet}\n'
        '  current: {path: "cur/{date}.parquet"}\n  labels: {path: "labels/{date}.parquet", join_on: id, '
        'timestamp: labeled_at}\n  columns: {target: label, prediction: pred, prediction_proba: [p_a, p_b, p_c], '
        'timestamp: ts, id: id}\nperformance:\n  label_delay: 2d\n  classification: {primary: [accuracy]}\n',
        encoding="utf-8")
    history = str(tmp_path / "h.db")
    results = [run_scheduled(RunSettings(str(tmp_path / "monitoring.yaml"), date=d, history=history, env={}))
               for d in days]
    assert [r["performance"]["late_labels"]["estimated_windows"] for r in results] == [[f"{d}T00:00:00"] for d in days]
    points = {p["start"][:10]: p for p in json.loads(run_mlmon(
        "history", "--history", history, "--metric", "accuracy", "--format", "json").out)["points"]}
    for d, frame in zip(days, truth):
        p = points[d.isoformat()]
        if d + timedelta(days=2) <= days[-1]:
            assert p["source"] == "realized" and p["value"] == pytest.approx(
                accuracy_score(frame["label"], frame["pred"]), abs=1e-9)
        else:
            assert p["source"] == "estimated" and abs(p["value"] - accuracy_score(frame["label"], frame["pred"])) < 0.08
