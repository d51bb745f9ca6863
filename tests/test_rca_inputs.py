"""Inputs of ``mlmon diagnose``: infrastructure files, change events, the Prometheus query API,
and every bad input as one error line with exit code 2."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError
from mlmon.io.infra import query_prometheus, read_events, read_infra
from mlmon_testing import run_mlmon, run_mlmon_process


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# ------------------------------------------------------------------------------ infra files

def test_infra_csv_is_read_in_utc_sorted_with_percent_utilisation_as_fractions(tmp_path):
    f = write(tmp_path / "infra.csv", "timestamp,latency_p99_ms,cpu_utilization,other\n"
                                       "2026-03-01T00:05:00+01:00,250,45,x\n2026-03-01T00:00:00Z,240,50,y\n")
    frame = read_infra(f)
    assert list(frame.columns) == ["timestamp", "latency_p99_ms", "cpu_utilization"]
    assert frame["timestamp"].tolist() == [pd.Timestamp("2026-02-28T23:05:00Z"), pd.Timestamp("2026-03-01T00:00:00Z")]
    assert frame["cpu_utilization"].tolist() == [0.45, 0.5]


@pytest.mark.parametrize("name,text", [
    ("infra.json", json.dumps([{"timestamp": 1772323200, "error_rate": 0.01}, {"timestamp": 1772323500, "error_rate": 0.02}])),
    ("infra.json", json.dumps({"data": [{"timestamp": 1772323200, "error_rate": 0.01}, {"timestamp": 1772323500, "error_rate": 0.02}]})),
    ("infra.jsonl", '{"timestamp": "2026-03-01T00:00:00Z", "error_rate": 0.01}\n{"timestamp": "2026-03-01T00:05:00Z", "error_rate": 0.02}\n'),
])
def test_infra_json_forms(tmp_path, name, text):
    frame = read_infra(write(tmp_path / name, text))
    assert frame["timestamp"].tolist() == [pd.Timestamp("2026-03-01T00:00:00Z"), pd.Timestamp("2026-03-01T00:05:00Z")]
    assert frame["error_rate"].tolist() == [0.01, 0.02]


@pytest.mark.parametrize("text,message", [
    ("latency_p99_ms,error_rate\n250,0.01\n", "infra data has no timestamp column"),
    ("timestamp,foo\n2026-03-01,1\n", "infra data holds none of the known metrics"),
    ("timestamp,error_rate\nyesterday,0.1\n", "timestamp 'yesterday' is not a time"),
    ("timestamp,error_rate\n2026-03-01,high\n", "error_rate holds a non-number: 'high'"),
])
def test_bad_infra_files_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(MlmonError) as err:
        read_infra(write(tmp_path / "infra.csv", text))
    assert message in err.value.line()


# ------------------------------------------------------------------------------ events

def test_events_in_any_form_come_back_sorted_with_type_and_description(tmp_path):
    js = write(tmp_path / "e.json", json.dumps({"events": [
        {"timestamp": "2026-03-02T10:00:00Z", "kind": "Model Version", "message": "v2 live", "version": "2"},
        {"timestamp": "2026-03-01T10:00:00Z", "type": "config", "description": "threshold 0.4"}]}))
    csv = write(tmp_path / "e.csv", "timestamp,type,description\n2026-03-02T10:00:00Z,model-version,v2 live\n"
                                    "2026-03-01T10:00:00Z,config,threshold 0.4\n")
    for path in (js, csv):
        events = read_events(path)
        assert [(e.type, e.description) for e in events] == [("config", "threshold 0.4"), ("model_version", "v2 live")]
        assert events[0].timestamp == pd.Timestamp("2026-03-01T10:00:00Z")
    assert read_events(js)[1].details == {"version": "2"}


# ------------------------------------------------------------------------------ Prometheus

class _Prometheus:
    """A local stand-in for Prometheus's HTTP API: answers /api/v1/query_range per query."""

    def __init__(self, answer, delay=0.0):
        self.queries = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                q = parse_qs(url.query)
                outer.queries.append((url.path, q))
                time.sleep(delay)
                status, body = answer(q)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (the timeout case)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _series(q):
    start = float(q["start"][0])
    values = [[start + 60 * i, str(100.0 + i)] for i in range(3)]
    return 200, {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}}


