"""Batch results as Prometheus metrics: the latest drift, performance and experiment results in
the history store, and the state of ``mlmon run``'s alert engine, per model, read afresh at every
scrape (what ``mlmon serve`` exposes).

Every series carries ``model`` and ``version``: the model a run or row was recorded for and that
model's version in the run or row the value comes from, so several models share one Prometheus
without colliding. A run recorded without a model (``mlmon drift`` by hand) gets ``model=""``,
which Prometheus stores as no ``model`` label at all: such series are still exposed, but a query or
a dashboard that selects a model does not see them. A store from before migration 3 (no model
columns) is read the same way, every run without a model.

Tables read (on a read-only connection: a scrape never writes), from the SQLite file or the
PostgreSQL database the config names:

- ``runs`` (``kind`` 'drift', 'perf', 'ab'): per model, the latest run of each kind by
  ``created_at``: ``drift_share``, ``dataset_drift``, ``version`` and ``result_json`` (the perf
  baseline, its primary metrics and drop tiers, the A/B verdict);
- ``drift_columns`` of each model's latest drift run: ``column_name``, ``method``, ``score``,
  ``threshold``, ``drifted``;
- ``ml_metrics``: per model, metric, window size and source (``kind``: realized or estimated),
  the row of the newest window (``timestamp``); of several rows for that window, the one known
  last (``known_at``, then insertion order);
- ``alert_state`` (written by ``mlmon run``): one row per rule, ``model``, ``rule`` (the
  condition), ``tier``, ``consecutive``, ``firing``, ``started_at``, ``threshold``; the version is
  the one of the run that last updated it.

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

from mlmon.stats.direction import value_at_drop
from mlmon.store.backends import is_postgres, redact




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
    """A prometheus_client collector: every ``collect()`` reads the store again. ``model_name``:
    expose that model only (None: every model in the store)."""

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

    def _latest_runs(self, q, kind: str) -> List[Dict[str, Any]]:
        """The latest run of ``kind`` of each model (a run without a model counts as model ""),
        by model name."""
        if not q.has("runs", "model"):  # before migration 3: no run knows its model
            rows = q("SELECT * FROM runs WHERE kind=? ORDER BY created_at DESC, id DESC LIMIT 1", (kind,))
            return [{**r, "model": None, "version": None} for r in rows if self.model_name is None]
        models = [r["model"] for r in q("SELECT DISTINCT model FROM runs WHERE kind=?", (kind,))]
        out = []
        for model in sorted((m for m in models if self._wanted(m)), key=lambda m: (m is not None, m or "")):
            where, params = ("model=?", (kind, model)) if model is not None else ("model IS NULL", (kind,))
            out += q(f"SELECT * FROM runs WHERE kind=? AND {where} ORDER BY created_at DESC, id DESC LIMIT 1", params)
        return out

    def _wanted(self, model: Optional[str]) -> bool:
        return self.model_name is None or model == self.model_name

    # ------------------------------------------------------------------ drift

    def _drift(self, q, tables: set) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        runs = self._latest_runs(q, "drift")
        if not runs:
            return []
        labels = ["model", "version", "drift_type", "feature"]
        score = G("ml_drift_score", "Drift score of one column in the model's latest drift run (p-value or distance; see drift_type).",
                  labels=labels)
        threshold = G("ml_drift_threshold", "Threshold the column's drift test compares its score with.", labels=labels)
        detected = G("ml_drift_detected", "1 when the column drifted in the model's latest drift run.", labels=labels)
        share = G("ml_drift_share_ratio", "Share of features that drifted in the model's latest drift run (0-1).",
                  labels=["model", "version"])
        dataset = G("ml_dataset_drift_detected", "1 when the model's latest drift run found dataset drift.",
                    labels=["model", "version"])
        stamp = G("ml_drift_last_run_timestamp_seconds", "When the model's latest drift run was recorded (Unix time).",
                  labels=["model", "version"])
        for run in runs:
            who = _who(run)
            if "drift_columns" in tables:
                for c in q("SELECT * FROM drift_columns WHERE run_id=? ORDER BY column_name", (run["id"],)):
                    key = [*who, c["method"], c["column_name"]]
                    if c["score"] is not None:
                        score.add_metric(key, c["score"])
                    if c["threshold"] is not None:
                        threshold.add_metric(key, c["threshold"])
                    detected.add_metric(key, float(bool(c["drifted"])))
            if run.get("drift_share") is not None:
                share.add_metric(who, run["drift_share"])
            if run.get("dataset_drift") is not None:
                dataset.add_metric(who, float(bool(run["dataset_drift"])))
            stamp.add_metric(who, float(run["created_at"]))
        return [score, threshold, detected, share, dataset, stamp]

    # ------------------------------------------------------------------ performance

    def _latest_metric_rows(self, q, tables: set) -> Dict[tuple, Dict[str, Any]]:
        """(model, metric, window, source) -> the ``ml_metrics`` row of the newest window; of
        several rows for one window (an estimate, re-estimated, then realized), the one known last."""
        if "ml_metrics" not in tables:
            return {}
        known = "COALESCE(m.known_at, ''), " if q.has("ml_metrics", "known_at") else ""
        rows = q(
            'SELECT m.model, m.version, m.metric, m."window" AS win, m.kind, m.value FROM ml_metrics m JOIN ('
            ' SELECT COALESCE(model, \'\') AS mk, metric, "window" AS win, kind, MAX(timestamp) AS ts FROM ml_metrics'
            ' WHERE value IS NOT NULL GROUP BY COALESCE(model, \'\'), metric, "window", kind) x'
            ' ON COALESCE(m.model, \'\') = x.mk AND m.metric = x.metric AND m."window" = x.win AND m.kind = x.kind'
            ' AND m.timestamp = x.ts'
            f' WHERE m.value IS NOT NULL ORDER BY {known}m.{q.insertion_order}')
        latest: Dict[tuple, Dict[str, Any]] = {}
        for r in rows:
            if self._wanted(r["model"]):
                latest[(r["model"] or "", r["metric"], r["win"], r["kind"])] = r  # known last wins
        return latest

    def _performance(self, q, tables: set) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        latest = self._latest_metric_rows(q, tables)
        runs = self._latest_runs(q, "perf")
        if not latest and not runs:
            return []
        generic = G("ml_model_metric", "Latest window's value of each performance metric, realized and estimated (source).",
                    labels=["model", "version", "metric", "window", "source"])
        accuracy = G("ml_model_accuracy_ratio", "Model accuracy in the latest window (realized, else estimated).",
                     labels=["model", "version", "window"])
        f1 = G("ml_model_f1_score_ratio", "Model F1 score in the latest window (realized, else estimated).",
               labels=["model", "version", "window"])
        for (model, metric, window, source), row in sorted(latest.items()):
            generic.add_metric([model, row["version"] or "", metric, window, source], row["value"])
        for metric, family in (("accuracy", accuracy), ("f1_score", f1)):
            for model, window in sorted({(m, w) for (m, name, w, _s) in latest if name == metric}):
                row = latest.get((model, metric, window, "realized")) or latest[(model, metric, window, "estimated")]
                family.add_metric([model, row["version"] or "", window], row["value"])
        base = G("ml_model_baseline_metric", "Each performance metric on the baseline (what drops are measured against).",
                 labels=["model", "version", "metric"])
        bound = G("ml_model_metric_threshold", "Value of a primary metric at which its drop from the baseline reaches the "
                  "tier (warning, critical): baseline x (1 - drop), or x (1 + drop) where lower is better.",
                  labels=["model", "version", "metric", "tier"])
        stamp = G("ml_perf_last_run_timestamp_seconds", "When the model's latest performance run was recorded (Unix time).",
                  labels=["model", "version"])
        for run in runs:
            who = _who(run)
            result = _json(run.get("result_json"))
            baseline = result.get("baseline") if isinstance(result.get("baseline"), dict) else {}
            values = {m: float(v) for m, v in (baseline.get("metrics") or {}).items() if _number(v)}
            for metric, value in sorted(values.items()):
                base.add_metric([*who, metric], value)
            tiers = result.get("tiers") if isinstance(result.get("tiers"), dict) else {}
            primary = [m for m in result.get("primary") or [] if isinstance(m, str) and m in values]
            for metric in primary:
                for tier, drop in sorted(tiers.items()):
                    if _number(drop):
                        bound.add_metric([*who, metric, str(tier)], value_at_drop(metric, values[metric], float(drop)))
            stamp.add_metric(who, float(run["created_at"]))
        return [generic, accuracy, f1, base, bound, stamp]

    # ------------------------------------------------------------------ experiments

    def _experiments(self, q) -> List[Any]:
        from prometheus_client.core import GaugeMetricFamily as G

        has_model = q.has("runs", "model")
        columns = "id, created_at, result_json" + (", model, version" if has_model else "")
        rows = q(f"SELECT {columns} FROM runs WHERE kind='ab' ORDER BY created_at, id")
        latest: Dict[tuple, Dict[str, Any]] = {}
        for row in rows:  # ascending: the last run of each experiment stays
            if not self._wanted(row.get("model")):
                continue
            result = _json(row["result_json"])
            name = str(result.get("experiment") or result.get("experiment_id") or "default")
            latest[(row.get("model") or "", name)] = {"run": row, "result": result}
        if not latest:
            return []
        cmp_labels = ["model", "version", "experiment", "control", "treatment", "metric"]
        lift = G("ml_experiment_lift_ratio", "Relative lift (treatment / control - 1) of the latest A/B analysis.", labels=cmp_labels)
        pvalue = G("ml_experiment_p_value", "P-value of the latest A/B comparison.", labels=cmp_labels)
        significant = G("ml_experiment_significant", "1 when the latest A/B comparison is significant.", labels=cmp_labels)
        srm = G("ml_experiment_srm_p_value", "Sample-ratio-mismatch p-value of the latest A/B analysis.",
                labels=["model", "version", "experiment"])
        verdict = G("ml_experiment_recommendation", "1 for the latest A/B analysis's recommendation.",
                    labels=["model", "version", "experiment", "recommendation"])
        stamp = G("ml_experiment_last_run_timestamp_seconds", "When the latest A/B analysis was recorded (Unix time).",
                  labels=["model", "version", "experiment"])
        for (_model, name), item in sorted(latest.items()):
            result, who = item["result"], _who(item["run"])
            for c in result.get("comparisons") or []:
                if not isinstance(c, dict):
                    continue
                key = [*who, name, str(c.get("control", "")), str(c.get("treatment", "")), str(c.get("metric", ""))]
                for family, field in ((lift, "lift"), (pvalue, "p_value")):
                    if _number(c.get(field)):
                        family.add_metric(key, float(c[field]))
                if isinstance(c.get("significant"), bool):
                    significant.add_metric(key, float(c["significant"]))
            srm_result = result.get("srm")
            if isinstance(srm_result, dict) and _number(srm_result.get("p_value")):
                srm.add_metric([*who, name], float(srm_result["p_value"]))
            if isinstance(result.get("recommendation"), str):
                verdict.add_metric([*who, name, result["recommendation"]], 1.0)
            stamp.add_metric([*who, name], float(item["run"]["created_at"]))
        return [lift, pvalue, significant, srm, verdict, stamp]

    # ------------------------------------------------------------------ alert engine

    def _alerts(self, q) -> List[Any]:
        """The alert engine's rules as ``mlmon run`` left them. ``firing`` counts a firing episode
        whether or not it was announced (a silenced or inhibited rule fires too)."""
        from prometheus_client.core import GaugeMetricFamily as G

        version = "r.version" if q.has("runs", "version") else "NULL"
        sql, params = f"SELECT a.*, {version} AS version FROM alert_state a LEFT JOIN runs r ON r.id = a.run_id", []
        if self.model_name is not None:
            sql += " WHERE a.model=?"
            params.append(self.model_name)
        labels = ["model", "version", "rule", "tier"]
        firing = G("ml_alert_firing", "1 while the alert engine's rule fires (as of the latest mlmon run).", labels=labels)
        breaches = G("ml_alert_consecutive_breaches", "Checks in a row on which the rule's condition held, up to the latest mlmon run.",
                     labels=labels)
        threshold = G("ml_alert_threshold", "The threshold the rule compares its observed value with.", labels=labels)
        since = G("ml_alert_firing_since_timestamp_seconds", "When the rule's current firing episode began (Unix time).",
                  labels=labels)
        for row in q(sql + " ORDER BY a.model, a.rule, a.tier", params):
            key = [*_who(row), str(row["rule"]), str(row["tier"])]
            firing.add_metric(key, float(bool(row["firing"])))
            breaches.add_metric(key, float(row["consecutive"]))
            if _number(row.get("threshold")):
                threshold.add_metric(key, float(row["threshold"]))
            if row["firing"] and _number(row.get("started_at")):
                since.add_metric(key, float(row["started_at"]))
        return [firing, breaches, threshold, since]


def _who(row: Dict[str, Any]) -> List[str]:
    """The ``model`` and ``version`` label values of a run or row ("" where it has none)."""
    return [str(row.get("model") or ""), str(row.get("version") or "")]


class _Query:
    """``q(sql, params)`` -> rows as dicts, on one read-only connection; ``q.tables`` names the
    tables there, ``q.has(table, column)`` says whether a column exists (an older store lacks the
    later migrations' columns), ``q.insertion_order`` is the expression ordering rows as they were
    inserted."""

    def __init__(self, conn):
        self.conn = conn
        self.tables = conn.tables()
        self._columns: Dict[str, set] = {}
        # PostgreSQL has no rowid: a row's physical position orders the rows of an append-only table
        self.insertion_order = "ctid" if conn.dialect.name == "postgresql" else "rowid"

    def __call__(self, sql: str, params=()) -> List[Dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]

    def has(self, table: str, column: str) -> bool:
        if table not in self.tables:
            return False
        if table not in self._columns:
            cursor = self.conn.execute(f"SELECT * FROM {table} WHERE 1=0")
            self._columns[table] = {d[0] for d in cursor.description}
            cursor.fetchall()
        return column in self._columns[table]


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
