"""``mlmon run``, the scheduled job, end to end on real files, a real history database, local
HTTP receivers (Slack, PagerDuty, an Alertmanager webhook) and a local SMTP server.

Specifications: two runs on breaching data notify once (cooldown), a third on recovered data
sends one resolved message per channel; a receiver that fails on one run gets the alert on the
next; a run that fails before its commit leaves nothing of itself in the history; exit codes
0 / 1 (--fail-on) / 2 (input) / 3 (undelivered)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from mlmon.services.config import model as config_model
from mlmon.services import notify, scheduled
from mlmon.store.history import HistoryStore
from mlmon_testing import run_mlmon
from receivers import HttpReceiver, Reply, SmtpReceiver

BREACH_1, BREACH_2, RECOVERED = "2026-01-01", "2026-01-02", "2026-01-03"
FAIL = Reply(500, {"Retry-After": "0"}, "down")  # Retry-After 0: the retries cost no test time
TABLES = ("runs", "drift_columns", "ml_metrics", "alert_state", "alert_events", "notifications")


def frame(rng, n, day, shift=0.0, accuracy=0.9):
    label = rng.integers(0, 2, n)
    right = rng.random(n) < accuracy
    pred = np.where(right, label, 1 - label)
    return pd.DataFrame({
        "x1": rng.normal(shift, 1, n), "x2": rng.normal(2 * shift, 1, n), "x3": rng.normal(10 + 3 * shift, 2, n),
        "segment": rng.choice(["a", "b", "c"], n),
        "label": label, "pred": pred,
        "ts": pd.Timestamp(day, tz="UTC") + pd.to_timedelta(rng.integers(0, 86_399, n), unit="s"),
    })


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(7)
    ref = frame(rng, 600, "2025-12-01")
    ref.to_parquet(tmp_path / "ref.parquet")
    (tmp_path / "cur").mkdir()
    frame(rng, 600, BREACH_1, shift=1.5).to_parquet(tmp_path / "cur" / "20260101.parquet")
    frame(rng, 600, BREACH_2, shift=1.5).to_parquet(tmp_path / "cur" / "20260102.parquet")
    recovered = ref.copy()  # the reference itself: no drift at all
    recovered["ts"] = recovered["ts"] + pd.Timedelta(days=33)
    recovered.to_parquet(tmp_path / "cur" / "20260103.parquet")
    frame(rng, 600, "2026-01-04", accuracy=0.6).to_parquet(tmp_path / "cur" / "20260104.parquet")
    return tmp_path


def write_config(path, pd_url, smtp_port, *, consecutive=1, tiers=None, cooldown="7d", resolve_after=1):
    """The runs below are days apart in data time: a cooldown of a week keeps one alert quiet
    across them unless a test says otherwise."""
    tiers = tiers or """  critical:
    conditions: {drift_score: 0.5}
    notify: [pagerduty, slack, webhook]
  info:
    conditions: {feature_distribution_shift: true}
    notify: [email]
"""
    path.write_text(f"""version: 1
model: {{name: churn, version: "3", task: binary}}
data:
  reference: {{path: ref.parquet}}
  current: {{path: "cur/{{date}}.parquet", date_format: "%Y%m%d"}}
  columns: {{target: label, prediction: pred, timestamp: ts, categorical: [segment]}}
performance:
  classification: {{primary: [accuracy, f1_score]}}
alerts:
  consecutive_failures: {consecutive}
  cooldown: {cooldown}
  resolve_after: {resolve_after}
{tiers}notifications:
  slack: {{webhook_url_env: T_SLACK, channel: "#ml"}}
  pagerduty: {{routing_key_env: T_PD, events_url: "{pd_url}"}}
  webhook: {{url_env: T_AM}}
  email: {{smtp_host: 127.0.0.1, smtp_port: {smtp_port}, use_tls: false, sender: mlmon@example.com,
          recipients: [oncall@example.com]}}
