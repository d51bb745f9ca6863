"""The history store on both databases: every area's methods, ``transaction()`` atomicity, the
alert-state write lock, migrations, and concurrent writers in real processes, each run once on a
SQLite file and once on a real PostgreSQL server (Debian's ``postgresql``, started for this
module on a private port and data directory; see ``postgres_server.py``).

Specifications: the same calls give the same rows on both; a transaction that raises leaves
nothing; a second writer of the alert state waits for the first one's commit; two processes
writing at once lose no row; two ``mlmon run`` jobs at once on breaching data record both runs,
count two breaches in a row and send the alert once; ``mlmon serve`` reads PostgreSQL."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import postgres_server
from mlmon.errors import MlmonError
from mlmon.store.history import LATEST_VERSION, MIGRATIONS, HistoryStore
from mlmon_testing import ROOT, run_mlmon
from receivers import HttpReceiver

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def location(request, tmp_path):
    """A new, empty store's location: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("pg").create_database()


@pytest.fixture
def store(location):
    return HistoryStore(location)


def drift_result(share, columns, path="cur.parquet", target=None):
    def col(name, score, drifted, role="feature"):
        return {"column": name, "role": role, "type": "numerical", "method": "wasserstein", "score": score,
                "threshold": 0.1, "drifted": drifted}

    return {"schema_version": 1, "reference": {"path": "ref.parquet", "rows": 100}, "current": {"path": path, "rows": 50},
            "dataset_drift": share >= 0.5, "drift_share": share, "severity": "critical" if share >= 0.5 else "healthy",
            "columns": {c[0]: col(*c) for c in columns},
            "target_drift": col(*target, role="target") if target else None, "prediction_drift": None}


def ab_result(experiment, lift, recommendation):
    return {"schema_version": 1, "experiment": experiment, "source": {"path": "events.csv", "rows": 2000},
            "srm": {"p_value": 0.4}, "recommendation": recommendation,
            "comparisons": [{"control": "A", "treatment": "B", "metric": "conversion", "control_mean": 0.1,
                             "treatment_mean": 0.1 * (1 + lift), "lift": lift, "lift_ci": [lift - 0.05, lift + 0.05],
                             "p_value": 0.01, "significant": True}]}


def state(key, consecutive, firing, updated_at):
    model, rule, tier = key.split("/")
    return {"key": key, "model": model, "rule": rule, "tier": tier, "consecutive": consecutive, "firing": firing,
            "notified": firing, "started_at": 10.0 if firing else None, "last_fired_at": None, "last_value": 0.75,
            "threshold": 0.5, "updated_at": updated_at}


# ---------------------------------------------------------------------------- every area, both databases


def test_drift_runs_and_their_columns(store):
    first = store.append_drift(drift_result(0.0, [("amount", 0.02, False)]), created_at=1000.0)
    period = {"model": "fraud", "version": "3", "period_start": "2026-03-01T00:00:00",
              "period_end": "2026-03-02T00:00:00"}
    second = store.append_drift(drift_result(0.5, [("amount", 0.34, True), ("age", 0.02, False)],
                                             target=("label", 0.2, True)), created_at=2000.0, identity=period)
    assert second > first
    assert store.drift_runs() == [
        {"id": second, "created_at": 2000.0, "reference_path": "ref.parquet", "current_path": "cur.parquet",
         "dataset_drift": 1, "drift_share": 0.5, "severity": "critical"},
        {"id": first, "created_at": 1000.0, "reference_path": "ref.parquet", "current_path": "cur.parquet",
         "dataset_drift": 0, "drift_share": 0.0, "severity": "healthy"}]
    assert store.drift_runs(limit=1)[0]["id"] == second
    scores = store.column_scores(second)
    assert sorted(scores) == ["age", "amount", "label"]
    assert scores["amount"] == {"run_id": second, "column_name": "amount", "role": "feature", "type": "numerical",
                                "method": "wasserstein", "score": 0.34, "threshold": 0.1, "drifted": 1, **period}
    assert scores["label"]["role"] == "target"
    assert store.column_scores(first)["amount"]["model"] is None  # a run by hand names no model
    stored = store.query("SELECT result_json FROM runs WHERE id=?", (second,))[0]["result_json"]
    assert json.loads(stored)["drift_share"] == 0.5


