"""Batch results as Prometheus metrics: the latest drift, performance and experiment runs in the
history store, and the state of ``mlmon run``'s alert engine, read afresh at every scrape (what
``mlmon serve`` exposes).

Tables read (on a read-only connection: a scrape never writes), from the SQLite file or the
PostgreSQL database the config names:

- ``runs`` (``kind`` 'drift', 'perf', 'ab'): the latest run of each kind, ``created_at``,
  ``drift_share``, ``dataset_drift`` and ``result_json`` (the perf baseline, the A/B verdict);
- ``drift_columns`` of the latest drift run: ``column_name``, ``method``, ``score``,
  ``threshold``, ``drifted``;
- ``ml_metrics`` of the latest perf run: ``metric``, ``window``, ``kind``, ``value``,
  ``timestamp`` (the newest window per metric, window and kind), ``model``;
- ``alert_state`` (written by ``mlmon run``): one row per rule, ``model``, ``rule`` (the
  condition), ``tier``, ``consecutive``, ``firing``, ``started_at``, ``threshold``.

A table that does not exist yet (an older database, a feature not used) yields no metrics; a
database that cannot be read at all, or a SQLite file that does not exist, sets ``mlmon_history_up``
to 0 (with one warning line) instead of failing the scrape.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any, Dict, Iterator, List, Optional

from mlmon.store.backends import is_postgres, redact


# higher is better for these; for every other performance metric a rise is the bad direction
HIGHER_IS_BETTER = frozenset({
    "accuracy", "f1_score", "auc_roc", "precision", "recall", "r2_score",
    "prediction_interval_coverage", "business_value_captured",
})


def history_path(config: Dict[str, Any], override: Optional[str] = None, base: str = ".") -> str:
    """The store a config's ``storage`` names (a SQLite file relative to ``base``, the config's
    folder, or a PostgreSQL URL), resolved exactly as ``mlmon run`` resolves it, so both use the
    same store; ``--history`` wins, then ``MLMON_DB_URL``.

    >>> history_path({"storage": {"history_url": "sqlite:///.mlmon/history.db"}}, base="/srv/monitoring")
    '/srv/monitoring/.mlmon/history.db'
    >>> history_path({"storage": {"history_url": "sqlite:////var/lib/mlmon/h.db"}}, base="/srv/monitoring")
    '/var/lib/mlmon/h.db'
    >>> history_path({}, "other.db")
    'other.db'
    """
    from mlmon.services.scheduled import history_path as resolve

    return resolve(config, override, base, os.environ)


class HistoryCollector:
    """A prometheus_client collector: every ``collect()`` reads the store again."""

    def __init__(self, path: str, model_name: Optional[str] = None):
        self.path = path
        self.model_name = model_name
        self._last_error: Optional[str] = None

    def describe(self):  # no fixed description: the families depend on what the store holds
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        families: List[Any] = []
        up = 1.0
        try:
            if not is_postgres(self.path) and not os.path.exists(self.path):
                # nothing to read is not "up": a typo in --history or storage must not look healthy
                raise FileNotFoundError("no such file (nothing recorded yet, or a wrong path?)")
            with _read_only(self.path) as q:
                tables = q.tables
                if "runs" in tables:
                    families += self._drift(q, tables)
                    families += self._performance(q, tables)
                    families += self._experiments(q)
                if "alert_state" in tables:
                    families += self._alerts(q)
            self._last_error = None
        except Exception as exc:  # a locked or corrupt file must not take the endpoint down
            up = 0.0
            families = []
            message = f"{type(exc).__name__}: {exc}"
            if message != self._last_error:  # once per distinct error, not once per scrape
                print(f"mlmon: warning: cannot read history ({redact(self.path)}: {message})", file=sys.stderr)
            self._last_error = message
        yield from families
        g = GaugeMetricFamily("mlmon_history_up", "1 when the history store could be read at the last scrape.")
        g.add_metric([], up)
        yield g

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _latest_run(q, kind: str) -> Optional[Dict[str, Any]]:
        rows = q(
            "SELECT * FROM runs WHERE kind=? ORDER BY created_at DESC, id DESC LIMIT 1", (kind,))
        return rows[0] if rows else None

    # ------------------------------------------------------------------ drift

    def _drift(self, q, tables: set) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        run = self._latest_run(q, "drift")
        if run is None:
            return []
        labels = ["drift_type", "feature"]
        score = G("ml_drift_score", "Drift score of one column in the latest drift run (p-value or distance; see drift_type).", labels=labels)
        threshold = G("ml_drift_threshold", "Threshold the column's drift test compares its score with.", labels=labels)
        detected = G("ml_drift_detected", "1 when the column drifted in the latest drift run.", labels=labels)
        if "drift_columns" in tables:
            for c in q("SELECT * FROM drift_columns WHERE run_id=? ORDER BY column_name", (run["id"],)):
                key = [c["method"], c["column_name"]]
                if c["score"] is not None:
                    score.add_metric(key, c["score"])
                if c["threshold"] is not None:
                    threshold.add_metric(key, c["threshold"])
                detected.add_metric(key, float(bool(c["drifted"])))
        out = [score, threshold, detected]
        if run.get("drift_share") is not None:
            share = G("ml_drift_share_ratio", "Share of features that drifted in the latest drift run (0-1).")
            share.add_metric([], run["drift_share"])
            out.append(share)
        if run.get("dataset_drift") is not None:
            dataset = G("ml_dataset_drift_detected", "1 when the latest drift run found dataset drift.")
            dataset.add_metric([], float(bool(run["dataset_drift"])))
            out.append(dataset)
        out.append(_timestamp("ml_drift_last_run_timestamp_seconds", "When the latest drift run was recorded (Unix time).", run))
        return out

    # ------------------------------------------------------------------ performance

    def _performance(self, q, tables: set) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        run = self._latest_run(q, "perf")
        if run is None:
            return []
        latest: Dict[tuple, float] = {}
        if "ml_metrics" in tables:
            sql = 'SELECT metric, "window", kind, value FROM ml_metrics WHERE run_id=? AND value IS NOT NULL'
            params: list = [run["id"]]
            if self.model_name:
                sql += " AND (model IS NULL OR model=?)"
                params.append(self.model_name)
            for r in q(sql + f" ORDER BY timestamp, {q.insertion_order}", params):
                latest[(r["metric"], r["window"], r["kind"])] = r["value"]  # the newest window wins
        generic = G("ml_model_metric", "Latest window's value of each performance metric (realized or estimated).",
                    labels=["metric", "window", "kind"])
        accuracy = G("ml_model_accuracy_ratio", "Model accuracy in the latest window (realized, else estimated).", labels=["window"])
        f1 = G("ml_model_f1_score_ratio", "Model F1 score in the latest window (realized, else estimated).", labels=["window"])
        for (metric, window, kind), value in sorted(latest.items()):
            generic.add_metric([metric, window, kind], value)
        for metric, family in (("accuracy", accuracy), ("f1_score", f1)):
            windows = sorted({w for (m, w, _k) in latest if m == metric})
            for window in windows:
                value = latest.get((metric, window, "realized"), latest.get((metric, window, "estimated")))
                if value is not None:
                    family.add_metric([window], value)
        out = [generic, accuracy, f1]
        result = _json(run.get("result_json"))
        baseline = ((result.get("baseline") or {}).get("metrics") or {}) if isinstance(result.get("baseline"), dict) else {}
        base = G("ml_model_baseline_metric", "Each performance metric on the baseline (what drops are measured against).",
                 labels=["metric"])
        for metric, value in sorted(baseline.items()):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                base.add_metric([metric], float(value))
        out.append(base)
        out.append(_timestamp("ml_perf_last_run_timestamp_seconds", "When the latest performance run was recorded (Unix time).", run))
        return out

    # ------------------------------------------------------------------ experiments

    def _experiments(self, q) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        rows = q("SELECT id, created_at, result_json FROM runs WHERE kind='ab' ORDER BY created_at, id")
        if not rows:
            return []
        latest: Dict[str, Dict[str, Any]] = {}
        for row in rows:  # ascending: the last run of each experiment stays
            result = _json(row["result_json"])
            name = str(result.get("experiment") or result.get("experiment_id") or "default")
            latest[name] = {"run": row, "result": result}
        cmp_labels = ["experiment", "control", "treatment", "metric"]
        lift = G("ml_experiment_lift_ratio", "Relative lift (treatment / control - 1) of the latest A/B analysis.", labels=cmp_labels)
        pvalue = G("ml_experiment_p_value", "P-value of the latest A/B comparison.", labels=cmp_labels)
        significant = G("ml_experiment_significant", "1 when the latest A/B comparison is significant.", labels=cmp_labels)
        srm = G("ml_experiment_srm_p_value", "Sample-ratio-mismatch p-value of the latest A/B analysis.", labels=["experiment"])
        verdict = G("ml_experiment_recommendation", "1 for the latest A/B analysis's recommendation.",
                    labels=["experiment", "recommendation"])
        stamp = G("ml_experiment_last_run_timestamp_seconds", "When the latest A/B analysis was recorded (Unix time).",
                  labels=["experiment"])
        for name, item in sorted(latest.items()):
            result = item["result"]
            for c in result.get("comparisons") or []:
                if not isinstance(c, dict):
                    continue
                key = [name, str(c.get("control", "")), str(c.get("treatment", "")), str(c.get("metric", ""))]
                for family, field in ((lift, "lift"), (pvalue, "p_value")):
                    if _number(c.get(field)):
                        family.add_metric(key, float(c[field]))
                if isinstance(c.get("significant"), bool):
                    significant.add_metric(key, float(c["significant"]))
            srm_result = result.get("srm")
            if isinstance(srm_result, dict) and _number(srm_result.get("p_value")):
                srm.add_metric([name], float(srm_result["p_value"]))
            if isinstance(result.get("recommendation"), str):
                verdict.add_metric([name, result["recommendation"]], 1.0)
            stamp.add_metric([name], float(item["run"]["created_at"]))
        return [lift, pvalue, significant, srm, verdict, stamp]


    # ------------------------------------------------------------------ alert engine

    def _alerts(self, q) -> List[Any]:
        """The alert engine's rules as ``mlmon run`` left them. ``firing`` counts a firing episode
        whether or not it was announced (a silenced or inhibited rule fires too)."""
        from prometheus_client.core import GaugeMetricFamily as G

        sql, params = "SELECT * FROM alert_state", []
        if self.model_name:
            sql += " WHERE model=?"
            params.append(self.model_name)
        labels = ["rule", "tier", "model"]
        firing = G("ml_alert_firing", "1 while the alert engine's rule fires (as of the latest mlmon run).", labels=labels)
        breaches = G("ml_alert_consecutive_breaches", "Checks in a row on which the rule's condition held, up to the latest mlmon run.",
                     labels=labels)
        threshold = G("ml_alert_threshold", "The threshold the rule compares its observed value with.", labels=labels)
        since = G("ml_alert_firing_since_timestamp_seconds", "When the rule's current firing episode began (Unix time).",
                  labels=labels)
        for row in q(sql + " ORDER BY model, rule, tier", params):
            key = [str(row["rule"]), str(row["tier"]), str(row["model"])]
            firing.add_metric(key, float(bool(row["firing"])))
            breaches.add_metric(key, float(row["consecutive"]))
            if _number(row.get("threshold")):
                threshold.add_metric(key, float(row["threshold"]))
            if row["firing"] and _number(row.get("started_at")):
                since.add_metric(key, float(row["started_at"]))
        return [firing, breaches, threshold, since]


class _Query:
    """``q(sql, params)`` -> rows as dicts, on one read-only connection; ``q.tables`` names the
    tables there, ``q.insertion_order`` is the expression ordering rows as they were inserted."""

    def __init__(self, conn):
        self.conn = conn
        self.tables = conn.tables()
        # PostgreSQL has no rowid: a row's physical position orders the rows of an append-only table
        self.insertion_order = "ctid" if conn.dialect.name == "postgresql" else "rowid"

    def __call__(self, sql: str, params=()) -> List[Dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]


@contextlib.contextmanager
def _read_only(location: str) -> Iterator[_Query]:
    """A query function on a read-only connection: a scrape never writes, never creates a table,
    and waits at most a few seconds for a writer's commit."""
    from mlmon.store.backends import connect_postgres, connect_sqlite

    conn = (connect_postgres(location, read_only=True) if is_postgres(location)
            else connect_sqlite(location, read_only=True, timeout=5))
    try:
        yield _Query(conn)
    finally:
        conn.close()


def _timestamp(name: str, doc: str, run: Dict[str, Any]):
    from prometheus_client.core import GaugeMetricFamily

    g = GaugeMetricFamily(name, doc)
    g.add_metric([], float(run["created_at"]))
    return g


def _json(text: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def registry_for(path: str, model_name: Optional[str] = None):
    """A registry holding only the history collector (no process or platform metrics)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(HistoryCollector(path, model_name))
    return registry