""", encoding="utf-8")
    return path


class Receivers:
    def __init__(self, monkeypatch, slack=(), pagerduty=(), webhook=()):
        self.slack, self.pd, self.am = HttpReceiver(*slack), HttpReceiver(*pagerduty), HttpReceiver(*webhook)
        self.smtp = SmtpReceiver()
        for r in (self.slack, self.pd, self.am, self.smtp):
            r.__enter__()
        monkeypatch.setenv("T_SLACK", self.slack.url)
        monkeypatch.setenv("T_PD", "routing-key-1")
        monkeypatch.setenv("T_AM", self.am.url)

    def close(self):
        for r in (self.slack, self.pd, self.am, self.smtp):
            r.__exit__(None, None, None)

    def counts(self):
        return {"slack": len(self.slack.requests), "pagerduty": len(self.pd.requests),
                "webhook": len(self.am.requests), "email": len(self.smtp.messages)}


@pytest.fixture
def rx(monkeypatch):
    made = []

    def make(**script):
        r = Receivers(monkeypatch, **script)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def run(config, date, *extra):
    return run_mlmon("run", "--config", config, "--date", date, "--format", "json", *extra)


def rows(db, table):
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]


# ---------------------------------------------------------------------------- the specification


def test_two_breaching_runs_notify_once_and_recovery_resolves_once(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    db = data / "h.db"

    first = run(cfg, BREACH_1, "--history", db)
    assert first.code == 0, first.err
    out = first.json()
    assert out["severity"] == "critical" and out["breached_tiers"] == ["critical", "info"]
    assert out["drift"]["drift_share"] == 0.75 and out["drift"]["drifted"] == ["x1", "x2", "x3"]
    drift_alert = next(a for a in out["alerts"] if a["key"] == "churn/drift_score/critical")
    assert (drift_alert["status"], drift_alert["value"], drift_alert["threshold"], drift_alert["message"]) == (
        "firing", 0.75, 0.5, "firing")
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}
    assert [n["status"] for n in out["notifications"]] == ["sent"] * 4 and out["undelivered"] == 0

    second = run(cfg, BREACH_2, "--history", db)
    assert second.code == 0, second.err
    assert second.json()["notifications"] == []
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}  # the cooldown holds

    third = run(cfg, RECOVERED, "--history", db)
    assert third.code == 0, third.err
    assert third.json()["severity"] == "healthy"
    assert r.counts() == {"slack": 2, "pagerduty": 2, "webhook": 2, "email": 2}

    trigger, resolve = r.pd.bodies
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == "churn/drift_score/critical"
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["custom_details"]["value"] == 0.75
    assert trigger["routing_key"] == "routing-key-1"
    assert resolve == {"routing_key": "routing-key-1", "event_action": "resolve", "dedup_key": "churn/drift_score/critical"}
    assert [b["status"] for b in r.am.bodies] == ["firing", "resolved"]
    assert r.am.bodies[0]["alerts"][0]["labels"] == {"alertname": "MlmonDriftScore", "model": "churn",
                                                     "severity": "critical", "condition": "drift_score",
                                                     "version": "3"}
    assert r.am.bodies[0]["alerts"][0]["fingerprint"] == r.am.bodies[1]["alerts"][0]["fingerprint"]
    assert r.slack.bodies[0]["channel"] == "#ml" and r.slack.bodies[1]["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: RESOLVED [CRITICAL] churn: drift_score")
    assert [m["Subject"].strip() for _, _, m in r.smtp.messages] == [  # a long subject is folded
        "[INFO] churn: feature_distribution_shift (drifted: x1, x2, x3)",
        "[INFO] churn: feature_distribution_shift resolved (no feature drifted)"]

    # what the history holds: three scheduled runs, each with its drift and performance run
    kinds = [x["kind"] for x in rows(db, "runs")]
    assert kinds.count("scheduled") == kinds.count("drift") == kinds.count("perf") == 3
    state = {s["key"]: s for s in rows(db, "alert_state")}
    assert (state["churn/drift_score/critical"]["firing"], state["churn/drift_score/critical"]["consecutive"]) == (0, 0)
    events = [(e["key"], e["status"]) for e in rows(db, "alert_events")]
    assert events == [("churn/drift_score/critical", "firing"), ("churn/feature_distribution_shift/info", "firing"),
                      ("churn/drift_score/critical", "resolved"), ("churn/feature_distribution_shift/info", "resolved")]
    outbox = rows(db, "notifications")
    assert len(outbox) == 8 and {n["status"] for n in outbox} == {"sent"} and {n["attempts"] for n in outbox} == {1}


def test_consecutive_failures_survive_between_runs(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, consecutive=2)
    assert run(cfg, BREACH_1).json()["alerts"][0]["status"] == "pending"
    assert r.counts()["pagerduty"] == 0
    second = run(cfg, BREACH_2).json()
    assert (second["alerts"][0]["status"], second["alerts"][0]["consecutive"]) == ("firing", 2)
    assert r.counts()["pagerduty"] == 1
    assert HistoryStore().alert_states()["churn/drift_score/critical"]["firing"] == 1  # default .mlmon/history.db


def test_a_receiver_that_fails_on_one_run_gets_the_alert_on_the_next(data, rx):
    r = rx(slack=[FAIL, FAIL, FAIL, FAIL, Reply(200)])
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    first = run(cfg, BREACH_1)
    assert first.code == 3, first.err  # undelivered, kept for the next run
    # a cron job sees more than the exit code: one line saying how many, where and why
    assert first.err.splitlines()[-1] == (
        "mlmon: 1 notification undelivered (slack: HTTP 500 Internal Server Error from 127.0.0.1: down; "
        "gave up after 4 attempts); kept in the outbox, the next run retries it")
    by_channel = {n["channel"]: n for n in first.json()["notifications"]}
    assert by_channel["slack"]["status"] == "pending" and by_channel["slack"]["attempts"] == 4
    assert by_channel["slack"]["error"] == "HTTP 500 Internal Server Error from 127.0.0.1: down; gave up after 4 attempts"
    # one failing channel does not stop the others
    assert {c: n["status"] for c, n in by_channel.items() if c != "slack"} == {
        "pagerduty": "sent", "webhook": "sent", "email": "sent"}
    assert first.json()["undelivered"] == 1

    second = run(cfg, BREACH_2)
    assert second.code == 0, second.err
    (retried,) = second.json()["notifications"]
    assert (retried["channel"], retried["message"], retried["status"], retried["total_attempts"]) == (
        "slack", "firing", "sent", 5)
    assert retried["run_id"] == first.json()["run_id"]  # the first run's message, not a new one
    assert r.counts() == {"slack": 5, "pagerduty": 1, "webhook": 1, "email": 1}
    assert r.slack.bodies[-1]["blocks"][0]["text"]["text"] == ":red_circle: [CRITICAL] churn: drift_score"


def test_a_resolved_message_waits_behind_its_undelivered_firing(data, rx):
    r = rx(pagerduty=[Reply(400, body="Invalid routing key")])
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    assert run(cfg, BREACH_1).code == 3
    third = run(cfg, RECOVERED)
    assert third.code == 3
    pd_rows = [n for n in third.json()["notifications"] if n["channel"] == "pagerduty"]
    assert [(n["message"], n["status"], n["attempts"]) for n in pd_rows] == [
        ("firing", "pending", 1), ("resolved", "pending", 0)]  # a 4xx is not retried within the run
    assert pd_rows[1]["error"] == "waiting for an earlier message of this alert"
    assert [b["event_action"] for b in r.pd.bodies] == ["trigger", "trigger"]  # never a resolve before its trigger


def test_a_channel_down_is_not_hammered_for_every_message_in_one_run(data, rx):
    r = rx(slack=[FAIL])
    tiers = """  critical:
    conditions: {drift_score: 0.5}
    notify: [slack]
  info:
    conditions: {feature_distribution_shift: true}
    notify: [slack]