def test_prometheus_series_arrive_as_an_infra_frame():
    prom = _Prometheus(_series)
    try:
        start, end = pd.Timestamp("2026-03-01T00:00:00Z"), pd.Timestamp("2026-03-01T01:00:00Z")
        frame = query_prometheus(prom.url, start, end, queries={"latency_p99_ms": "q1", "requests": "q2"})
    finally:
        prom.close()
    assert frame["timestamp"].tolist() == [start + pd.Timedelta(minutes=i) for i in range(3)]
    assert frame["latency_p99_ms"].tolist() == [100.0, 101.0, 102.0]
    path, q = prom.queries[0]
    assert path == "/api/v1/query_range" and q["query"] == ["q1"]
    assert float(q["start"][0]) == start.timestamp() and float(q["end"][0]) == end.timestamp()


def test_a_refused_query_names_the_metric_and_the_fix():
    prom = _Prometheus(lambda q: (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}))
    try:
        with pytest.raises(MlmonError) as err:
            query_prometheus(prom.url, pd.Timestamp("2026-03-01", tz="UTC"), pd.Timestamp("2026-03-02", tz="UTC"),
                             queries={"error_rate": "rate(("})
    finally:
        prom.close()
    assert "Prometheus answered HTTP 400 to the error_rate query: parse error at char 3" in err.value.line()


def test_a_slow_prometheus_times_out_as_an_error_line():
    prom = _Prometheus(_series, delay=2.0)
    try:
        with pytest.raises(MlmonError) as err:
            query_prometheus(prom.url, pd.Timestamp("2026-03-01", tz="UTC"), pd.Timestamp("2026-03-02", tz="UTC"),
                             queries={"requests": "q"}, timeout=0.3)
    finally:
        prom.close()
    assert err.value.line().startswith("mlmon: error: cannot reach Prometheus")


# ------------------------------------------------------------------------------ the CLI's error lines