def test_performance_metrics_keep_values_and_store_nan_as_null(store):
    rows = [{"timestamp": "2026-01-01T00:00:00Z", "window_end": "2026-01-02T00:00:00Z", "model": "m", "version": "3",
             "window": "1D", "metric": "accuracy", "value": 0.9, "lower": 0.85, "upper": 0.95, "kind": "realized", "n": 400},
            {"timestamp": "2026-01-01T00:00:00Z", "window": "1D", "metric": "auc_roc", "value": float("nan"),
             "kind": "estimated"}]
    run_id = store.append_metrics({"windows": []}, rows, created_at=5.0, reference_path="ref.parquet")
    got = store.query('SELECT metric, "window", value, lower, upper, kind, n, model, version, window_end'
                      " FROM ml_metrics WHERE run_id=? ORDER BY metric", (run_id,))
    assert got == [
        {"metric": "accuracy", "window": "1D", "value": 0.9, "lower": 0.85, "upper": 0.95, "kind": "realized", "n": 400,
         "model": "m", "version": "3", "window_end": "2026-01-02T00:00:00Z"},
        {"metric": "auc_roc", "window": "1D", "value": None, "lower": None, "upper": None, "kind": "estimated", "n": None,
         "model": None, "version": None, "window_end": None}]
    assert store.query("SELECT kind, reference_path FROM runs WHERE id=?", (run_id,)) == [
        {"kind": "perf", "reference_path": "ref.parquet"}]


def test_a_metric_row_of_an_unknown_kind_is_refused_by_the_schema(store):
    with pytest.raises(Exception):
        store.append_metrics({}, [{"timestamp": "t", "window": "1D", "metric": "accuracy", "kind": "guessed"}])
    assert store.query("SELECT COUNT(*) AS n FROM runs")[0]["n"] == 0  # the run row went with it


def test_each_experiments_latest_ab_analysis(store):
    store.append_ab(ab_result("checkout", 0.02, "CONTINUE"), created_at=1.0)
    latest_checkout = store.append_ab(ab_result("checkout", 0.08, "SHIP"), created_at=2.0)
    latest_search = store.append_ab(ab_result("search", -0.05, "REVERT"), created_at=3.0)
    latest = store.latest_ab()
    assert [(r["experiment"], r["run_id"], r["lift"], r["recommendation"], r["significant"], r["created_at"]) for r in latest] == [
        ("checkout", latest_checkout, 0.08, "SHIP", 1, 2.0), ("search", latest_search, -0.05, "REVERT", 1, 3.0)]
    assert latest[0]["lift_lower"] == pytest.approx(0.03) and latest[0]["srm_p_value"] == 0.4
    assert [r["run_id"] for r in store.latest_ab("checkout")] == [latest_checkout]
    assert store.latest_ab("absent") == []
    assert [(r["experiment"], r["recommendation"]) for r in store.ab_runs()] == [
        ("search", "REVERT"), ("checkout", "SHIP"), ("checkout", "CONTINUE")]