"""
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers)
    res = run(cfg, BREACH_1)
    assert res.code == 3
    first, second = res.json()["notifications"]
    assert (first["attempts"], second["attempts"]) == (4, 0)
    assert second["error"] == "channel failed earlier in this run: " + first["error"]
    assert len(r.slack.requests) == 4


def test_a_missing_secret_is_reported_for_its_channel_and_kept(data, rx, monkeypatch):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    monkeypatch.delenv("T_SLACK")
    res = run(cfg, BREACH_1)
    assert res.code == 3
    slack = next(n for n in res.json()["notifications"] if n["channel"] == "slack")
    assert (slack["status"], slack["error"]) == (
        "pending", "environment variable T_SLACK is not set (notifications.slack.webhook_url_env)")
    assert r.counts() == {"slack": 0, "pagerduty": 1, "webhook": 1, "email": 1}
    md = run_mlmon("run", "--config", cfg, "--date", BREACH_2)
    assert md.code == 3
    assert "- slack: firing `churn/drift_score/critical`: pending (environment variable T_SLACK is not set" in md.out
    assert "**1 notification(s) not delivered**: kept in the outbox, retried by the next run." in md.out


# ---------------------------------------------------------------------------- one transaction per run


def test_a_run_that_fails_before_its_commit_leaves_nothing_behind(data, rx, monkeypatch):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    db = data / "h.db"

    def boom(*a, **k):
        raise RuntimeError("disk pulled out mid-run")

    with monkeypatch.context() as m:
        m.setattr(HistoryStore, "enqueue_notification", boom)  # after drift, perf, run and state rows
        res = run(cfg, BREACH_1, "--history", db)
    assert res.code == 2 and "internal error: RuntimeError: disk pulled out mid-run" in res.err
    assert {t: rows(db, t) for t in TABLES} == {t: [] for t in TABLES}
    assert r.counts() == {"slack": 0, "pagerduty": 0, "webhook": 0, "email": 0}

    again = run(cfg, BREACH_1, "--history", db)
    assert again.code == 0, again.err
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}


def test_a_run_that_dies_after_its_commit_sends_its_messages_on_the_next_run(data, rx, monkeypatch):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)

    def dies(*a, **k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(scheduled, "deliver_pending", dies)
        assert run(cfg, BREACH_1).code == 130
    pending = HistoryStore().pending_notifications()
    assert sorted(n["channel"] for n in pending) == ["email", "pagerduty", "slack", "webhook"]
    res = run(cfg, BREACH_2)
    assert res.code == 0
    assert [n["run_id"] for n in res.json()["notifications"]] == [pending[0]["run_id"]] * 4
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}


def test_dry_run_records_nothing_and_sends_nothing(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    db = data / "h.db"
    res = run(cfg, BREACH_1, "--history", db, "--dry-run")
    assert res.code == 0
    out = res.json()
    assert out["dry_run"] is True and out["run_id"] is None
    assert sorted(n["channel"] for n in out["notifications"]) == ["email", "pagerduty", "slack", "webhook"]
    assert {n["status"] for n in out["notifications"]} == {"not sent (dry run)"}
    assert not db.exists() or all(rows(db, t) == [] for t in TABLES)
    assert r.counts() == {"slack": 0, "pagerduty": 0, "webhook": 0, "email": 0}


# ---------------------------------------------------------------------------- performance and traffic


def test_an_accuracy_drop_from_the_performance_service_fires(data, rx):
    r = rx()
    tiers = """  critical:
    conditions: {accuracy_drop: 0.15}
    notify: [webhook]
