"""Late labels in the scheduled job: what a run of day D knows, and what it records.

When ``data.labels`` names a source of its own, ground truth arrives after the predictions (a
credit model learns whether a loan defaulted weeks later). A run of day D then:

1. reads the predictions of every day back to D minus the lookback (``performance.label_delay``
   plus a margin of the same length, at least a week): the windows whose labels may have come in
   since the last run;
2. reads the labels *known by the end of D* (their ``timestamp`` column), so a backfill of past
   days behaves as those days did; an id labeled twice keeps its latest label (a conflict is
   counted); labels of ids not among those predictions are counted;
3. computes each window's realized metrics from the labels known and, for binary models with a
   probability, the confidence-based estimate of every window;
4. chooses what to record: a window's **realized** values once its labels have arrived (the
   window ended ``label_delay`` ago, or every prediction in it is labeled) and whenever its
   labeled count changed since they were last recorded; an **estimate** for a window still
   waiting, once (again only if its row count changed). Each row carries ``known_at`` (the end of
   D), so "what did we know on day X" is a query, and the earlier estimates stay beside the
   realized values that supersede them.

Alerts see the newest window whose realized values arrived in this run and, unless
``alerts.on_estimated`` is off, the estimate of day D; the larger drop is observed, and its
detail says whether it was realized or estimated.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError
from mlmon.store.rows import day_end, day_period, utc_text

if TYPE_CHECKING:
    from mlmon.services.config.model import Config

MIN_MARGIN = timedelta(days=7)
DAY_COLUMN = "__mlmon_day"  # the file's day, where the data has no timestamp column


@dataclass
class LatePerformance:
    """What a run of one day computed and what it records."""
    result: Optional[Dict[str, Any]]          # the performance result (windows recorded this run, and day D's)
    rows: List[Dict[str, Any]]                # ml_metrics rows to record
    alert_view: Optional[Dict[str, Any]]      # the performance the alert engine observes
    labels: Dict[str, Any]                    # what was read and how it joined
    notes: List[str] = field(default_factory=list)


def lookback(config: "Config") -> timedelta:
    """How far back a run looks for labels that arrived: the label delay and a margin as long
    (at least a week).

    >>> from mlmon.services.config.model import from_dict
    >>> lookback(from_dict({"performance": {"label_delay": "20d"}})).days, lookback(from_dict({})).days
    (40, 7)
    """
    delay = label_delay(config)
    return delay + max(delay, MIN_MARGIN)


def label_delay(config: "Config") -> timedelta:
    from mlmon.services.config.durations import parse_duration

    return timedelta(seconds=parse_duration(config.performance.label_delay) or 0)


# ---------------------------------------------------------------------------- reading

def _fill(path: str, day: Date, date_format: Optional[str], base: str) -> str:
    path = path.replace("{date}", day.strftime(date_format or "%Y-%m-%d"))
    return path if os.path.isabs(path) else os.path.join(base, path)


def _days(day: Date, back: timedelta) -> List[Date]:
    first = day - timedelta(days=math.ceil(back.total_seconds() / 86400))
    return [first + timedelta(days=i) for i in range((day - first).days + 1)]


def read_predictions(config: "Config", day: Date, base: str, current) -> Tuple[pd.DataFrame, Dict[str, Any]]:
    """The predictions of every day of the lookback (day D's already read as ``current``), with
    the file's day in :data:`DAY_COLUMN`. Days without a file are counted, not errors."""
    from mlmon.io.tables import read_table

    source = config.data.current
    frames, missing = [], []
    days = _days(day, lookback(config)) if "{date}" in (source.path or "") else [day]
    for d in days:
        if d == day:
            frame = current.frame
        else:
            path = _fill(source.path, d, source.date_format, base)
            if not os.path.exists(path):
                missing.append(d.isoformat())
                continue
            frame = read_table(path, role="current").frame
        frames.append(frame.assign(**{DAY_COLUMN: pd.Timestamp(d)}))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    report: Dict[str, Any] = {"days": len(days), "days_read": len(frames), "days_missing": missing, "outside": 0}
    ts = config.data.columns.timestamp
    if ts and ts in frame.columns:
        # one file holding every day: a run of D sees the predictions made in its lookback up to
        # D's end, as the real day would have
        from mlmon.services.labels import parse_timestamps

        ns, _ = parse_timestamps(frame[ts], ts, role="current")
        first = pd.Timestamp(_days(day, lookback(config))[0]).value
        inside = (ns >= first) & (ns < pd.Timestamp(day_end(day)).value)
        if not inside.all():
            report["outside"] = int((~inside).sum())
            frame = frame.loc[inside].reset_index(drop=True)
    return frame, report


def read_known_labels(config: "Config", day: Date, base: str) -> Tuple[pd.DataFrame, Dict[str, Any], List[str]]:
    """The labels known by the end of ``day``: one row per id (the latest label known), with
    the report of what was read. A ``{date}`` file not there yet means those labels are not in."""
    from mlmon.io.tables import read_table
    from mlmon.services.labels import parse_timestamps

    spec = config.data.labels
    target = config.data.columns.target
    where = "config data.labels"
    if not target:
        raise MlmonError("data.labels needs the label column's name", "config data.columns.target",
                         "name the target column under data.columns.target")
    paths: List[Tuple[Optional[str], str]] = []
    if "{date}" in spec.path:
        paths = [(d.isoformat(), _fill(spec.path, d, spec.date_format, base)) for d in _days(day, lookback(config))]
    else:
        paths = [(None, _fill(spec.path, day, spec.date_format, base))]
    frames, missing, notes = [], [], []
    for d, path in paths:
        if not os.path.exists(path):
            missing.append(d or path)
            continue
        table = read_table(path, role="labels")
        frame = table.frame
        for column, what in ((spec.join_on, "data.labels.join_on"), (spec.timestamp, "data.labels.timestamp"),
                             (target, "data.columns.target")):
            if column not in frame.columns:
                raise MlmonError(f"the labels file has no column {column!r} ({what})", f"{where} {table.path}",
                                 f"columns there: {', '.join(map(str, list(frame.columns)[:12]))}")
        frames.append(frame[[spec.join_on, spec.timestamp, target]])
    report: Dict[str, Any] = {"path": spec.path, "files_read": len(frames), "not_in_yet": missing,
                              "rows": 0, "known": 0, "not_yet_known": 0, "duplicate_ids": 0,
                              "conflicting_ids": 0, "unmatched": 0, "matched": 0}
    if "{date}" in spec.path and day.isoformat() in missing:
        notes.append(f"labels for {day.isoformat()} are not in yet ({_fill(spec.path, day, spec.date_format, '')})")
    if not frames:
        if "{date}" not in spec.path:
            notes.append(f"labels file not there yet: {spec.path}")
        return pd.DataFrame({spec.join_on: pd.Series([], dtype=object), target: pd.Series([], dtype=float)}), report, notes
    labels = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    report["rows"] = int(len(labels))
    known_ns, _ = parse_timestamps(labels[spec.timestamp], spec.timestamp, role="labels")
    nat = np.iinfo(np.int64).min
    cutoff = int(pd.Timestamp(day_end(day)).value)
    known = (known_ns != nat) & (known_ns < cutoff) & labels[target].notna().to_numpy()
    report["not_yet_known"] = int((known_ns >= cutoff).sum())
    labels = labels.loc[known, [spec.join_on, target]].assign(_known=known_ns[known])
    report["known"] = int(len(labels))
    # an id labeled twice keeps the label known last (file order breaks ties: the later row wins)
    labels = labels.reset_index(drop=True)
    labels = labels.iloc[np.lexsort((np.arange(len(labels)), labels["_known"].to_numpy()))]
    ids = labels[spec.join_on]
    repeated = ids.duplicated(keep=False)
    report["duplicate_ids"] = int(ids[repeated].nunique())
    if repeated.any():
        distinct = labels[repeated].groupby(spec.join_on, sort=False)[target].nunique()
        report["conflicting_ids"] = int((distinct > 1).sum())
        if report["conflicting_ids"]:
            notes.append(f"{report['conflicting_ids']} id(s) were labeled more than once with different labels; "
                         "the label known last is used")
    labels = labels.drop_duplicates(spec.join_on, keep="last").drop(columns="_known")
    return labels, report, notes


# ---------------------------------------------------------------------------- the run

def performance(config: "Config", store, reference, current, day: Date, base: str) -> LatePerformance:
    """Realized metrics for windows whose labels came in, estimates for those still waiting."""
    from mlmon.services.labels import join_labels
    from mlmon.services.performance import compute_performance
    from mlmon.store.rows import metric_rows

    target = config.data.columns.target
    spec = config.data.labels
    labels, report, notes = read_known_labels(config, day, base)
    predictions, pred_report = read_predictions(config, day, base, current)
    report["predictions"] = pred_report
    if spec.join_on not in predictions.columns:
        raise MlmonError(f"the predictions have no column {spec.join_on!r} to join the labels on",
                         "config data.labels.join_on", "name the id column both the predictions and the labels have")
    if target in predictions.columns:  # the labels source is the truth
        predictions = predictions.drop(columns=[target])
    joined, join, _ = join_labels(predictions, labels, spec.join_on, [target], where="config data.labels",
                                  require_match=False)
    report["matched"] = join["matched"]
    report["unmatched"] = join["unmatched_labels"]
    if report["unmatched"]:
        notes.append(f"{report['unmatched']} label(s) for ids not among the predictions of the last "
                     f"{pred_report['days']} days (counted, not used)")

    from mlmon.services.scheduled import perf_options, primary_metrics

    options = perf_options(config, list(joined.columns) + [target])
    fields: Dict[str, Any] = {"target": target}
    if not options.timestamp:
        fields.update(timestamp=DAY_COLUMN, window="1D")
    # estimates where the task can have them: classification from its probabilities, regression
    # from a model of its error; a reference they cannot be fitted on leaves realized values only
    fields["estimate"] = options.task == "regression" or bool(options.proba)
    options = options.override(**fields)
    try:
        perf = compute_performance(joined, options, reference=reference.frame).to_dict()
    except MlmonError as exc:
        if not fields["estimate"]:
            raise
        notes.append(f"no estimates while labels are missing: {exc.what}")
        perf = compute_performance(joined, options.override(estimate=False), reference=reference.frame).to_dict()

    model = config.model
    as_of = day_end(day)
    known_at = as_of.replace(tzinfo=None).isoformat()
    delay = label_delay(config)
    stored = store.metric_counts(model.name, _window_floor(perf)) if perf.get("windows") else {}
    realized_new, estimated_new = [], []
    for w in perf.get("windows") or []:
        if not w.get("n"):
            continue
        arrived = _arrived(w, delay, as_of)
        if arrived and w.get("n_labeled"):
            if stored.get((_start(w), "realized")) != w["n_labeled"]:
                realized_new.append(w)
        elif not arrived and w.get("estimated"):
            if stored.get((_start(w), "estimated")) != w["n"]:
                estimated_new.append(w)
    rows = []
    for w in realized_new:
        rows += [r for r in metric_rows({**perf, "windows": [w]}, model.name, model.version) if r["kind"] == "realized"]
    for w in estimated_new:
        rows += [r for r in metric_rows({**perf, "windows": [w]}, model.name, model.version) if r["kind"] == "estimated"]
    for r in rows:
        r["known_at"] = known_at

    today = [w for w in perf.get("windows") or [] if _start(w) >= day_period(day)[0]]
    kept = {id(w) for w in realized_new + estimated_new + today}
    recorded = {**perf, "windows": [w for w in perf.get("windows") or [] if id(w) in kept]}
    waiting = sum(1 for w in perf.get("windows") or [] if w.get("n") and not _arrived(w, delay, as_of))
    recorded["late_labels"] = {"known_at": known_at, "label_delay_days": delay.total_seconds() / 86400,
                               "realized_windows": [_start(w) for w in realized_new],
                               "estimated_windows": [_start(w) for w in estimated_new],
                               "waiting_windows": waiting, "labels": report}
    disagreements = _disagreements(store, model.name, perf, rows, primary_metrics(config))
    recorded["late_labels"]["estimate_disagreement"] = disagreements
    notes += [f"{d['metric']}: {d['message']}" for d in disagreements]
    alert_view = _alert_view(perf, realized_new, today, config.alerts.on_estimated)
    return LatePerformance(recorded, rows, alert_view, report, notes)


def _disagreements(store, model: Optional[str], perf: Dict[str, Any], new_rows: List[Dict[str, Any]],
                   metrics: List[str]) -> List[Dict[str, Any]]:
    """Once labels come in for windows that were estimated: the primary metrics whose realized
    values have left the estimate's band on several recent windows in a row (see
    :mod:`mlmon.services.performance.disagreement`), over the lookback's windows."""
    from mlmon.services.performance.disagreement import disagreements_from_rows

    if not perf.get("windows"):
        return []
    rows = store.metric_rows_since(model, _window_floor(perf)) + new_rows
    return [d.to_dict() for d in disagreements_from_rows(rows, metrics)]


def _start(w: Dict[str, Any]) -> str:
    return utc_text(str(w["start"]))


def _window_floor(perf: Dict[str, Any]) -> str:
    return min(_start(w) for w in perf["windows"])


def _arrived(w: Dict[str, Any], delay: timedelta, as_of: datetime) -> bool:
    """A window's labels have arrived when it ended ``delay`` before ``as_of``, or when every
    prediction in it is labeled."""
    if w.get("n") and w.get("n_labeled") == w.get("n"):
        return True
    end = pd.Timestamp(w.get("end") or w["start"])
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    return end.to_pydatetime() + delay <= as_of


def _alert_view(perf: Dict[str, Any], realized_new: List[Dict[str, Any]], today: List[Dict[str, Any]],
                on_estimated: bool) -> Optional[Dict[str, Any]]:
    """The performance the alert engine observes: the newest window whose realized values arrived
    in this run, and day D's estimate unless alerts on estimates are off; the larger drop."""
    candidates = []
    if realized_new and realized_new[-1].get("severity_basis") == "realized" and realized_new[-1].get("drops"):
        candidates.append(realized_new[-1])
    if on_estimated:
        candidates += [w for w in today if w.get("severity_basis") == "estimated" and w.get("drops")]
    if not candidates:
        return {**perf, "windows": []}
    worst = max(candidates, key=lambda w: max(w["drops"].values()))
    return {**perf, "windows": [worst]}
