"""The scheduled job behind ``mlmon run``: one check of one period, start to finish.

1. read the config, fill ``{date}`` into its data sources, read reference and current data;
2. compute drift, and performance when the data holds the target;
3. turn both into observations and step every alert rule from its stored state;
4. record it all in ONE history transaction: the drift run, the performance run, the scheduled
   run's summary, every rule's new state, its transitions, and the messages due (the outbox);
5. after the commit, deliver every pending message (this run's and any left by earlier runs)
   and mark each sent or still pending.

A run that fails before the commit leaves no trace of itself: no drift row, no state change,
no message. A run that dies after it leaves its messages pending; the next run sends them.

Two clocks: the alert engine runs on *data time* when the run names its period (``--date D``:
the end of day D, UTC), so a backfill of 30 days counts cooldowns as the 30 real days would
have, and an alert's ``started_at``/``last_fired_at`` and its messages' times describe the
data. What the store records about the run itself (``created_at``, ``updated_at``, a delivery's
``sent_at``, claim leases) is wall time: when it was written or sent.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from datetime import date as Date
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from mlmon.errors import MlmonError, option
from mlmon.services import alerting, notify, recording
from mlmon.store.rows import day_end, day_period

if TYPE_CHECKING:
    from mlmon.services.config.model import Config
    from mlmon.services.drift import DriftOptions

SCHEMA_VERSION = 1
TRAFFIC_RUNS = 7        # recent runs whose median row count is the traffic baseline
TRAFFIC_MIN_RUNS = 3    # fewer than this and traffic_pattern_change is not observed
TIER_RANK = {"critical": 0, "warning": 1, "info": 2}
# how long a run holds a message it is delivering: longer than the slowest delivery (4 attempts of
# 10 s with waits capped at 60 s), so only a run that died mid-delivery ever loses its claim
CLAIM_LEASE = 900.0


@dataclass
class RunSettings:
    config_path: str
    date: Optional[Date] = None
    history: Optional[str] = None
    dry_run: bool = False
    clock: Callable[[], float] = field(default=time.time, repr=False)
    env: Optional[Mapping[str, str]] = field(default=None, repr=False)
    policy: Optional[notify.RetryPolicy] = None


def parse_date(text: str) -> Date:
    try:
        return Date.fromisoformat(text)
    except ValueError:
        raise MlmonError(f"not a date: {text!r}", option("date"), "write it as YYYY-MM-DD") from None


def data_time(day: Date) -> float:
    """The end of ``day`` (midnight after it, UTC) as a Unix time: the alert engine's clock for
    a run of that day, when the day's data is complete.

    >>> data_time(Date(2026, 1, 1)) - data_time(Date(2025, 12, 31)), alerting.iso(data_time(Date(2026, 1, 1)))
    (86400.0, '2026-01-02T00:00:00Z')
    """
    return day_end(day).timestamp()


# ---------------------------------------------------------------------------- where things are

def source_path(config: "Config", side: str, day: Date, base: str) -> str:
    """``data.<side>.path`` with ``{date}`` filled in (``date_format``), relative to the config's folder.

    >>> from mlmon.services.config.model import from_dict
    >>> cfg = from_dict({"data": {"current": {"path": "cur/{date}.parquet", "date_format": "%Y%m%d"}}})
    >>> source_path(cfg, "current", Date(2026, 3, 1), "/srv/monitoring")
    '/srv/monitoring/cur/20260301.parquet'
    """
    source = getattr(config.data, side)
    if not source.path:
        raise MlmonError(f"the config has no data.{side}.path", "config", f"add data.{side}.path")
    path = source.path.replace("{date}", day.strftime(source.date_format or "%Y-%m-%d"))
    return path if os.path.isabs(path) else os.path.join(base, path)


def history_path(config: "Config | Mapping[str, Any]", given: Optional[str], base: str, env: Mapping[str, str]) -> str:
    """``--history``, else ``MLMON_DB_URL``, else the config's ``storage``, else the default: a
    SQLite path or a PostgreSQL URL (see :mod:`mlmon.store.location`). ``config``: the typed
    config, or the file's own keys as a dict (``mlmon serve`` resolves it the same way)."""
    from mlmon.store.location import resolve

    return resolve(config, given, base, env)