"""
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers)
    res = run(cfg, "2026-01-04")
    assert res.code == 0, res.err
    out = res.json()
    (alert,) = out["alerts"]
    assert alert["status"] == "firing" and alert["threshold"] == 0.15
    perf = out["performance"]
    base, latest = perf["baseline"], perf["latest_window"]["metrics"]
    worst = max((base[m] - latest[m]) / base[m] for m in ("accuracy", "f1_score"))
    assert alert["value"] == pytest.approx(worst, abs=1e-12) and alert["value"] > 0.15
    assert perf["latest_window"]["start"].startswith("2026-01-04")
    assert r.am.bodies[0]["alerts"][0]["labels"]["alertname"] == "MlmonAccuracyDrop"
    assert rows("./.mlmon/history.db", "ml_metrics")  # the windows' metrics are recorded


def test_performance_is_skipped_when_the_data_has_no_target(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    pd.read_parquet(data / "cur" / "20260103.parquet").drop(columns=["label"]).to_parquet(data / "cur" / "20260105.parquet")
    out = run(cfg, "2026-01-05").json()
    assert out["performance"] == {"run_id": None, "skipped": "performance skipped: the current data has no target column 'label'"}
    assert out["observations"]["accuracy_drop"] == {"value": None, "detail": "no performance result"}


def test_traffic_pattern_change_against_the_median_of_recent_runs(data, rx):
    r = rx()
    tiers = """  info:
    conditions: {traffic_pattern_change: true}
    notify: [webhook]