def test_alert_state_events_and_the_outbox(store):
    run_id = store.append_scheduled({"reference": {"path": "r", "rows": 1}, "current": {"path": "c", "rows": 2},
                                     "severity": "critical"}, created_at=10.0)
    store.save_alert_state(state("churn/drift_score/critical", 1, False, 10.0), run_id)
    store.save_alert_state(state("churn/drift_score/critical", 2, True, 11.0), run_id)  # replaces, by key
    store.save_alert_state(state("churn/accuracy_drop/warning", 1, False, 11.0))
    states = store.alert_states()
    assert sorted(states) == ["churn/accuracy_drop/warning", "churn/drift_score/critical"]
    s = states["churn/drift_score/critical"]
    assert (s["consecutive"], s["firing"], s["notified"], s["updated_at"], s["run_id"], s["rule"]) == (2, 1, 1, 11.0, run_id, "drift_score")
    store.delete_alert_state("churn/accuracy_drop/warning")
    assert list(store.alert_states()) == ["churn/drift_score/critical"]

    store.append_alert_event("churn/drift_score/critical", "firing", 0.75, 0.5, 11.0, run_id)
    assert store.query("SELECT key, status, value, threshold, created_at, run_id FROM alert_events") == [
        {"key": "churn/drift_score/critical", "status": "firing", "value": 0.75, "threshold": 0.5, "created_at": 11.0,
         "run_id": run_id}]

    first = store.enqueue_notification("churn/drift_score/critical", "slack", {"status": "firing"}, 11.0, run_id)
    second = store.enqueue_notification("churn/drift_score/critical", "webhook", {"status": "firing"}, 11.0, run_id)
    assert second > first
    assert [(n["id"], n["channel"], n["payload"]) for n in store.pending_notifications()] == [
        (first, "slack", {"status": "firing"}), (second, "webhook", {"status": "firing"})]
    assert store.notified_channels() == {"churn/drift_score/critical": ["slack", "webhook"]}

    assert store.claim_notification(first, now=100.0, lease=50.0) is True
    assert store.claim_notification(first, now=120.0, lease=50.0) is False   # held until 150
    assert store.claim_notification(first, now=150.0, lease=50.0) is True    # the lease ran out
    store.mark_notification(first, sent=False, attempts=4, error="HTTP 500", at=151.0)
    assert store.claim_notification(first, now=152.0, lease=50.0) is True    # failed: released, still pending
    store.mark_notification(first, sent=True, attempts=1, error=None, at=153.0)
    assert store.claim_notification(first, now=999.0, lease=50.0) is False   # sent: never again
    assert [n["id"] for n in store.pending_notifications()] == [second]
    row = store.query("SELECT status, attempts, sent_at, claimed_until, last_error FROM notifications WHERE id=?", (first,))
    assert row == [{"status": "sent", "attempts": 5, "sent_at": 153.0, "claimed_until": None, "last_error": None}]


def test_diagnosis_runs(store):
    run_id = store.append_diagnosis({"primary_cause": "covariate_shift", "schema_version": 1}, created_at=7.0)
    assert store.query("SELECT kind, severity, created_at FROM runs WHERE id=?", (run_id,)) == [
        {"kind": "diagnose", "severity": "covariate_shift", "created_at": 7.0}]


def test_a_transaction_commits_everything_or_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.append_drift(drift_result(0.5, [("amount", 0.3, True)]), created_at=1.0)
            with store.transaction():  # nested: part of the outer one
                store.append_metrics({}, [{"timestamp": "t", "window": "1D", "metric": "accuracy", "value": 0.9,
                                           "kind": "realized"}], created_at=1.0)
            store.save_alert_state(state("m/drift_score/critical", 1, True, 1.0))
            raise RuntimeError("the run dies before its commit")
    for table in ("runs", "drift_columns", "ml_metrics", "alert_state"):
        assert store.query(f"SELECT COUNT(*) AS n FROM {table}") == [{"n": 0}], table

    with store.transaction():
        store.append_drift(drift_result(0.5, [("amount", 0.3, True)]), created_at=1.0)
        store.append_metrics({}, [{"timestamp": "t", "window": "1D", "metric": "accuracy", "value": 0.9,
                                   "kind": "realized"}], created_at=1.0)
    assert [r["kind"] for r in store.query("SELECT kind FROM runs ORDER BY id")] == ["drift", "perf"]
    assert store.query("SELECT COUNT(*) AS n FROM ml_metrics") == [{"n": 1}]


def test_the_alert_state_lock_makes_a_second_writer_wait_for_the_first_commit(location):
    events = []
    locked = threading.Event()

    def first():
        store = HistoryStore(location)
        with store.transaction():
            store.lock_alert_state()
            locked.set()
            time.sleep(1.0)
            store.save_alert_state(state("m/drift_score/critical", 1, False, 1.0))
            events.append("first commits")

    def second():
        locked.wait(10)
        store = HistoryStore(location)
        with store.transaction():
            store.lock_alert_state()
            seen = store.alert_states()
            events.append(f"second reads {len(seen)} state")
            store.save_alert_state(state("m/drift_score/critical", seen["m/drift_score/critical"]["consecutive"] + 1, True, 2.0))

    HistoryStore(location).schema_version()  # created before the race
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert events == ["first commits", "second reads 1 state"]
    assert HistoryStore(location).alert_states()["m/drift_score/critical"]["consecutive"] == 2


# ---------------------------------------------------------------------------- migrations


def test_a_new_store_is_at_the_latest_schema_version_once(store):
    assert store.schema_version() == LATEST_VERSION == MIGRATIONS[-1][0]
    store.append_diagnosis({"primary_cause": "none"})
    rows = store.query("SELECT version, description FROM schema_version ORDER BY version")
    assert [(r["version"], r["description"]) for r in rows] == [(v, d) for v, d, *_ in MIGRATIONS]