# ---------------------------------------------------------------------------- the run

def run_scheduled(settings: RunSettings) -> Dict[str, Any]:
    """Check one period; returns the run's result dict (see references/alerting.md, "What one run does").
    A run stopped by bad input leaves a ``failed`` row in a store that exists (see
    :func:`_record_failure`) and nothing else."""
    from mlmon.services.config import load_config
    from mlmon.store.history import HistoryStore

    env = os.environ if settings.env is None else settings.env
    config = load_config(settings.config_path)
    base = os.path.dirname(os.path.abspath(settings.config_path))
    day = settings.date or Date.today()
    store = HistoryStore(history_path(config, settings.history, base, env))
    try:
        return _run(settings, config, base, day, store, env)
    except MlmonError as exc:
        if not settings.dry_run and not getattr(exc, "store_failure", False):
            _record_failure(store, config, day, exc, settings)
        raise


def _record_failure(store, config: "Config", day: Date, exc: MlmonError, settings: RunSettings) -> None:
    """A run that stopped on bad input leaves one ``failed`` row (model, day, the error line), so
    whoever watches the store hears of it. A store that does not exist yet is not created for it;
    if even that row cannot be written, the error stands alone."""
    if store.dialect_name == "sqlite" and not os.path.exists(store.location):
        return
    start, end = day_period(day)
    try:
        store.append_failed(exc.line(), {"model": config.model.name, "version": config.model.version,
                                         "period_start": start, "period_end": end},
                            config=settings.config_path, created_at=settings.clock())
    except Exception:  # the store is not writable: the error line on stderr is all there is
        pass