"""
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers)
    for day in (BREACH_1, BREACH_2, RECOVERED):  # 600 rows each: the baseline
        assert run(cfg, day).json()["observations"]["traffic_pattern_change"]["value"] is None
    rng = np.random.default_rng(3)
    frame(rng, 200, "2026-01-06").to_parquet(data / "cur" / "20260106.parquet")
    out = run(cfg, "2026-01-06").json()
    # |200 - 600| / 600
    assert out["observations"]["traffic_pattern_change"] == {
        "value": pytest.approx(2 / 3, abs=1e-12), "detail": "200 rows vs median 600 of the last 3 runs"}
    assert out["alerts"][0]["status"] == "firing" and len(r.am.requests) == 1


# ---------------------------------------------------------------------------- exit codes and errors


def test_fail_on_critical_exits_1_and_fail_on_warning_includes_critical(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    assert run(cfg, BREACH_1, "--dry-run", "--fail-on", "critical").code == 1
    assert run(cfg, BREACH_1, "--dry-run", "--fail-on", "warning").code == 1
    assert run(cfg, RECOVERED, "--dry-run", "--fail-on", "critical").code == 0


def test_markdown_report(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    res = run_mlmon("run", "--config", cfg, "--date", BREACH_1)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == "# Scheduled check of churn for 2026-01-01: critical"
    assert "| drift_score (critical) | 0.7500 | drift_score > 0.5 | 1 | firing (message to pagerduty, slack, webhook) |" in lines
    assert "| feature_distribution_shift (info) | 3.0000 | any feature drifted | 1 | firing (message to email) |" in lines
    assert "- pagerduty: firing `churn/drift_score/critical`: sent after 1 attempt" in lines


@pytest.mark.parametrize("args, message", [
    (["--date", "2026-13-01"], "mlmon: error: not a date: '2026-13-01' (--date); write it as YYYY-MM-DD"),
    (["--date", "2026-02-01"], "mlmon: error: file not found (current {root}/cur/20260201.parquet); check the path"),
])
def test_input_errors_exit_2_with_one_line(data, rx, args, message):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    res = run_mlmon("run", "--config", cfg, *args)
    assert (res.code, res.out) == (2, "")
    assert res.err.strip() == message.format(root=data)


def test_an_invalid_config_exits_2(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    cfg.write_text(cfg.read_text().replace("consecutive_failures: 1", "consecutive_failures: 0"))
    res = run_mlmon("run", "--config", cfg)
    assert res.code == 2 and res.err.startswith("mlmon: error: invalid monitoring config: alerts.consecutive_failures")
    assert len(res.err.strip().splitlines()) == 1


def test_an_unreachable_server_history_is_one_line_with_what_to_do_and_nothing_is_sent(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    cfg.write_text(cfg.read_text() + "storage: {history_url: postgresql://mlmon@127.0.0.1:1/mlmon}\n")  # nothing listens on port 1
    res = run_mlmon("run", "--config", cfg, "--date", BREACH_1)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1
    assert res.err.startswith("mlmon: error: cannot connect to the PostgreSQL history store: ")
    assert res.err.strip().endswith("(postgresql://mlmon@127.0.0.1:1/mlmon); check that the server is up and the URL "
                                    "(storage.history_url, MLMON_DB_URL) is right")
    assert r.counts() == {"slack": 0, "pagerduty": 0, "webhook": 0, "email": 0}


def test_history_path_from_the_config_is_relative_to_the_config(data, rx, monkeypatch):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    cfg.write_text(cfg.read_text() + "storage: {history_url: \"sqlite:///state/h.db\"}\n")
    (data / "elsewhere").mkdir()
    monkeypatch.chdir(data / "elsewhere")
    out = run(cfg, BREACH_1).json()
    assert out["history"] == str(data / "state" / "h.db") and (data / "state" / "h.db").exists()


def test_two_runs_at_once_decide_one_after_the_other(data, rx, monkeypatch):
    """Each run reads the alert state under the write lock: the second sees the first's firing
    and stays quiet, even when both finished their statistics before either decided."""
    import threading

    from mlmon.services import alerting

    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    slow = alerting.evaluate

    def evaluate(*a, **k):  # widen the window between reading the state and writing it
        out = slow(*a, **k)
        threading.Event().wait(0.3)
        return out

    monkeypatch.setattr(alerting, "evaluate", evaluate)
    env = {"T_SLACK": r.slack.url, "T_PD": "k", "T_AM": r.am.url}
    results = []

    def one(day):
        settings = scheduled.RunSettings(config_path=str(cfg), date=scheduled.parse_date(day),
                                         history=str(data / "h.db"), env=env)
        results.append(scheduled.run_scheduled(settings))

    threads = [threading.Thread(target=one, args=(d,)) for d in (BREACH_1, BREACH_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    # whichever run delivers them, each message goes out once
    assert sum(len(x["notifications"]) for x in results) == 4
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}


def test_a_message_another_run_is_delivering_is_left_to_it_until_its_claim_expires(tmp_path):
    store = HistoryStore(str(tmp_path / "h.db"))
    first = store.enqueue_notification("m/drift_score/critical", "webhook", {"status": "firing"}, 0.0)
    later = store.enqueue_notification("m/drift_score/critical", "webhook", {"status": "resolved"}, 1.0)
    assert store.claim_notification(first, now=100.0, lease=scheduled.CLAIM_LEASE)  # another run holds it
    config = config_model.from_dict({"notifications": {"webhook": {"url_env": "AM"}}})
    sent = []

    def fake_deliver(channel, conf, event, env, policy):
        sent.append(event["status"])
        return notify.Delivery(True, 1)

    import unittest.mock as mock

    with mock.patch.object(notify, "deliver", fake_deliver):
        report = scheduled.deliver_pending(store, config, {}, None, lambda: 200.0)
        # the claimed one is skipped, the later one waits behind it
        assert [(n["id"], n["status"], n["error"]) for n in report] == [
            (later, "pending", "waiting for an earlier message of this alert")]
        assert sent == []
        report = scheduled.deliver_pending(store, config, {}, None, lambda: 100.0 + scheduled.CLAIM_LEASE)
    assert [(n["id"], n["status"]) for n in report] == [(first, "sent"), (later, "sent")]
    assert sent == ["firing", "resolved"]


def test_a_history_store_that_cannot_be_written_is_an_input_error_and_nothing_is_sent(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    (data / "a-directory.db").mkdir()
    res = run_mlmon("run", "--config", cfg, "--date", BREACH_1, "--history", data / "a-directory.db")
    assert (res.code, res.out) == (2, "")
    assert res.err.strip() == (
        f"mlmon: error: cannot record the run in the history store: unable to open database file "
        f"({data / 'a-directory.db'}); pass --history PATH to a writable SQLite file; nothing of this run was "
        "recorded or sent")
    assert r.counts() == {"slack": 0, "pagerduty": 0, "webhook": 0, "email": 0}


def test_as_a_real_process_exit_3_and_a_clean_stderr(data, rx, monkeypatch):
    from mlmon_testing import run_mlmon_process

    r = rx(webhook=[FAIL])
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    res = run_mlmon_process("run", "--config", cfg, "--date", BREACH_1, "--format", "json", cwd=data)
    # no traceback, no noise: the one line saying what was not delivered and why
    assert res.code == 3 and res.err.count("\n") == 1, res.err
    assert res.err.startswith("mlmon: 1 notification undelivered (webhook: HTTP 500 Internal Server Error from 127.0.0.1")
    assert res.err.endswith("); kept in the outbox, the next run retries it\n")
    assert {n["channel"]: n["status"] for n in res.json()["notifications"]} == {
        "pagerduty": "sent", "slack": "sent", "webhook": "pending", "email": "sent"}


def test_a_firing_rule_removed_from_the_config_is_resolved_where_it_was_announced(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    assert run(cfg, BREACH_1).code == 0
    assert r.counts() == {"slack": 1, "pagerduty": 1, "webhook": 1, "email": 1}
    cfg.write_text(cfg.read_text().replace("conditions: {drift_score: 0.5}", "conditions: {drift_score: 0.9}")
                   .replace("  info:\n    conditions: {feature_distribution_shift: true}\n    notify: [email]\n", ""))
    out = run(cfg, BREACH_2).json()
    retired = next(a for a in out["alerts"] if a["status"] == "retired")
    assert retired["key"] == "churn/feature_distribution_shift/info"
    assert [(n["channel"], n["message"], n["status"]) for n in out["notifications"]] == [
        ("pagerduty", "resolved", "sent"), ("slack", "resolved", "sent"), ("webhook", "resolved", "sent"),
        ("email", "resolved", "sent")]
    # drift_score/critical kept its key with a new threshold: 0.75 is no longer above 0.9, so it resolves
    assert r.pd.bodies[-1] == {"routing_key": "routing-key-1", "event_action": "resolve",
                               "dedup_key": "churn/drift_score/critical"}
    assert r.smtp.messages[-1][2]["Subject"].strip() == (
        "[INFO] churn: feature_distribution_shift resolved (rule removed from the config)")
    assert "churn/feature_distribution_shift/info" not in HistoryStore().alert_states()
    assert run(cfg, BREACH_2).json()["notifications"] == []  # retired once, not every run


# ---------------------------------------------------------------------------- data time


def test_a_30_day_backfill_re_announces_a_persisting_alert_once_per_day_of_data(tmp_path, rx):
    """``--date`` runs step the alerts on data time (the end of each day): thirty daily runs made
    in a few seconds with a 1d cooldown send what thirty real days would have, one message a day,
    not one in total. What the store says about the run itself stays wall time."""
    import time

    rng = np.random.default_rng(11)
    frame(rng, 300, "2025-12-01").to_parquet(tmp_path / "ref.parquet")
    (tmp_path / "cur").mkdir()
    days = pd.date_range("2026-01-01", periods=30, freq="D")
    for day in days:
        frame(rng, 300, day.strftime("%Y-%m-%d"), shift=1.5).to_parquet(tmp_path / "cur" / f"{day:%Y%m%d}.parquet")
    r = rx()
    tiers = """  critical:
    conditions: {drift_score: 0.5}
    notify: [webhook]
