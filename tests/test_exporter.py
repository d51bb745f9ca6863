"""The model-server exporter: families, the decorator on sync and async functions, isolation,
FastAPI mounting, multiprocess mode with real worker processes, and a light import."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from mlmon.exporter import LATENCY_BUCKETS, MetricsExporter, histogram_counts
from mlmon_testing import ROOT

LABELS = dict(model="fraud", version="1.2.0")


def families(exporter: MetricsExporter):
    text = exporter.generate_latest().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def count(exporter, status):
    return exporter.value("ml_predictions_total", status=status, **LABELS) or 0.0


def latency_count(exporter):
    return exporter.value("ml_prediction_latency_seconds_count", **LABELS) or 0.0


@pytest.fixture
def exporter():
    return MetricsExporter("fraud", "1.2.0")


def test_families_have_the_issue_names_types_and_labels(exporter):
    exporter.observe_prediction(0.003, predicted_class="fraud", confidence=0.9)
    exporter.observe_features({"amount": 12.5, "country": "DE"})
    exporter.set_accuracy(0.93, "1d")
    exporter.set_f1_score(0.81, "1d")
    exporter.set_drift_score("amount", 0.31, "psi")
    exporter.set_drift_share(0.25)
    found = {name: f for name, f in families(exporter).items() if not name.endswith("_created")}
    who = {"model", "version"}  # on every series, so models sharing a Prometheus stay apart
    expected = {  # parser names counters without _total
        "ml_predictions": ("counter", who | {"status"}),
        "ml_prediction_latency_seconds": ("histogram", who),
        "ml_prediction_confidence": ("histogram", who | {"predicted_class"}),
        "ml_feature_value": ("histogram", who | {"feature"}),
        "ml_feature_category": ("counter", who | {"feature", "category"}),
        "ml_model_accuracy_ratio": ("gauge", who | {"window"}),
        "ml_model_f1_score_ratio": ("gauge", who | {"window"}),
        "ml_drift_score": ("gauge", who | {"drift_type", "feature"}),
        "ml_drift_share_ratio": ("gauge", who),
    }
    assert set(found) == set(expected)
    for name, (kind, labels) in expected.items():
        assert found[name].type == kind, name
        sample = next(s for s in found[name].samples if not s.name.endswith(("_created", "_bucket")))
        assert set(sample.labels) == labels, name
        assert (sample.labels["model"], sample.labels["version"]) == ("fraud", "1.2.0"), name
    assert exporter.value("ml_model_accuracy_ratio", window="1d") == 0.93
    assert exporter.value("ml_drift_score", drift_type="psi", feature="amount") == 0.31


def test_latency_buckets_run_from_1ms_to_1s(exporter):
    assert LATENCY_BUCKETS[0] == 0.001 and LATENCY_BUCKETS[-1] == 1.0
    exporter.observe_prediction(0.004)  # lands in (0.0025, 0.005]
    counts = histogram_counts(exporter, "ml_prediction_latency_seconds", **LABELS)
    assert list(counts) == ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "+Inf"]
    assert counts["0.0025"] == 0 and counts["0.005"] == 1 and counts["+Inf"] == 1


def test_sync_decorator_counts_success_and_error_and_times_both(exporter):
    @exporter.track_prediction
    def predict(x):
        if x < 0:
            raise ValueError("negative")
        return x + 1

    assert predict(1) == 2 and predict(2) == 3
    with pytest.raises(ValueError, match="negative"):
        predict(-1)
    assert count(exporter, "success") == 2
    assert count(exporter, "error") == 1
    assert latency_count(exporter) == 3
    assert predict.__name__ == "predict"


def test_async_decorator_counts_success_and_error_and_times_both(exporter):
    @exporter.track_prediction
    async def predict(x):
        await asyncio.sleep(0.02)
        if x < 0:
            raise RuntimeError("model unavailable")
        return x * 10

    assert asyncio.run(predict(4)) == 40
    with pytest.raises(RuntimeError):
        asyncio.run(predict(-4))
    assert count(exporter, "success") == 1 and count(exporter, "error") == 1
    assert latency_count(exporter) == 2
    # both calls slept 20 ms: the latency is the awaited time, not the time to create the coroutine
    assert exporter.value("ml_prediction_latency_seconds_sum", **LABELS) >= 0.04
    assert histogram_counts(exporter, "ml_prediction_latency_seconds", **LABELS)["0.01"] == 0
    assert asyncio.iscoroutinefunction(predict)


def test_a_cancelled_async_call_is_not_an_error(exporter):
    @exporter.track_prediction
    async def predict():
        await asyncio.sleep(10)

    async def main():
        task = asyncio.create_task(predict())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert count(exporter, "error") == 0 and count(exporter, "success") == 0 and latency_count(exporter) == 0


def test_extract_feeds_the_confidence_histogram(exporter):
    @exporter.track_prediction(extract=lambda r: (r["label"], r["p"]))
    def predict(p):
        return {"label": "fraud" if p > 0.5 else "legit", "p": max(p, 1 - p)}

    predict(0.97)
    predict(0.2)
    predict(0.93)
    fraud = histogram_counts(exporter, "ml_prediction_confidence", predicted_class="fraud")
    assert fraud["0.95"] == 1 and fraud["0.99"] == 2  # 0.93 <= 0.95 < 0.97 <= 0.99
    assert exporter.value("ml_prediction_confidence_count", predicted_class="legit") == 1


def test_exporters_are_isolated_from_each_other_and_the_default_registry():
    a, b = MetricsExporter("a", "1"), MetricsExporter("b", "1")  # same family names: no clash
    a.observe_prediction(0.01)
    assert b.value("ml_predictions_total", model="a", version="1", status="success") is None
    assert a.value("ml_predictions_total", status="success") == 1
    assert REGISTRY.get_sample_value("ml_predictions_total", {"model": "a", "version": "1", "status": "success"}) is None


def test_features_numbers_to_histogram_categories_counted_with_a_cap():
    exporter = MetricsExporter("m", max_categories=2)
    for row in ({"amount": 5.0, "country": "DE"}, {"amount": 500, "country": "FR"},
                {"amount": float("nan"), "country": "US"}, {"amount": None, "country": "DE"}):
        exporter.observe_features(row)
    counts = histogram_counts(exporter, "ml_feature_value", feature="amount")
    assert counts["1.0"] == 0 and counts["10.0"] == 1 and counts["1000.0"] == 2 and counts["+Inf"] == 2
    cat = lambda c: exporter.value("ml_feature_category_total", feature="country", category=c)  # noqa: E731
    assert (cat("DE"), cat("FR"), cat("__other__")) == (2.0, 1.0, 1.0)


def test_drift_share_is_not_exported_before_it_is_set(exporter):
    lines = exporter.generate_latest().decode().splitlines()
    assert not [x for x in lines if x.startswith("ml_drift_share_ratio")]  # no sample: a 0 would read as "no drift"
    exporter.set_drift_share(0.4)
    exporter.set_drift_share(0.6)
    assert exporter.value("ml_drift_share_ratio") == 0.6


def test_record_drift_takes_a_drift_result():
    exporter = MetricsExporter("m")
    exporter.record_drift({"drift_share": 0.5, "columns": {
        "amount": {"method": "wasserstein", "score": 0.34}, "country": {"method": "jensenshannon", "score": None}}})
    assert exporter.value("ml_drift_score", drift_type="wasserstein", feature="amount") == 0.34
    assert exporter.value("ml_drift_score", drift_type="jensenshannon", feature="country") is None
    assert exporter.value("ml_drift_share_ratio") == 0.5


def test_fastapi_mount_serves_the_metrics_of_async_and_sync_routes():
    fastapi = pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    exporter = MetricsExporter("fraud", "1.2.0")
    app = fastapi.FastAPI()
    app.mount("/metrics", exporter.asgi_app())

    @app.get("/predict")
    @exporter.track_prediction
    async def predict(amount: float):
        if amount < 0:
            raise fastapi.HTTPException(status_code=422, detail="negative amount")
        return {"fraud": amount > 100}

    @app.get("/predict-sync")
    @exporter.track_prediction
    def predict_sync(amount: float):
        return {"fraud": amount > 100}

    client = TestClient(app)
    assert client.get("/predict", params={"amount": 150}).json() == {"fraud": True}
    assert client.get("/predict", params={"amount": -1}).status_code == 422
    assert client.get("/predict-sync", params={"amount": 5}).json() == {"fraud": False}
    response = client.get("/metrics/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(response.text) for s in f.samples}
    key = lambda status: ("ml_predictions_total", tuple(sorted({**LABELS, "status": status}.items())))  # noqa: E731
    assert samples[key("success")] == 2 and samples[key("error")] == 1
    assert samples[("ml_prediction_latency_seconds_count", tuple(sorted(LABELS.items())))] == 3


def test_start_http_server_binds_loopback():
    import urllib.request

    exporter = MetricsExporter("m", "1")
    exporter.observe_prediction(0.01)
    server, thread = exporter.start_http_server(0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert 'ml_predictions_total{model="m",status="success",version="1"} 1.0' in body
    finally:
        server.shutdown()
        server.server_close()


WORKER = textwrap.dedent("""
    import sys
    from mlmon.exporter import MetricsExporter
    exporter = MetricsExporter("fraud", "1.2.0")
    n, fail, accuracy = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

    @exporter.track_prediction
    def predict(i):
        if i < fail:
            raise ValueError(i)
        return i

    for i in range(n):
        try:
            predict(i)
        except ValueError:
            pass
    exporter.set_accuracy(accuracy, "1h")
