"""Prometheus metrics for a model server: ``from mlmon.exporter import MetricsExporter``.

One :class:`MetricsExporter` per model owns its own ``CollectorRegistry``, so two exporters (two
models, or a test beside the application) never collide in the process-wide default registry.

Families (names follow Prometheus conventions: base units, ``_total`` counters, ``_ratio``
for 0-1 values):

=====================================  =========  ======================================
family                                 type       labels (besides model, version)
=====================================  =========  ======================================
``ml_predictions_total``               counter    status
``ml_prediction_latency_seconds``      histogram  (none)
``ml_prediction_confidence``           histogram  predicted_class
``ml_feature_value``                   histogram  feature
``ml_feature_category_total``          counter    feature, category
``ml_model_accuracy_ratio``            gauge      window
``ml_model_f1_score_ratio``            gauge      window
``ml_drift_score``                     gauge      drift_type, feature
``ml_drift_share_ratio``               gauge      (none)
=====================================  =========  ======================================

Every series carries ``model`` and ``version``, the exporter's ``model_name`` and
``model_version``: the same labels ``mlmon serve`` puts on the batch results, so one Prometheus
holds several models apart and one dashboard variable selects a model everywhere.

Multiprocess servers (gunicorn, uvicorn ``--workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory *before* the server starts (prometheus_client reads it when it is first
imported); every worker then writes its values to files there and :meth:`MetricsExporter.asgi_app`
serves the sum over all workers. Gauges take the most recently written value across workers.
Call :func:`mark_process_dead` from the server's child-exit hook.

This module imports only ``prometheus_client`` and the standard library, so a model server pays
nothing for pandas or scipy by importing it.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest

LATENCY_BUCKETS: Tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
CONFIDENCE_BUCKETS: Tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
FEATURE_BUCKETS: Tuple[float, ...] = (-1000.0, -100.0, -10.0, -1.0, 0.0, 1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0)
OTHER_CATEGORY = "__other__"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

Extract = Callable[[Any], Optional[Tuple[Any, float]]]


def multiprocess_dir() -> Optional[str]:
    """The multiprocess directory in force, or None in single-process mode."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get("prometheus_multiproc_dir") or None


