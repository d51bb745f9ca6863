"""The model-server exporter: families, the decorator on sync and async functions, isolation,
FastAPI mounting, multiprocess mode with real worker processes, and a light import."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from mlmon.exporter import LATENCY_BUCKETS, MetricsExporter, histogram_counts
from mlmon_testing import ROOT

LABELS = dict(model_name="fraud", model_version="1.2.0")


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
    expected = {  # parser names counters without _total
        "ml_predictions": ("counter", {"model_name", "model_version", "status"}),
        "ml_prediction_latency_seconds": ("histogram", {"model_name", "model_version"}),
        "ml_prediction_confidence": ("histogram", {"predicted_class"}),
        "ml_feature_value": ("histogram", {"feature"}),
        "ml_feature_category": ("counter", {"feature", "category"}),
        "ml_model_accuracy_ratio": ("gauge", {"window"}),
        "ml_model_f1_score_ratio": ("gauge", {"window"}),
        "ml_drift_score": ("gauge", {"drift_type", "feature"}),
        "ml_drift_share_ratio": ("gauge", set()),
    }
    assert set(found) == set(expected)
    for name, (kind, labels) in expected.items():
        assert found[name].type == kind, name
        sample = next(s for s in found[name].samples if not s.name.endswith(("_created", "_bucket")))
        assert set(sample.labels) == labels, name
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
    assert b.value("ml_predictions_total", model_name="a", model_version="1", status="success") is None
    assert REGISTRY.get_sample_value("ml_predictions_total", {"model_name": "a", "model_version": "1", "status": "success"}) is None


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
    assert "ml_drift_share_ratio" not in exporter.generate_latest().decode()  # a 0 would read as "no drift"
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
        assert 'ml_predictions_total{model_name="m",model_version="1",status="success"} 1.0' in body
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
    assert samples[("ml_model_accuracy_ratio", (("window", "1h"),))] == 0.93  # most recent write wins


def test_importing_the_exporter_imports_no_pandas_scipy_or_numpy():
    code = ("import sys, mlmon.exporter; heavy = [m for m in ('pandas', 'scipy', 'numpy', 'pyarrow') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT / "scripts")),
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == ""


MULTI_WORKER_APP = textwrap.dedent("""
    import os
    from fastapi import FastAPI
    from mlmon.exporter import MetricsExporter

    exporter = MetricsExporter("fraud", "1.2.0")
    app = FastAPI()
    app.mount("/metrics", exporter.asgi_app())

    @app.get("/predict")
    @exporter.track_prediction
    def predict():
        return {"pid": os.getpid()}
""")


def test_uvicorn_workers_in_multiprocess_mode_report_the_sum_over_workers(tmp_path):
    pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")
    from prometheus_tools import free_port, http_get, stop_process, wait_for

    (tmp_path / "mp").mkdir()
    (tmp_path / "server_app.py").write_text(MULTI_WORKER_APP)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "mp"))
    with open(tmp_path / "uvicorn.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server_app:app", "--app-dir", str(tmp_path),
                                 "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning"],
                                env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        pids = {json.loads(wait_for(lambda: http_get(f"{base}/predict"), timeout=60, what="uvicorn workers"))["pid"]}
        n = 1
        while n < 40 or (len(pids) < 2 and n < 1000):  # new connections: the kernel spreads them over the workers
            pids.add(json.loads(http_get(f"{base}/predict"))["pid"])
            n += 1
        assert len(pids) == 2, "one worker answered every request: nothing to sum"
        for _ in range(3):  # whichever worker answers the scrape reports the sum over both
            text = http_get(f"{base}/metrics/").decode()
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for f in text_string_to_metric_families(text) for s in f.samples}
            assert samples[("ml_predictions_total", tuple(sorted({**LABELS, "status": "success"}.items())))] == n
    finally:
        stop_process(proc)