@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 2, n), "p": rng.uniform(size=n),
                          "t": pd.date_range("2026-03-01", periods=n, freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")})
    frame["yhat"] = (frame["p"] >= 0.5).astype(int)
    frame.to_csv(tmp_path / "ref.csv", index=False)
    frame.to_csv(tmp_path / "cur.csv", index=False)
    return ["--reference", str(tmp_path / "ref.csv"), "--current", str(tmp_path / "cur.csv"),
            "--target", "y", "--prediction", "yhat", "--proba", "p"]


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("extra,message", [
    (["--infra", "nope.csv"], "mlmon: error: file not found (--infra nope.csv); check the path"),
    (["--events", "nope.json"], "mlmon: error: file not found (--events nope.json); check the path"),
    (["--infra", "INFRA_NO_TS"], "mlmon: error: infra data has no timestamp column"),
    (["--events", "EVENT_NO_TS"], "mlmon: error: event 1 has no timestamp"),
    (["--timestamp", "t", "--prometheus", "http://127.0.0.1:PORT"], "mlmon: error: cannot reach Prometheus"),
    (["--prometheus", "http://127.0.0.1:9"], "mlmon: error: --prometheus needs the data's times"),
    (["--timestamp", "t", "--prometheus", "ftp://x"], "mlmon: error: not an http(s) URL"),
    (["--target", "label"], "mlmon: error: --target column 'label' is not in the reference data"),
    (["--infra", "a.csv", "--prometheus", "http://x"], "mlmon: error: argument --prometheus: not allowed with argument --infra"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, data, extra, message):
    (tmp_path / "infra.csv").write_text("latency_p99_ms\n200\n")
    (tmp_path / "events.json").write_text('[{"type": "config"}]')
    extra = [str(tmp_path / "infra.csv") if e == "INFRA_NO_TS" else str(tmp_path / "events.json") if e == "EVENT_NO_TS"
             else e.replace("PORT", str(_closed_port())) for e in extra]
    message = message.replace(f"(--infra {tmp_path / 'infra.csv'})", "")
    run = run_mlmon("diagnose", *data, *extra, "--no-history")
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1 and run.err.startswith(message), run.err


def test_missing_data_files_and_flags_are_one_line_errors(tmp_path, data):
    run = run_mlmon("diagnose", "--current", data[3])
    assert (run.code, run.err) == (2, "mlmon: error: --reference is required (command line); pass --reference FILE "
                                      "(or a config whose data section names it)\n")
    run = run_mlmon("diagnose", "--reference", str(tmp_path / "gone.csv"), "--current", data[3])
    assert run.code == 2 and run.err.startswith("mlmon: error: file not found (reference ")


def test_a_real_process_prints_no_traceback_for_an_unreachable_prometheus(tmp_path, data):
    run = run_mlmon_process("diagnose", *data, "--timestamp", "t", "--prometheus", f"http://127.0.0.1:{_closed_port()}",
                            "--no-history", cwd=tmp_path)
    assert run.code == 2 and "Traceback" not in run.err and run.err.startswith("mlmon: error: cannot reach Prometheus")


def test_the_config_gives_column_roles_and_alert_tiers(tmp_path):
    import rca_scenarios as rs

    rs.build(rs.Scenario("infrastructure", "infrastructure", [], 41, {"start_hour": 10, "hours": 4, "factor": 6.0}), tmp_path)
    text = (Path(__file__).resolve().parents[1] / "assets" / "config.yaml").read_text()
    for old, new in (("target: is_fraud", "target: label"), ("prediction: prediction ", "prediction: predicted "),
                     ("prediction_proba: fraud_probability", "prediction_proba: score"),
                     ("numerical: [amount, account_age_days, transactions_last_24h]", "numerical: [income, tenure]"),
                     ("categorical: [merchant_category, country, device_type]", "categorical: [country]"),
                     ("path: data/reference.parquet", f"path: {tmp_path / 'reference.csv'}")):
        assert old in text
        text = text.replace(old, new)
    default = run_mlmon("diagnose", "--reference", tmp_path / "reference.csv", "--current", tmp_path / "current.csv",
                        "--target", "label", "--prediction", "predicted", "--proba", "score", "--timestamp", "event_time",
                        "--infra", tmp_path / "infra.csv", "--no-history", "--format", "json")
    (tmp_path / "monitoring.yaml").write_text(text.replace("latency_p95: 500ms", "latency_p95: 1s"))
    configured = run_mlmon("diagnose", "--config", tmp_path / "monitoring.yaml", "--current", tmp_path / "current.csv",
                           "--infra", tmp_path / "infra.csv", "--no-history", "--format", "json")
    assert default.code == 0 and configured.code == 0, configured.err

    def latency(run):
        infra = next(c for c in run.json()["candidates"] if c["cause"] == "infrastructure")
        return [e["threshold"] for e in infra["evidence"] if e.get("metric") == "latency_p95_ms"]

    assert latency(default) == [500.0]
    assert latency(configured) == []  # its peak (about 870 ms) is under the configured 1 s tier
    assert configured.json()["primary_cause"] == default.json()["primary_cause"] == "infrastructure"


def test_the_default_prometheus_queries_are_valid_promql(tmp_path):
    # promtool parses each query as a recording rule (the CI installs Prometheus's tools)
    import subprocess

    import yaml

    from mlmon.io.infra import DEFAULT_PROMETHEUS_QUERIES

    rules = {"groups": [{"name": "diagnose", "rules": [{"record": f"mlmon_diagnose:{name}", "expr": q}
                                                        for name, q in DEFAULT_PROMETHEUS_QUERIES.items()]}]}
    (tmp_path / "q.yml").write_text(yaml.safe_dump(rules))
    proc = subprocess.run(["promtool", "check", "rules", str(tmp_path / "q.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(DEFAULT_PROMETHEUS_QUERIES)} rules found" in proc.stdout


@pytest.mark.parametrize("text", ["[]", '{"events": []}'])
def test_an_empty_change_log_is_evidence_that_nothing_changed(tmp_path, data, text):
    # a deploy log with no deploys in the period is normal: the diagnosis says so, exit 0
    events = write(tmp_path / "events.json", text)
    assert read_events(events) == []
    run = run_mlmon("diagnose", *data, "--timestamp", "t", "--events", events, "--no-history", "--format", "json")
    assert run.code == 0, run.err
    # reference and current are the same 200 hourly rows from 2026-03-01T00:00Z (the fixture)
    assert run.json()["timeline"][-1] == {
        "timestamp": "2026-03-09T07:00:00Z",
        "event": "change log: lists no deployment, model, config or other change between "
                 "2026-03-09T07:00:00Z and 2026-03-09T07:00:00Z"}
    without = run_mlmon("diagnose", *data, "--timestamp", "t", "--no-history", "--format", "json")
    assert not [e for e in without.json()["timeline"] if e["event"].startswith("change log")]


@pytest.mark.parametrize("url", ["http://prom.example.com:9090", "http://10.1.2.3:9090", "http://localhost.evil.com"])
def test_prometheus_on_another_host_is_refused_without_consent(tmp_path, data, url):
    # a GET to any host would carry the queries and the data's period off the machine
    run = run_mlmon("diagnose", *data, "--timestamp", "t", "--prometheus", url, "--prometheus-timeout", "0.5",
                    "--no-history")
    host = url.split("//")[1].split(":")[0]
    assert (run.code, run.err) == (2, f"mlmon: error: refusing to query Prometheus on {host}: not a loopback address "
                                      f"nor the config's integrations.prometheus.url (--prometheus {url}); name it as "
                                      "integrations.prometheus.url in the config, or pass --allow-remote-prometheus\n")


def test_prometheus_named_in_the_config_or_consented_to_is_queried():
    from mlmon.io.infra import query_prometheus

    asked = []

    def opener(url, timeout):
        asked.append(url.split("?")[0])
        raise OSError("no network in this test")

    start, end = pd.Timestamp("2026-03-01", tz="UTC"), pd.Timestamp("2026-03-02", tz="UTC")
    for kw in ({"allowed": ["https://prom.example.com"]}, {"allow_remote": True}):
        with pytest.raises(MlmonError, match="cannot reach Prometheus"):
            query_prometheus("https://prom.example.com/", start, end, queries={"x": "up"}, opener=opener, **kw)
    assert asked == ["https://prom.example.com/api/v1/query_range"] * 2


def test_diagnose_takes_a_flag_over_the_config_and_the_config_over_the_default(tmp_path):
    config = tmp_path / "monitoring.yaml"
    config.write_text("version: 1\nmodel: {name: m, task: binary}\ndata:\n"
                      f"  reference: {{path: {tmp_path / 'from_config.csv'}}}\n  current: {{path: c.csv}}\n")
    current = tmp_path / "current.csv"
    current.write_text("x\n1\n")
    # no reference anywhere: the default is none, which is an error
    assert run_mlmon("diagnose", "--current", current).err.startswith("mlmon: error: --reference is required")
    # the config's reference is the one read ...
    r = run_mlmon("diagnose", "--config", config, "--current", current, "--no-history")
    assert r.code == 2 and f"(reference {tmp_path / 'from_config.csv'})" in r.err, r.err
    # ... unless the flag names another
    r = run_mlmon("diagnose", "--config", config, "--current", current, "--reference", tmp_path / "flag.csv", "--no-history")
    assert r.code == 2 and f"(reference {tmp_path / 'flag.csv'})" in r.err, r.err