"""
    cfg = write_config(tmp_path / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers, cooldown="1d")
    db = tmp_path / "h.db"
    started = time.time()
    for day in days:
        res = run(cfg, f"{day:%Y-%m-%d}", "--history", db)
        assert res.code == 0, res.err
    finished = time.time()

    alerts = [b["alerts"][0] for b in r.am.bodies]
    assert len(alerts) == 30  # one per day of data
    assert [b["status"] for b in r.am.bodies] == ["firing"] * 30
    # the episode began at the end of the first day of data, and every reminder says so
    assert {a["startsAt"] for a in alerts} == {"2026-01-02T00:00:00Z"}
    (state,) = rows(db, "alert_state")
    assert state["started_at"] == scheduled.data_time(days[0].date())
    assert state["last_fired_at"] == scheduled.data_time(days[-1].date())
    assert state["last_fired_at"] - state["started_at"] == 29 * 86400
    # rows about the runs and the deliveries are wall time
    assert all(started <= x["created_at"] <= finished for x in rows(db, "runs"))
    outbox = rows(db, "notifications")
    assert len(outbox) == 30 and all(started <= n["sent_at"] <= finished for n in outbox)
    assert [n["payload_json"].count('"repeat": true') for n in outbox] == [0] + [1] * 29


def test_a_backfill_with_a_cooldown_longer_than_a_day_reminds_once_per_cooldown(data, rx):
    r = rx()
    tiers = """  critical:
    conditions: {drift_score: 0.5}
    notify: [webhook]