def test_a_store_newer_than_this_mlmon_is_refused_in_one_line(location, tmp_path, monkeypatch):
    store = HistoryStore(location)
    with store._connection() as conn:
        conn.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                     (LATEST_VERSION + 1, "from the future", 0.0))
    with pytest.raises(MlmonError, match=f"schema version {LATEST_VERSION + 1}, newer than this mlmon knows"):
        HistoryStore(location).append_diagnosis({"primary_cause": "none"})  # checked when a store first connects
    monkeypatch.setenv("MLMON_DB_URL", location)  # a PostgreSQL URL with a password only from the environment
    r = run_mlmon("run", "--config", _write_config(tmp_path, "http://127.0.0.1:1/hook", monkeypatch), "--date", "2026-01-01")
    assert r.code == 2 and r.err.count("\n") == 1 and "newer than this mlmon knows" in r.err


def test_a_sqlite_store_from_before_migrations_keeps_its_rows_and_gains_the_version(tmp_path):
    import sqlite3

    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # what an earlier mlmon created: the tables, no schema_version
        conn.executescript("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, created_at REAL NOT NULL,"
                           " reference_path TEXT, current_path TEXT, reference_rows INTEGER, current_rows INTEGER,"
                           " dataset_drift INTEGER, drift_share REAL, severity TEXT, result_json TEXT NOT NULL);"
                           "INSERT INTO runs (kind, created_at, result_json) VALUES ('drift', 1.0, '{}');")
    store = HistoryStore(str(db))
    assert store.schema_version() == LATEST_VERSION
    assert [r["kind"] for r in store.query("SELECT kind FROM runs")] == ["drift"]
    store.append_ab(ab_result("e", 0.1, "SHIP"))
    assert len(store.latest_ab()) == 1


# ---------------------------------------------------------------------------- concurrent processes

WRITER = """
import sys
from mlmon.store.history import HistoryStore

location, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = HistoryStore(location)
for i in range(n):
    result = {"reference": {"path": "ref", "rows": 1}, "current": {"path": f"{tag}-{i}", "rows": 1},
              "dataset_drift": False, "drift_share": 0.0, "severity": "healthy",
              "columns": {f"c{j}": {"role": "feature", "type": "numerical", "method": "ks", "score": 0.5,
                                    "threshold": 0.05, "drifted": False} for j in range(5)}}
    store.append_drift(result)
    with store.transaction():
        store.append_metrics({"tag": tag}, [{"timestamp": f"{i}", "window": "1D", "metric": m, "value": 0.5,
                                             "kind": "realized", "model": tag} for m in ("accuracy", "f1_score")],
                             current_path=f"{tag}-{i}")
"""