def mark_process_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (gunicorn: call from ``child_exit``)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class MetricsExporter:
    """The metric families of one model, in a registry of their own.

    Parameters
    ----------
    model_name, model_version : str
        Values of the ``model`` / ``version`` labels of every series.
    latency_buckets, confidence_buckets, feature_buckets : sequence of float, optional
        Histogram upper bounds. Latency defaults to 1 ms ... 1 s: a latency alert whose
        threshold is above the largest bucket can never fire, so widen them for slow models.
    max_categories : int
        Distinct categories counted per categorical feature; later ones count as ``__other__``
        (a label value per category is a time series each: keep cardinality bounded).

    Examples
    --------
    >>> exporter = MetricsExporter("fraud", "1.0.0")
    >>> @exporter.track_prediction
    ... def predict(x):
    ...     return x * 2
    >>> predict(21)
    42
    >>> exporter.value("ml_predictions_total", model="fraud", version="1.0.0", status="success")
    1.0
    """

    def __init__(self, model_name: str, model_version: str = "", *,
                 latency_buckets: Sequence[float] = LATENCY_BUCKETS,
                 confidence_buckets: Sequence[float] = CONFIDENCE_BUCKETS,
                 feature_buckets: Sequence[float] = FEATURE_BUCKETS,
                 max_categories: int = 50):
        self.model_name = str(model_name)
        self.model_version = str(model_version)
        self.max_categories = int(max_categories)
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = multiprocess_dir() is not None
        r = self.registry
        who = ["model", "version"]
        self.predictions = Counter(
            "ml_predictions_total", "Predictions served, by outcome (success or error).",
            [*who, "status"], registry=r)
        self.latency = Histogram(
            "ml_prediction_latency_seconds", "Time to compute one prediction, errors included.",
            who, buckets=tuple(latency_buckets), registry=r)
        self.confidence = Histogram(
            "ml_prediction_confidence", "Model confidence (probability of the predicted class).",
            [*who, "predicted_class"], buckets=tuple(confidence_buckets), registry=r)
        self.feature_values = Histogram(
            "ml_feature_value", "Values of numerical input features.",
            [*who, "feature"], buckets=tuple(feature_buckets), registry=r)
        self.feature_categories = Counter(
            "ml_feature_category_total", "Occurrences of each category of categorical input features.",
            [*who, "feature", "category"], registry=r)
        gauge = functools.partial(Gauge, registry=r, multiprocess_mode="mostrecent")
        self.accuracy = gauge("ml_model_accuracy_ratio", "Model accuracy over a window (0-1).", [*who, "window"])
        self.f1_score = gauge("ml_model_f1_score_ratio", "Model F1 score over a window (0-1).", [*who, "window"])
        self.drift_score = gauge("ml_drift_score", "Drift score of one feature by one test (p-value or distance).",
                                 [*who, "drift_type", "feature"])
        # labelled, so nothing is exported before the first set_drift_share (an unlabelled gauge exports 0 at once)
        self.drift_share = gauge("ml_drift_share_ratio", "Share of features that drifted (0-1).", who)
        self._who = (self.model_name, self.model_version)
        self._seen: Dict[str, set] = {}
        self._exposition = None

    # ------------------------------------------------------------------ recording

    def observe_prediction(self, latency_seconds: Optional[float] = None, *, status: str = "success",
                           predicted_class: Any = None, confidence: Optional[float] = None) -> None:
        """Record one prediction made outside :meth:`track_prediction`."""
        self.predictions.labels(*self._who, status).inc()
        if latency_seconds is not None:
            self.latency.labels(*self._who).observe(latency_seconds)
        if confidence is not None:
            self.confidence.labels(*self._who, str(predicted_class)).observe(float(confidence))

    def observe_features(self, features: Mapping[str, Any]) -> None:
        """Numbers go to ``ml_feature_value``, strings and booleans to ``ml_feature_category_total``;
        None and NaN are skipped."""
        for name, value in features.items():
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value == value:  # NaN != NaN
                    self.feature_values.labels(*self._who, name).observe(float(value))
                continue
            self.feature_categories.labels(*self._who, name, self._category(name, str(value))).inc()

    def _category(self, feature: str, value: str) -> str:
        seen = self._seen.setdefault(feature, set())
        if value in seen:
            return value
        if len(seen) >= self.max_categories:
            return OTHER_CATEGORY
        seen.add(value)
        return value

    def set_accuracy(self, value: float, window: str = "1d") -> None:
        self.accuracy.labels(*self._who, window).set(value)

    def set_f1_score(self, value: float, window: str = "1d") -> None:
        self.f1_score.labels(*self._who, window).set(value)

    def set_drift_score(self, feature: str, score: float, drift_type: str = "psi") -> None:
        """``drift_type`` is the test id that computed ``score`` (``psi``, ``ks``, ``wasserstein``...):
        p-values are small when drifted, distances large, so never mix them in one threshold."""
        self.drift_score.labels(*self._who, drift_type, feature).set(score)

    def set_drift_share(self, share: float) -> None:
        self.drift_share.labels(*self._who).set(share)

    def record_drift(self, result: Mapping[str, Any]) -> None:
        """Set the drift gauges from an ``mlmon drift`` result (its JSON as a dict)."""
        for name, column in (result.get("columns") or {}).items():
            if column.get("score") is not None:
                self.set_drift_score(name, column["score"], column.get("method", "unknown"))
        if result.get("drift_share") is not None:
            self.set_drift_share(result["drift_share"])

    def track_prediction(self, func: Optional[Callable] = None, *, extract: Optional[Extract] = None):
        """Decorate a sync or async predict function: counts it (``status="error"`` when it
        raises; the exception propagates) and observes its latency either way.

        A cancelled call (``asyncio.CancelledError``: the client went away) is neither counted nor
        timed: it says nothing about the model.

        ``extract(result)`` may return ``(predicted_class, confidence)`` to feed
        ``ml_prediction_confidence``, or None to skip. Use as ``@exporter.track_prediction`` or
        ``@exporter.track_prediction(extract=...)``.
        """
        if func is None:
            return lambda f: self.track_prediction(f, extract=extract)

        def done(started: float, status: str, result: Any = None) -> None:
            self.observe_prediction(time.perf_counter() - started, status=status)
            if status == "success" and extract is not None:
                pair = extract(result)
                if pair is not None:
                    self.confidence.labels(*self._who, str(pair[0])).observe(float(pair[1]))

        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    result = await func(*args, **kwargs)
                except Exception:
                    done(started, "error")
                    raise
                done(started, "success", result)
                return result

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = func(*args, **kwargs)
            except Exception:
                done(started, "error")
                raise
            done(started, "success", result)
            return result

        return wrapper

    # ------------------------------------------------------------------ exposition

    @property
    def exposition_registry(self) -> CollectorRegistry:
        """What a scrape reads: this registry, or in multiprocess mode every worker's files."""
        if not self.multiprocess:
            return self.registry
        if self._exposition is None:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            self._exposition = registry
        return self._exposition

    def generate_latest(self) -> bytes:
        """The text exposition format, as a scrape would get it."""
        return _generate_latest(self.exposition_registry)

    def asgi_app(self):
        """An ASGI app serving the metrics: ``app.mount("/metrics", exporter.asgi_app())``."""
        from prometheus_client import make_asgi_app

        return make_asgi_app(self.exposition_registry)

    def wsgi_app(self):
        """A WSGI app serving the metrics (Flask, Django: mount it with a dispatcher)."""
        from prometheus_client import make_wsgi_app

        return make_wsgi_app(self.exposition_registry)

    def start_http_server(self, port: int, addr: str = "127.0.0.1"):
        """Serve ``/metrics`` on its own thread; loopback unless ``addr`` says otherwise.
        Returns ``(server, thread)``: ``server.shutdown()`` stops it."""
        from prometheus_client import start_http_server

        return start_http_server(port, addr=addr, registry=self.exposition_registry)

    def value(self, name: str, **labels: str) -> Optional[float]:
        """One sample's current value (tests, debugging), or None when it has none yet; ``model``
        and ``version`` are this exporter's unless given."""
        return self.exposition_registry.get_sample_value(
            name, {"model": self.model_name, "version": self.model_version, **labels})


def histogram_counts(exporter: MetricsExporter, name: str, **labels: str) -> Dict[str, float]:
    """Cumulative bucket counts of one histogram child, keyed by ``le``."""
    out: Dict[str, float] = {}
    for family in exporter.exposition_registry.collect():
        for sample in family.samples:
            if sample.name == f"{name}_bucket" and all(sample.labels.get(k) == v for k, v in labels.items()):
                out[sample.labels["le"]] = sample.value
    return out


__all__: Iterable[str] = ("MetricsExporter", "LATENCY_BUCKETS", "mark_process_dead", "multiprocess_dir", "histogram_counts")