""")

SCRAPE = textwrap.dedent("""
    from mlmon.exporter import MetricsExporter
    exporter = MetricsExporter("fraud", "1.2.0")
    assert exporter.multiprocess
    print(exporter.generate_latest().decode())
""")


def _python(code, *args, env):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=120, check=True).stdout


def test_multiprocess_mode_sums_real_worker_processes(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "mp"))
    os.mkdir(tmp_path / "mp")
    # three workers: 5, 7 and 11 predictions, of which 1, 0 and 2 fail; accuracy set last by the third
    for n, fail, accuracy in ((5, 1, 0.91), (7, 0, 0.92), (11, 2, 0.93)):
        _python(WORKER, n, fail, accuracy, env=env)
    assert len(list((tmp_path / "mp").iterdir())) >= 3  # one file set per worker pid
    text = _python(SCRAPE, env=env)  # a fourth process, as the scrape endpoint of a worker would be
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    key = lambda status: ("ml_predictions_total", tuple(sorted({**LABELS, "status": status}.items())))  # noqa: E731
    assert samples[key("success")] == 4 + 7 + 9
    assert samples[key("error")] == 1 + 0 + 2
    assert samples[("ml_prediction_latency_seconds_count", tuple(sorted(LABELS.items())))] == 23
    assert samples[("ml_model_accuracy_ratio", tuple(sorted({**LABELS, "window": "1h"}.items())))] == 0.93  # most recent write wins


def test_importing_the_exporter_imports_no_pandas_scipy_or_numpy():
    code = ("import sys, mlmon.exporter; heavy = [m for m in ('pandas', 'scipy', 'numpy', 'pyarrow') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT / "scripts")),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == ""


MULTI_WORKER_APP = textwrap.dedent("""
    import os
    import select

    from fastapi import FastAPI
    from mlmon.exporter import MetricsExporter

    exporter = MetricsExporter("fraud", "1.2.0")
    app = FastAPI()
    app.mount("/metrics", exporter.asgi_app())

    @app.get("/predict")
    @exporter.track_prediction
    async def predict(hold: bool = False):
        pid = os.getpid()
        if hold:
            # Block this worker's event loop until the test writes to our gate: while it is blocked
            # the worker accepts no connection, so the next one can only go to the other worker.
            gate = os.path.join("gates", str(pid))
            os.mkfifo(gate)
            fd = os.open(gate, os.O_RDONLY | os.O_NONBLOCK)
            os.close(os.open(os.path.join("held", str(pid)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            select.select([fd], [], [], 300)  # the timeout only bounds a hang if the test died
            os.close(fd)
        return {"pid": pid}
""")


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def _get(socket_path: str, url: str, timeout: float = 120.0) -> bytes:
    """GET over a Unix socket on a fresh connection (a kept-alive one would stick to one worker)."""
    connection = _UnixHTTPConnection(socket_path, timeout)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body)
        return body
    finally:
        connection.close()


def _release(gates) -> None:
    """Write to every gate a worker waits on (harmless for one already released)."""
    for gate in gates.iterdir():
        try:
            fd = os.open(gate, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # its worker no longer waits
            continue
        os.write(fd, b"x")
        os.close(fd)


def test_uvicorn_workers_in_multiprocess_mode_report_the_sum_over_workers(tmp_path):
    """Two uvicorn workers each serve predictions, and a scrape answered by either reports the sum.

    Nothing depends on timing: the test holds the worker that took the first held prediction, so
    the second can only be taken by the other worker; every wait is on a file or a response, and
    the timeouts only bound a hang."""
    pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")
    from prometheus_tools import stop_process, wait_for

    for name in ("mp", "gates", "held"):
        (tmp_path / name).mkdir()
    (tmp_path / "server_app.py").write_text(MULTI_WORKER_APP)
    # A Unix socket, not a TCP port: no other process can take it between choosing and binding.
    # Relative to the test's directory (the uvicorn cwd too), as a socket path is limited to 108 bytes.
    assert Path.cwd() == tmp_path
    sock = "app.sock"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "mp"))
    with open(tmp_path / "uvicorn.log", "w") as log:
        # a generous health check: under load a worker slow to start is not killed and replaced
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server_app:app", "--app-dir", str(tmp_path),
                                 "--uds", sock, "--workers", "2", "--timeout-worker-healthcheck", "120",
                                 "--log-level", "warning"],
                                cwd=tmp_path, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        # ready once a worker listens; a refused connection delivered nothing, so retrying is safe
        wait_for(lambda: _get(sock, "/predict"), timeout=120, what="a uvicorn worker")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            held = []
            for expected in (1, 2):
                held.append(pool.submit(_get, sock, "/predict?hold=true", 300))
                wait_for(lambda: len(list((tmp_path / "held").iterdir())) == expected,
                         timeout=120, what=f"worker {expected} holding a prediction")
            _release(tmp_path / "gates")
            pids = {json.loads(future.result(timeout=120))["pid"] for future in held}
        assert pids == {int(p.name) for p in (tmp_path / "held").iterdir()}
        assert len(pids) == 2, "the second held prediction reached the worker that was held"
        rest = [json.loads(_get(sock, "/predict"))["pid"] for _ in range(4)]
        n = 1 + len(held) + len(rest)
        for _ in range(3):  # whichever worker answers the scrape reports the sum over both
            text = _get(sock, "/metrics/").decode()
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for f in text_string_to_metric_families(text) for s in f.samples}
            assert samples[("ml_predictions_total", tuple(sorted({**LABELS, "status": "success"}.items())))] == n
    finally:
        _release(tmp_path / "gates")
        stop_process(proc)
        try:  # a worker its parent failed to stop must not outlive the test
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