def test_two_writer_processes_at_once_lose_nothing(location, tmp_path):
    n = 40
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
    procs = [subprocess.Popen([sys.executable, str(script), location, tag, str(n)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    store = HistoryStore(location)
    paths = [r["current_path"] for r in store.query("SELECT current_path FROM runs WHERE kind='drift'")]
    assert sorted(paths) == sorted(f"{t}-{i}" for t in "ab" for i in range(n))
    assert store.query("SELECT COUNT(*) AS n FROM drift_columns") == [{"n": 2 * n * 5}]
    per_model = store.query("SELECT model, COUNT(*) AS n FROM ml_metrics GROUP BY model ORDER BY model")
    assert per_model == [{"model": "a", "n": 2 * n}, {"model": "b", "n": 2 * n}]
    assert store.query("SELECT COUNT(DISTINCT id) AS n FROM runs") == [{"n": 4 * n}]


def _frame(rng, n, shift):
    return pd.DataFrame({"x1": rng.normal(shift, 1, n), "x2": rng.normal(2 * shift, 1, n)})


def _write_config(folder, webhook_url, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setenv("T_HOOK", webhook_url)
    rng = np.random.default_rng(3)
    _frame(rng, 400, 0.0).to_parquet(folder / "ref.parquet")
    _frame(rng, 400, 1.5).to_parquet(folder / "cur.parquet")
    path = folder / "monitoring.yaml"
    path.write_text(f"""version: 1
model: {{name: churn, version: "1", task: binary}}
data:
  reference: {{path: ref.parquet}}
  current: {{path: cur.parquet}}
alerts:
  consecutive_failures: 1
  cooldown: 7d   # the runs are days apart in data time: a week keeps one alert quiet across them
  critical:
    conditions: {{drift_score: 0.5}}
    notify: [webhook]
notifications:
  webhook: {{url_env: T_HOOK}}
""", encoding="utf-8")
    return path


def test_two_mlmon_run_jobs_at_once_record_both_and_alert_once(location, tmp_path):
    with HttpReceiver() as hook:
        config = _write_config(tmp_path, hook.url)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"), MLMON_DB_URL=location, T_HOOK=hook.url)
        procs = [subprocess.Popen([sys.executable, "-m", "mlmon", "run", "--config", str(config), "--date", day,
                                   "--format", "json"], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for day in ("2026-01-01", "2026-01-02")]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            outs.append(json.loads(out))
        assert len(hook.requests) == 1  # one firing message: the second job saw the first one's state
    store = HistoryStore(location)
    kinds = [r["kind"] for r in store.query("SELECT kind FROM runs")]
    assert sorted(kinds) == ["drift", "drift", "scheduled", "scheduled"]
    assert store.alert_states()["churn/drift_score/critical"]["consecutive"] == 2
    assert sorted(o["alerts"][0]["consecutive"] for o in outs) == [1, 2]
    outbox = store.query("SELECT status FROM notifications")
    assert outbox == [{"status": "sent"}]


# ---------------------------------------------------------------------------- PostgreSQL through the commands


def test_mlmon_run_records_in_postgresql_named_by_mlmon_db_url_and_never_shows_the_password(pg, tmp_path, monkeypatch):
    url = pg.create_database()
    monkeypatch.setenv("MLMON_DB_URL", url)
    with HttpReceiver() as hook:
        r = run_mlmon("run", "--config", _write_config(tmp_path, hook.url, monkeypatch), "--date", "2026-01-01", "--format", "json")
        assert r.code == 0, r.err
        assert len(hook.requests) == 1
    out = r.json()
    assert out["history"] == url.replace(postgres_server.PASSWORD, "***")
    assert postgres_server.PASSWORD not in r.out + r.err
    assert not (tmp_path / ".mlmon").exists()  # nothing went to the default SQLite file
    store = HistoryStore(url)
    assert [r["id"] for r in store.query("SELECT id FROM runs WHERE kind='scheduled'")] == [out["run_id"]]
    assert store.column_scores(out["drift"]["run_id"])["x1"]["drifted"] == 1


def test_ad_hoc_commands_record_in_postgresql(pg, tmp_path, monkeypatch):
    url = pg.create_database()
    rng = np.random.default_rng(5)
    _frame(rng, 300, 0.0).to_csv(tmp_path / "ref.csv", index=False)
    _frame(rng, 300, 1.0).to_csv(tmp_path / "cur.csv", index=False)
    monkeypatch.setenv("MLMON_DB_URL", url)
    r = run_mlmon("drift", tmp_path / "ref.csv", tmp_path / "cur.csv", "--format", "json")
    assert r.code == 0, r.err
    assert not r.json().get("warnings")
    runs = HistoryStore(url).drift_runs()
    assert len(runs) == 1 and runs[0]["drift_share"] == r.json()["drift_share"]


def test_mlmon_serve_reads_postgresql(pg, tmp_path):
    from prometheus_client import generate_latest

    from mlmon.services.metrics_from_history import registry_for
    from prometheus_tools import http_get, stop_process

    url = pg.create_database()
    store = HistoryStore(url)
    store.append_drift(drift_result(0.5, [("amount", 0.34, True)]), created_at=2000.0)
    store.append_metrics({}, [{"timestamp": "2026-01-01", "window": "1D", "metric": "accuracy", "value": 0.94, "kind": "realized"},
                              {"timestamp": "2026-01-02", "window": "1D", "metric": "accuracy", "value": 0.90, "kind": "realized"}],
                         created_at=3000.0)
    store.save_alert_state(state("churn/drift_score/critical", 2, True, 3.0))
    text = generate_latest(registry_for(url)).decode()
    assert 'ml_drift_score{drift_type="wasserstein",feature="amount",model="",version=""} 0.34' in text
    assert 'ml_model_accuracy_ratio{model="",version="",window="1D"} 0.9' in text  # the newest window
    assert 'ml_alert_consecutive_breaches{model="churn",rule="drift_score",tier="critical",version=""} 2.0' in text
    assert "mlmon_history_up 1.0" in text

    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"), MLMON_DB_URL=url)
    proc = subprocess.Popen([sys.executable, "-m", "mlmon", "serve", "--config", str(ROOT / "assets" / "config.yaml"),
                             "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "history postgresql://mlmon:***@" in line and postgres_server.PASSWORD not in line, line
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert b'ml_drift_share_ratio{model="",version=""} 0.5' in http_get(f"http://127.0.0.1:{port}/metrics")
    finally:
        assert stop_process(proc) == 0


def test_serve_reports_down_when_the_server_is_unreachable(capsys):
    from prometheus_client import generate_latest

    from mlmon.services.metrics_from_history import registry_for

    text = generate_latest(registry_for("postgresql://mlmon:secret@127.0.0.1:1/h")).decode()
    assert "mlmon_history_up 0.0" in text
    err = capsys.readouterr().err
    assert "cannot read history (postgresql://mlmon:***@127.0.0.1:1/h" in err and "secret" not in err


def test_a_wrong_password_is_one_line_and_exit_2_without_the_password(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("MLMON_DB_URL", pg.url().replace(postgres_server.PASSWORD, "wrong-password"))
    r = run_mlmon("run", "--config", _write_config(tmp_path, "http://127.0.0.1:1/hook", monkeypatch), "--date", "2026-01-01")
    assert r.code == 2 and r.err.count("\n") == 1
    assert r.err.startswith("mlmon: error: cannot connect to the PostgreSQL history store: ")
    assert "password authentication failed" in r.err and "wrong-password" not in r.err


def test_nan_and_float_values_round_trip_alike(location):
    store = HistoryStore(location)
    store.append_drift(drift_result(1 / 3, [("a", math.pi, True)]), created_at=1234567890.123456)
    run = store.drift_runs()[0]
    assert run["drift_share"] == 1 / 3 and run["created_at"] == 1234567890.123456
    assert store.column_scores(run["id"])["a"]["score"] == math.pi


# ---------------------------------------------------------------------------- the same rows on both

_names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12)
_scores = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=64))


@pytest.fixture(scope="module")
def both(pg, tmp_path_factory):
    """One SQLite store and one PostgreSQL store, fed the same calls."""
    return HistoryStore(str(tmp_path_factory.mktemp("same") / "h.db")), HistoryStore(pg.create_database())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.dictionaries(_names, st.tuples(_scores, st.booleans()), min_size=1, max_size=6),
       share=st.floats(0, 1), created=st.floats(0, 4e9))
def test_any_drift_result_reads_back_the_same_from_both_databases(both, columns, share, created):
    """Invariant: SQLite and PostgreSQL hold the same rows for the same calls (NaN as NULL on both;
    any text a column name can hold, except NUL, which PostgreSQL text refuses)."""
    lite, server = both
    result = drift_result(share, [(name, score, drifted) for name, (score, drifted) in columns.items()])
    ids = [s.append_drift(result, created_at=created) for s in (lite, server)]
    assert ids[0] == ids[1]  # identities count alike
    rows = [s.column_scores(i) for s, i in zip((lite, server), ids)]
    assert rows[0] == rows[1]
    for name, (score, _drifted) in columns.items():
        expected = None if score is None or math.isnan(score) else score
        assert rows[1][name]["score"] == expected
    assert lite.drift_runs(1) == server.drift_runs(1)


def test_a_store_whose_kept_connection_died_fails_that_call_and_reconnects_for_the_next(pg):
    import psycopg

    from mlmon.store.history import StoreError

    url = pg.create_database()
    store = HistoryStore(url)
    store.append_diagnosis({"primary_cause": "none"}, created_at=1.0)
    pid = store.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
    assert store.query("SELECT pg_backend_pid() AS pid")[0]["pid"] == pid  # one connection, kept
    with psycopg.connect(pg.url(), autocommit=True) as admin:  # the server ends it (a restart, an admin)
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError):
        store.append_diagnosis({"primary_cause": "none"}, created_at=2.0)
    store.append_diagnosis({"primary_cause": "none"}, created_at=3.0)
    assert [r["created_at"] for r in store.query("SELECT created_at FROM runs ORDER BY id")] == [1.0, 3.0]
    store.close()
