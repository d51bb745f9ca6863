"""A real Prometheus (Debian's) scrapes `mlmon serve` and a FastAPI model server instrumented with
the exporter, evaluates the generated rules, and answers queries through its HTTP API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from mlmon.store.history import HistoryStore
from mlmon_testing import ROOT, run_mlmon
from prometheus_tools import free_port, http_get, query, require_binary, stop_process, wait_for
from test_serve import drift_result, metric_row, start_serve

CONFIG = ROOT / "assets" / "config.yaml"

APP = textwrap.dedent("""
    import sys
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from mlmon.exporter import MetricsExporter

    exporter = MetricsExporter("fraud-detector", "1.0.0")
    app = FastAPI()
    app.mount("/metrics", exporter.asgi_app())

    @app.get("/predict")
    @exporter.track_prediction(extract=lambda r: ("fraud" if r["fraud"] else "legit", r["p"]))
    async def predict(amount: float):
        if amount < 0:
            raise HTTPException(status_code=422, detail="negative amount")
        p = min(amount / 1000, 1.0)
        return {"fraud": p > 0.5, "p": max(p, 1 - p)}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
""")


def log(tmp_path, name):
    """A server's log file: a pipe nobody reads would block a chatty server once it fills."""
    return open(tmp_path / f"{name}.log", "w")