def _run(settings: RunSettings, config: "Config", base: str, day: Date, store, env) -> Dict[str, Any]:
    from mlmon.io.tables import read_table
    from mlmon.services.drift.windowed import run_two_files
    from mlmon.store.history import StoreError

    reference = read_table(source_path(config, "reference", day, base), role="reference")
    current = read_table(source_path(config, "current", day, base), role="current")

    options, warnings = drift_options(config, reference.columns, current.columns)
    drift = run_two_files(reference, current, options, calibrate_by_config=True).to_dict()
    warnings = list(warnings) + list(drift.get("warnings") or [])
    perf_view = None
    if config.data.labels.path:  # labels of their own, arriving late (see mlmon.services.late_labels)
        from mlmon.services import late_labels

        late = late_labels.performance(config, store, reference, current, day, base)
        perf, perf_rows, perf_note, perf_view = late.result, late.rows, None, late.alert_view
        warnings.extend(late.notes)
    else:
        perf, perf_rows, perf_note = performance(config, reference, current)
    if perf_note:
        warnings.append(perf_note)

    engine = alerting.EngineSettings.from_config(config)
    rules = alerting.rules_from_config(config)
    model = config.model
    model_name = model.name or "model"
    primary = primary_metrics(config)
    context = {"run_date": day.isoformat(), "current_path": current.path,
               "runbook_url": config.alerts.runbook_url}

    result: Dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "scheduled",
        "model": {"name": model.name, "version": model.version},
        "date": day.isoformat(),
        "dry_run": settings.dry_run,
        "config": settings.config_path,
        "history": store.path,
        "run_id": None,
        "reference": {"path": reference.path, "rows": reference.rows},
        "current": {"path": current.path, "rows": current.rows},
        "drift": drift_summary(drift),
        "performance": perf_summary(perf, perf_note),
    }

    def decide() -> List[alerting.Decision]:
        change, detail = traffic_change(store, str(model.name), current.rows)
        observations = alerting.observe(drift, perf if perf_view is None else perf_view, primary, change, detail)
        result["observations"] = {k: {"value": o.value, "detail": o.detail} for k, o in sorted(observations.items())}
        rows = store.alert_states()
        states = {k: alerting.state_from_row(r) for k, r in rows.items()}
        decisions = alerting.evaluate(rules, observations, states, now, engine.consecutive_failures,
                                      engine.cooldown, context, engine.resolve_after)
        if any(k not in {r.key for r in rules} for k in rows):
            decisions += alerting.retire(rows, rules, model_name, store.notified_channels(), now, context)
        return decisions

    period_start, period_end = day_period(day)
    identity = {"model": model.name, "version": model.version, "period_start": period_start, "period_end": period_end}
    wall = settings.clock()
    now = data_time(settings.date) if settings.date else wall  # the engine's clock (see the module docstring)
    if settings.dry_run:
        decisions = decide()
        result.update(_outcome(decisions, warnings))
        result["notifications"] = [
            {"id": None, "alert_key": d.rule.key, "channel": ch, "status": "not sent (dry run)",
             "message": d.message["status"], "attempts": 0, "error": None}
            for d in decisions if d.message for ch in d.rule.notify]
        result["undelivered"] = 0
        return result

    try:
        with store.transaction():
            store.lock_alert_state()
            decisions = decide()
            result.update(_outcome(decisions, warnings))
            run_id = store.append_scheduled(result, created_at=wall)
            result["run_id"] = run_id
            result["drift"]["run_id"] = recording.record_drift(store, drift, created_at=wall, identity=identity)
            if perf is not None:
                result["performance"]["run_id"] = recording.record_performance(
                    store, perf, created_at=wall, rows=perf_rows,
                    identity={"model": model.name, "version": model.version})
            record_decisions(store, decisions, run_id, now, wall)
            if config.storage.retention_days:  # on the engine's clock: a backfill keeps what those days kept
                result["retention"] = store.enforce_retention(config.storage.retention_days, now)
    except (sqlite3.Error, OSError, StoreError) as exc:
        # alert state lives in the store: a run that cannot record cannot decide either
        todo = ("pass --history PATH to a writable SQLite file" if store.dialect_name == "sqlite"
                else "check that the database user may create and write the history tables")
        error = MlmonError(f"cannot record the run in the history store: {exc}", store.path,
                           f"{todo}; nothing of this run was recorded or sent")
        error.store_failure = True  # nothing to record a failure into either
        raise error from exc
    result["notifications"] = deliver_pending(store, config, env, settings.policy, settings.clock)
    result["undelivered"] = sum(1 for n in result["notifications"] if n["status"] != "sent")
    return result


def _outcome(decisions: List[alerting.Decision], warnings: List[str]) -> Dict[str, Any]:
    breached = sorted({d.rule.tier for d in decisions if d.breached}, key=TIER_RANK.get)
    return {
        "severity": breached[0] if breached else "healthy",
        "breached_tiers": breached,
        "alerts": [d.to_dict() for d in decisions],
        "warnings": warnings,
    }


def record_decisions(store, decisions: List[alerting.Decision], run_id: int, now: float,
                     wall: Optional[float] = None) -> None:
    """Every rule's new state, a row in ``alert_events`` per transition, the messages in the outbox.
    ``now`` is the engine's clock (data time for a dated run), ``wall`` when the rows are written."""
    wall = now if wall is None else wall
    for d in decisions:
        if d.status == "retired":
            store.delete_alert_state(d.rule.key)
        else:
            store.save_alert_state(alerting.state_row(d, wall), run_id)
        if d.send is not None:
            event = d.send
        elif d.status in ("resolved", "retired"):  # an episode that was never announced ends
            event = d.status
        elif d.status in ("silenced", "inhibited") and d.state.started_at == now:
            event = d.status  # the run it began firing quietly, not every run it stays so
        else:
            event = None
        if event:
            store.append_alert_event(d.rule.key, event, d.observation.value, d.rule.threshold, wall, run_id)
        if d.message is not None:
            for channel in d.rule.notify:
                store.enqueue_notification(d.rule.key, channel, d.message, wall, run_id)