"""
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers, cooldown="2d")
    pd.read_parquet(data / "cur" / "20260102.parquet").to_parquet(data / "cur" / "20260103.parquet")
    for day in (BREACH_1, BREACH_2, "2026-01-03"):
        assert run(cfg, day).code == 0
    # day 1 fires; day 2 is inside the 2-day cooldown; day 3 is 2 days of data later: a reminder
    assert [(b["status"], b["alerts"][0]["startsAt"]) for b in r.am.bodies] == [
        ("firing", "2026-01-02T00:00:00Z"), ("firing", "2026-01-02T00:00:00Z")]
    assert len(r.am.bodies) == 2


def test_resolve_after_holds_a_firing_alert_through_one_clean_day(data, rx):
    r = rx()
    tiers = """  critical:
    conditions: {drift_score: 0.5}
    notify: [webhook]
"""
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, tiers=tiers, resolve_after=2)
    pd.read_parquet(data / "cur" / "20260103.parquet").to_parquet(data / "cur" / "20260105.parquet")
    assert run(cfg, BREACH_1).json()["alerts"][0]["status"] == "firing"
    clean = run(cfg, RECOVERED).json()
    assert (clean["alerts"][0]["status"], clean["alerts"][0]["clean"], clean["notifications"]) == ("clearing", 1, [])
    assert clean["severity"] == "healthy"  # a clean check is no breach, whatever the alert's state
    resolved = run(cfg, "2026-01-05").json()
    assert resolved["alerts"][0]["status"] == "resolved"
    assert [b["status"] for b in r.am.bodies] == ["firing", "resolved"]
    assert r.am.bodies[1]["alerts"][0]["endsAt"] == "2026-01-06T00:00:00Z"


def _small_day(tmp_path, rng, day, shift=0.0):
    frame(rng, 150, day, shift=shift).to_parquet(tmp_path / "cur" / f"{day.replace('-', '')}.parquet")


def test_the_scheduled_check_uses_thresholds_calibrated_at_the_days_size(data, rx):
    # a 150-row day against the 600-row reference: calibration serves it, and every feature's
    # threshold says it was calibrated (mlmon run calibrates unless drift.calibration turns it off)
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    _small_day(data, np.random.default_rng(3), "2026-01-05")
    out = run(cfg, "2026-01-05", "--dry-run").json()
    assert set(out["drift"]["threshold_sources"].values()) == {"calibrated"}
    assert out["drift"]["calibration"]["false_alarm_rate"] == 0.01
    # the same day with calibration off: each test's default threshold, as the two-file check
    text = cfg.read_text().replace("alerts:\n", "drift:\n  calibration: {enabled: false}\nalerts:\n", 1)
    cfg.write_text(text)
    off = run(cfg, "2026-01-05", "--dry-run").json()
    assert set(off["drift"]["threshold_sources"].values()) == {"default"} and off["drift"]["calibration"] is None


def test_a_day_too_large_to_calibrate_falls_back_to_default_thresholds_with_a_warning(data, rx):
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    out = run(cfg, BREACH_1, "--dry-run").json()  # 600 current rows against a 600-row reference
    assert set(out["drift"]["threshold_sources"].values()) == {"default"}
    assert any(w.startswith("calibration skipped for") for w in out["warnings"])