@pytest.fixture
def processes():
    started = []
    yield started
    for proc in reversed(started):
        stop_process(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_prometheus_scrapes_serve_and_an_instrumented_app_and_fires_generated_rules(tmp_path, processes):
    prometheus = require_binary("prometheus")
    pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")

    # batch results: the latest drift run drifted 3 of 4 features (critical 0.5 and warning 0.2 breached)
    store = HistoryStore(str(tmp_path / "history.db"))
    store.append_drift(drift_result(0.75, [("amount", "wasserstein", 0.42, 0.1, True), ("age", "wasserstein", 0.3, 0.1, True),
                                           ("country", "jensenshannon", 0.2, 0.1, True), ("device", "jensenshannon", 0.01, 0.1, False)]),
                       identity={"model": "fraud-detector", "version": "1.0.0"})
    store.append_metrics({"baseline": {"metrics": {"accuracy": 0.95}}}, [metric_row("accuracy", "1D", "2026-01-02", 0.93)],
                         identity={"model": "fraud-detector", "version": "1.0.0"})
    # another model in the same store, drifted as much: the fraud model's rules must not alert on it
    store.append_drift(drift_result(1.0, [("tenure", "ks", 0.001, 0.05, True)]), identity={"model": "churn", "version": "2"})
    serve, _host, serve_port, _path = start_serve("--config", CONFIG, "--port", 0, "--history", store.path, cwd=tmp_path)
    processes.append(serve)

    app_port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
    app = subprocess.Popen([sys.executable, "-c", APP, str(app_port)], env=env, stdout=subprocess.DEVNULL,
                           stderr=log(tmp_path, "app"))
    processes.append(app)
    base = f"http://127.0.0.1:{app_port}"
    wait_for(lambda: http_get(f"{base}/metrics/"), what="the model server")
    for amount in (100, 900, 300, 700, 50):
        http_get(f"{base}/predict?amount={amount}")
    for _ in range(2):
        with pytest.raises(Exception, match="422"):
            http_get(f"{base}/predict?amount=-1")

    # the generated rules, evaluated every second: for = 3 consecutive evaluations = 3s
    out = tmp_path / "stack"
    r = run_mlmon("generate", "prometheus-rules", "--config", CONFIG, "--out", out, "--evaluation-interval", "1s")
    assert r.code == 0, r.err
    prom_port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(out / "prometheus/rules/mlmon.rules.yml")],
        "scrape_configs": [
            {"job_name": "mlmon-serve", "static_configs": [{"targets": [f"127.0.0.1:{serve_port}"]}]},
            {"job_name": "model-server", "metrics_path": "/metrics/", "static_configs": [{"targets": [f"127.0.0.1:{app_port}"]}]},
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    prom = subprocess.Popen([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL,
                            stderr=log(tmp_path, "prometheus"))
    processes.append(prom)
    url = f"http://127.0.0.1:{prom_port}"
    wait_for(lambda: http_get(f"{url}/-/ready"), what="prometheus ready")

    ups = wait_for(lambda: (lambda v: v if len(v) == 2 and all(s["value"][1] == "1" for s in v) else None)(query(url, "up")),
                   what="both targets up")
    assert {s["metric"]["job"] for s in ups} == {"mlmon-serve", "model-server"}

    def value(expr):
        result = query(url, expr)
        return float(result[0]["value"][1]) if len(result) == 1 else None

    # from the instrumented app
    assert wait_for(lambda: value('ml_predictions_total{job="model-server", status="success", model="fraud-detector"}'),
                    what="predictions scraped") == 5
    assert value('ml_predictions_total{status="error"}') == 2
    assert value('ml_prediction_latency_seconds_count{version="1.0.0"}') == 7
    assert value('ml_prediction_confidence_count{predicted_class="fraud"}') == 2  # 900 and 700
    # from mlmon serve
    fraud = 'model="fraud-detector", version="1.0.0"'
    assert value(f'ml_drift_score{{job="mlmon-serve", {fraud}, feature="amount", drift_type="wasserstein"}}') == 0.42
    assert value(f'ml_drift_share_ratio{{job="mlmon-serve", {fraud}}}') == 0.75
    assert value('ml_drift_share_ratio{job="mlmon-serve", model="churn", version="2"}') == 1.0
    assert value(f'ml_model_accuracy_ratio{{{fraud}, window="1D"}}') == 0.93
    assert value(f'ml_model_metric{{{fraud}, metric="accuracy", window="1D", source="realized"}}') == 0.93
    assert value(f'ml_model_baseline_metric{{{fraud}, metric="accuracy"}}') == 0.95
    assert value("mlmon_history_up") == 1
    assert query(url, 'ml_drift_share_ratio{job="model-server"}') == []  # the app never set one

    # the generated drift rules fire, critical and warning, after their 3s hold
    firing = wait_for(lambda: (lambda v: v if len(v) == 2 else None)(
        query(url, 'ALERTS{alertname="MLDataDriftHigh", alertstate="firing"}')), timeout=60, what="drift alerts firing")
    assert {s["metric"]["severity"] for s in firing} == {"critical", "warning"}
    assert {s["metric"]["model"] for s in firing} == {"fraud-detector"}  # churn drifted too: not this config's model
    assert {s["metric"]["version"] for s in firing} == {"1.0.0"}  # the series' label, kept by the rule
    features = {s["metric"]["feature"] for s in query(url, 'ALERTS{alertname="MLFeatureDrifted"}')}
    assert features <= {"amount", "age", "country"} and "device" not in features
    # a 2.1% accuracy drop is under both tiers (5%, 15%): no alert
    assert query(url, 'ALERTS{alertname="MLModelPerformanceDrop"}') == []

    assert stop_process(serve) == 0  # SIGTERM: a clean stop


class _Receiver:
    """A local webhook receiver standing in for Slack: records every POST."""

    def __init__(self):
        import http.server
        import threading

        posts = self.posts = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _post_alerts(url, alerts):
    import urllib.request

    request = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_alertmanager_inhibits_warnings_and_delivers_to_slack_with_the_secret_from_a_file(tmp_path, processes):
    alertmanager = require_binary("prometheus-alertmanager")
    receiver = _Receiver()
    try:
        # pagerduty off: the critical tier then notifies Slack only, read from the secret file
        text = CONFIG.read_text().replace("  pagerduty:\n    enabled: true", "  pagerduty:\n    enabled: false")
        (tmp_path / "monitoring.yaml").write_text(text)
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        (secrets / "slack_webhook_url").write_text(f"{receiver.url}/services/T000/B000/XXXX")
        out = tmp_path / "stack"
        r = run_mlmon("generate", "alertmanager", "--config", tmp_path / "monitoring.yaml", "--out", out,
                      "--secrets-dir", secrets)
        assert r.code == 0, r.err
        assert receiver.url not in (out / "alertmanager/alertmanager.yml").read_text()

        port = free_port()
        am = subprocess.Popen([alertmanager, f"--config.file={out / 'alertmanager/alertmanager.yml'}",
                               f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
                               "--cluster.listen-address="], stdout=subprocess.DEVNULL,
                              stderr=log(tmp_path, "alertmanager"))
        processes.append(am)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(f"{url}/-/ready"), what="alertmanager ready")
        labels = {"alertname": "MLDataDriftHigh", "model": "fraud-detector", "condition": "drift_score"}
        annotations = {"summary": "75% of the features drifted", "threshold": "0.5"}
        _post_alerts(url, [{"labels": {**labels, "severity": "critical"}, "annotations": annotations},
                           {"labels": {**labels, "severity": "warning"}, "annotations": {**annotations, "threshold": "0.2"}},
                           {"labels": {**labels, "alertname": "MLPredictionErrorRateHigh", "severity": "warning"}}])

        def states():
            alerts = json.loads(http_get(f"{url}/api/v2/alerts"))
            return {(a["labels"]["alertname"], a["labels"]["severity"]): a["status"] for a in alerts} if len(alerts) == 3 else None

        status = wait_for(states, what="alerts received")
        assert status[("MLDataDriftHigh", "warning")]["state"] == "suppressed"
        assert status[("MLDataDriftHigh", "warning")]["inhibitedBy"]  # by the critical of the same alert and model
        assert status[("MLDataDriftHigh", "critical")]["state"] == "active"
        assert status[("MLPredictionErrorRateHigh", "warning")]["state"] == "active"  # no critical of its own

        # the critical route waits 10s (group_wait), then posts to the URL read from the secret file
        path, payload = wait_for(lambda: receiver.posts[0] if receiver.posts else None, timeout=40, what="the Slack post")
        assert path == "/services/T000/B000/XXXX"
        assert payload["channel"] == "#ml-alerts"
        (attachment,) = payload["attachments"]
        assert attachment["title"] == "[FIRING] MLDataDriftHigh (critical)"
        assert attachment["text"].strip() == "75% of the features drifted (threshold 0.5)"
    finally:
        receiver.close()