def deliver_pending(store, config: "Config", env: Mapping[str, str],
                    policy: Optional[notify.RetryPolicy], clock: Callable[[], float]) -> List[Dict[str, Any]]:
    """Send every pending message, oldest first. A channel that failed with a retryable error is
    not tried again this run; a message waits while an older one for the same alert and channel is
    undelivered, so a *resolved* never overtakes its *firing*. Each message is claimed before it
    is sent, so two runs at once never send the same one; one held by another run is left to it."""
    down: Dict[str, str] = {}
    blocked: set = set()
    report = []
    for row in store.pending_notifications():
        channel, key = row["channel"], row["alert_key"]
        entry = {"id": row["id"], "alert_key": key, "channel": channel, "message": row["payload"]["status"],
                 "run_id": row["run_id"], "attempts": 0}
        if not store.claim_notification(row["id"], clock(), CLAIM_LEASE):
            blocked.add((key, channel))  # another run is delivering it: later ones wait behind it
            continue
        if (key, channel) in blocked:
            outcome = notify.Delivery(False, 0, "waiting for an earlier message of this alert")
        elif channel in down:
            outcome = notify.Delivery(False, 0, f"channel failed earlier in this run: {down[channel]}")
        elif not isinstance(config.channel(channel), Mapping):
            outcome = notify.Delivery(False, 0, f"notifications.{channel} is not configured")
        else:
            outcome = notify.deliver(channel, config.channel(channel), row["payload"], env, policy)
            if not outcome.ok and not _final(outcome):
                down[channel] = outcome.error or "failed"
        if not outcome.ok:
            blocked.add((key, channel))
        store.mark_notification(row["id"], outcome.ok, outcome.attempts, outcome.error, clock())
        entry.update(status="sent" if outcome.ok else "pending", attempts=outcome.attempts, error=outcome.error,
                     total_attempts=row["attempts"] + outcome.attempts)
        report.append(entry)
    return report


def _final(outcome: notify.Delivery) -> bool:
    """A 4xx other than 429: this message was refused, the channel itself may be fine."""
    return outcome.http_status is not None and 400 <= outcome.http_status < 500 and outcome.http_status != 429


# ---------------------------------------------------------------------------- observations

def primary_metrics(config: "Config") -> List[str]:
    perf = config.performance
    return list((perf.regression if config.model.task == "regression" else perf.classification).primary)


def traffic_change(store, model: str, rows: int) -> Tuple[Optional[float], str]:
    """Relative change of this run's row count against the median of the last scheduled runs."""
    try:
        past = store.query(
            "SELECT current_rows FROM runs WHERE kind='scheduled' AND model=? ORDER BY created_at DESC, id DESC LIMIT ?",
            (model, TRAFFIC_RUNS))
    except Exception as exc:  # a store that cannot be read: no traffic baseline, the rest of the run goes on
        return None, f"no traffic baseline ({exc})"
    counts = [r["current_rows"] for r in past if r["current_rows"]]
    if len(counts) < TRAFFIC_MIN_RUNS:
        return None, f"{len(counts)} earlier runs; {TRAFFIC_MIN_RUNS} needed for a traffic baseline"
    median = statistics.median(counts)
    change = round(abs(rows - median) / median, 12)
    return change, f"{rows} rows vs median {median:g} of the last {len(counts)} runs"


def drift_summary(drift: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "run_id": None,
        "dataset_drift": drift["dataset_drift"],
        "drift_share": drift["drift_share"],
        "n_drifted": drift["n_drifted"],
        "n_columns": drift["n_columns"],
        "severity": drift["severity"],
        "drifted": sorted(n for n, c in drift["columns"].items() if c["drifted"]),
        # where each feature's threshold came from, and how calibrated ones were set
        "threshold_sources": {n: c.get("threshold_source", "default") for n, c in drift["columns"].items()},
        "calibration": drift.get("calibration"),
    }


# ---------------------------------------------------------------------------- drift options

def drift_options(config: "Config", reference_columns: List[str],
                  current_columns: List[str]) -> Tuple["DriftOptions", List[str]]:
    """The run's DriftOptions, built here and nowhere else: the config's drift and column
    sections for data with these columns, the target left out when only the reference has it,
    and calibrated thresholds unless the config turns them off (``drift.calibration``)."""
    from mlmon.services.drift import DriftOptions

    options = DriftOptions.from_config(config, list(current_columns) + [c for c in reference_columns if c not in current_columns])
    warnings = list(options.config_warnings)
    values = {"calibrate": config.drift.calibration.enabled,
              "false_alarm_rate": config.drift.calibration.false_alarm_rate}
    target = config.data.columns.target
    if target and target in reference_columns and target not in current_columns:
        # labels arrive later than predictions: the current period without them is the normal case
        values["exclude"] = [*options.exclude, target]
        warnings = [w for w in warnings if w != f"config data.columns.target not in the data, ignored: {target}"]
    return options.from_fields(**values), warnings


# ---------------------------------------------------------------------------- performance

def performance(config: "Config", reference, current) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]], Optional[str]]:
    """The performance result, its ``ml_metrics`` rows, and a note when it was skipped."""
    target = config.data.columns.target
    if not target or target not in current.columns:
        return None, [], f"performance skipped: the current data has no target column {target!r}" if target else \
            "performance skipped: the config names no target column"
    from mlmon.services.performance import compute_performance
    from mlmon.store.rows import metric_rows

    options = perf_options(config, current.columns)
    result = compute_performance(current.frame, options, reference=reference.frame).to_dict()
    return result, metric_rows(result), None


def perf_options(config: "Config", columns: List[str]):
    """PerfOptions from the config (the same settings `mlmon perf --config` takes), keeping only
    the column roles present in the data, with ``drift.window`` as the window (the span one
    scheduled check covers)."""
    from mlmon.services.performance import PerfOptions, settings_from_config

    settings = settings_from_config(config)
    settings.setdefault("task", "binary")
    present = set(columns)
    for role in ("target", "prediction", "proba", "timestamp"):
        given = settings.get(role)
        names = given if isinstance(given, (list, tuple)) else [given]
        if not all(n in present for n in names):  # multiclass: every class's probability column
            settings.pop(role, None)
    if settings["task"] == "regression":
        settings.pop("proba", None)
    settings.pop("join_on", None)  # labels sit in the scheduled data itself
    if settings.get("timestamp"):
        settings["window"] = config.drift.window
    return PerfOptions(**settings)


def perf_summary(perf: Optional[Mapping[str, Any]], note: Optional[str]) -> Optional[Dict[str, Any]]:
    if perf is None:
        return {"run_id": None, "skipped": note}
    windows = perf.get("windows") or []
    latest = windows[-1] if windows else None
    return {
        "run_id": None,
        "skipped": None,
        "baseline": (perf.get("baseline") or {}).get("metrics"),
        "latest_window": None if latest is None else {
            "start": latest.get("start"), "end": latest.get("end"), "n": latest.get("n"),
            "metrics": latest.get("metrics"), "estimated": latest.get("estimated"), "severity": latest.get("severity")},
        "severity": max((w.get("severity") or "healthy" for w in windows),
                        key=["healthy", "degraded", "critical"].index, default="healthy"),
        # with data.labels: which windows got realized values and estimates, and how the labels joined
        "late_labels": perf.get("late_labels"),
    }
