"""Reading what happened around a model: infrastructure metrics and change events.

- :func:`read_infra`: a CSV, JSON (a list of objects, or ``{"data": [...]}``) or JSON Lines
  file with a ``timestamp`` column and any of :data:`INFRA_METRICS`;
- :func:`query_prometheus`: the same series from a Prometheus server's HTTP API
  (``/api/v1/query_range``), one PromQL query per metric;
- :func:`read_events`: deployments, model version, config and dependency changes, as JSON (a
  list, or ``{"events": [...]}``), JSON Lines or CSV, each with a ``timestamp``.

Every timestamp becomes a timezone-aware UTC ``pandas.Timestamp`` (naive times are read as
UTC). Problems with the input are :class:`~mlmon.errors.MlmonError` lines, never tracebacks.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import pandas as pd

from mlmon.errors import MlmonError, option

INFRA_METRICS = (
    "latency_p95_ms", "latency_p99_ms", "error_rate", "cpu_utilization",
    "memory_utilization", "gpu_utilization", "requests",
)
UTILIZATION = ("cpu_utilization", "memory_utilization", "gpu_utilization")

# PromQL for each metric over the families mlmon.exporter serves (ml_predictions_total with a
# status label, ml_prediction_latency_seconds) and the client's process metrics; every one can be
# replaced with --prometheus-query NAME=PROMQL.
DEFAULT_PROMETHEUS_QUERIES = {
    "latency_p95_ms": "1000 * histogram_quantile(0.95, sum by (le) (rate(ml_prediction_latency_seconds_bucket[5m])))",
    "latency_p99_ms": "1000 * histogram_quantile(0.99, sum by (le) (rate(ml_prediction_latency_seconds_bucket[5m])))",
    "error_rate": 'sum(rate(ml_predictions_total{status="error"}[5m])) / sum(rate(ml_predictions_total[5m]))',
    "requests": "sum(rate(ml_predictions_total[5m]))",
    "cpu_utilization": "avg(rate(process_cpu_seconds_total[5m]))",
}
PROMETHEUS_TIMEOUT = 10.0  # seconds per query
MAX_PROMETHEUS_POINTS = 11_000  # Prometheus refuses more points per series


@dataclass
class ChangeEvent:
    """One change with its time: ``type`` (model_version, config, deployment, dependency,
    pipeline, infrastructure, ... as the file names it) and a description."""

    timestamp: pd.Timestamp
    type: str
    description: str
    details: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"timestamp": iso(self.timestamp), "type": self.type, "description": self.description,
                **({"details": self.details} if self.details else {})}


def iso(ts: pd.Timestamp) -> str:
    """ISO 8601 in UTC with a Z, to the second.

    >>> iso(pd.Timestamp("2026-03-01 12:00", tz="UTC"))
    '2026-03-01T12:00:00Z'
    """
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    text = ts.floor("s").isoformat()
    return text.replace("+00:00", "Z")


def to_utc(values, where: str, column: str = "timestamp") -> pd.Series:
    """Parse timestamps (ISO text, or epoch seconds when numeric) into UTC; unparseable ones are
    an error naming the first bad value."""
    s = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s) and not s.isna().any():
        return pd.to_datetime(s, utc=True)
    try:
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out = pd.to_datetime(s, unit="s", utc=True)
        else:
            out = pd.to_datetime(s, utc=True, errors="coerce", format="mixed")
    except (ValueError, TypeError, OverflowError) as exc:
        raise MlmonError(f"cannot read the {column} column as times: {exc}", where,
                         "write times as ISO 8601 (2026-03-01T12:00:00Z) or epoch seconds") from exc
    bad = out.isna() & s.notna()
    if bad.any() or s.isna().any():
        first = s[bad | s.isna()].iloc[0]
        raise MlmonError(f"{column} {first!r} is not a time", where,
                         "write times as ISO 8601 (2026-03-01T12:00:00Z) or epoch seconds")
    return out


# ---------------------------------------------------------------------------- infra metrics


def read_infra(path: str) -> pd.DataFrame:
    """The infra series in ``path``: a ``timestamp`` column (UTC, sorted) and the metrics of
    :data:`INFRA_METRICS` it holds, as floats. Utilizations given in percent (any value above
    1.5) are divided by 100."""
    records = _records(path, option("infra"))
    frame = pd.DataFrame.from_records(records) if isinstance(records, list) else records
    return _infra_frame(frame, f"{option('infra')} {path}")


def _infra_frame(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    if frame.empty:
        raise MlmonError("no rows", where, "give one row per time point")
    if "timestamp" not in frame.columns:
        raise MlmonError("infra data has no timestamp column", where,
                         "add a timestamp column (ISO 8601 or epoch seconds) to every row")
    present = [m for m in INFRA_METRICS if m in frame.columns]
    if not present:
        raise MlmonError("infra data holds none of the known metrics", where,
                         "name columns " + ", ".join(INFRA_METRICS))
    out = pd.DataFrame({"timestamp": to_utc(frame["timestamp"].to_numpy(), where)})
    for m in present:
        values = pd.to_numeric(frame[m], errors="coerce")
        bad = values.isna() & frame[m].notna()
        if bad.any():
            raise MlmonError(f"{m} holds a non-number: {frame[m][bad].iloc[0]!r}", where, "write plain numbers")
        out[m] = values.astype(float).to_numpy()
        if m in UTILIZATION and (out[m] > 1.5).any():
            out[m] = out[m] / 100.0
    return out.sort_values("timestamp", kind="mergesort").reset_index(drop=True)


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (localhost, 127.0.0.0/8, ::1).

    >>> is_loopback("http://localhost:9090"), is_loopback("http://127.0.0.2"), is_loopback("http://[::1]:9090")
    (True, True, True)
    >>> is_loopback("http://prom.example.com"), is_loopback("http://10.0.0.1:9090")
    (False, False)
    """
    import ipaddress

    host = (urllib.parse.urlparse(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_server(url: str, other: str) -> bool:
    """Same scheme, host and port (a path below it is the same server).

    >>> same_server("https://prom.example.com/", "https://prom.example.com"), same_server("http://a:1", "http://a:2")
    (True, False)
    """
    a, b = urllib.parse.urlparse(url), urllib.parse.urlparse(other)
    try:
        return (a.scheme, (a.hostname or "").lower(), a.port) == (b.scheme, (b.hostname or "").lower(), b.port)
    except ValueError:
        return False


def query_prometheus(url: str, start: pd.Timestamp, end: pd.Timestamp, *, step: Optional[float] = None,
                     queries: Optional[Dict[str, str]] = None, timeout: float = PROMETHEUS_TIMEOUT,
                     opener=None, allowed: Sequence[Optional[str]] = (), allow_remote: bool = False) -> pd.DataFrame:
    """Each metric's series between ``start`` and ``end`` from a Prometheus server's
    ``/api/v1/query_range``, as an infra frame. Queries that return no data are left out; an
    unreachable server, an HTTP error or a refused query is an error line."""
    queries = dict(DEFAULT_PROMETHEUS_QUERIES if queries is None else queries)
    span = max((end - start).total_seconds(), 1.0)
    step = step or max(15.0, math.ceil(span / 1000))
    if span / step > MAX_PROMETHEUS_POINTS:
        step = math.ceil(span / MAX_PROMETHEUS_POINTS)
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise MlmonError("not an http(s) URL", f"{option('prometheus')} {url}", "give the server's base URL, e.g. http://localhost:9090")
    if not (allow_remote or is_loopback(url) or any(same_server(url, a) for a in allowed if a)):
        # a GET to any host carries the query (and the data's period) out: only a server on this
        # machine, or the one the config names, without the user's explicit consent
        raise MlmonError(f"refusing to query Prometheus on {parsed.hostname}: not a loopback address nor the "
                         "config's integrations.prometheus.url", f"{option('prometheus')} {url}",
                         "name it as integrations.prometheus.url in the config, or pass --allow-remote-prometheus")
    endpoint = url.rstrip("/") + "/api/v1/query_range"
    open_url = opener or urllib.request.urlopen
    series: Dict[str, pd.Series] = {}
    for name, promql in queries.items():
        params = urllib.parse.urlencode({"query": promql, "start": f"{start.timestamp():.3f}",
                                         "end": f"{end.timestamp():.3f}", "step": f"{step:g}"})
        body = _get_json(open_url, f"{endpoint}?{params}", timeout, url, name)
        if body.get("status") != "success":
            raise MlmonError(f"Prometheus refused the {name} query: {body.get('error', 'no reason given')}",
                             f"{option('prometheus')} {url}", f"fix it with {option('prometheus_query')} {name}=PROMQL")
        results = (body.get("data") or {}).get("result") or []
        if not results:
            continue
        values = results[0].get("values") or []
        s = pd.Series({float(t): _number(v) for t, v in values}, dtype=float)
        series[name] = s
    if not series:
        raise MlmonError("Prometheus returned no data for any infra query", f"{option('prometheus')} {url}",
                         "check the metric names with --prometheus-query NAME=PROMQL, or pass --infra FILE")
    frame = pd.DataFrame(series).sort_index()
    frame.insert(0, "timestamp", frame.index.to_numpy())
    return _infra_frame(frame.reset_index(drop=True), f"{option('prometheus')} {url}")


def _get_json(open_url, full_url: str, timeout: float, base: str, name: str) -> Dict[str, Any]:
    where = f"--prometheus {base}"
    try:
        with open_url(full_url, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        reason = body.get("error") or exc.reason
        raise MlmonError(f"Prometheus answered HTTP {exc.code} to the {name} query: {reason}", where,
                         "check the URL and the query (--prometheus-query NAME=PROMQL)") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MlmonError(f"cannot reach Prometheus: {reason}", where,
                         "check the URL and that the server is up, or pass --infra FILE") from exc
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise MlmonError("Prometheus answered with something that is not JSON", where,
                         "give the Prometheus server's base URL (the one serving /api/v1/query_range)") from exc


def _number(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


# ---------------------------------------------------------------------------- change events

_TYPE_KEYS = ("type", "kind", "event", "category")
_DESCRIPTION_KEYS = ("description", "message", "summary", "title", "name")


def read_events(path: str) -> List[ChangeEvent]:
    """The change events in ``path``, oldest first; [] when the file lists none (``[]``,
    ``{"events": []}`` or a CSV header alone)."""
    where = f"--events {path}"
    records = _records(path, "--events", list_key="events")
    if isinstance(records, pd.DataFrame):
        records = records.to_dict(orient="records")
    events: List[ChangeEvent] = []
    for i, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise MlmonError(f"event {i} is not an object", where, "write each event as {\"timestamp\": ..., \"type\": ...}")
        rec = {str(k): v for k, v in rec.items() if not (isinstance(v, float) and math.isnan(v))}
        if "timestamp" not in rec:
            raise MlmonError(f"event {i} has no timestamp", where, "give every event a timestamp (ISO 8601 or epoch seconds)")
        ts = to_utc([rec.pop("timestamp")], f"{where}, event {i}").iloc[0]
        etype = next((str(rec.pop(k)) for k in _TYPE_KEYS if k in rec), "change")
        desc = next((str(rec.pop(k)) for k in _DESCRIPTION_KEYS if k in rec), "")
        if not desc:
            desc = ", ".join(f"{k}={v}" for k, v in rec.items()) or etype
        events.append(ChangeEvent(ts, etype.strip().lower().replace(" ", "_").replace("-", "_"), desc,
                                  {k: _plain(v) for k, v in rec.items()}))
    # an empty list is a change log with nothing in it: evidence that nothing changed, not bad input
    return sorted(events, key=lambda e: e.timestamp)


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(path: str, flag: str, list_key: str = "data"):
    """A list of dicts (JSON, JSON Lines) or a DataFrame (CSV) from ``path``."""
    where = f"{flag} {path}"
    if not os.path.exists(path):
        raise MlmonError("file not found", where, "check the path")
    if os.path.isdir(path):
        raise MlmonError("is a directory", where, "give a .csv, .json or .jsonl file")
    try:
        with open(path, "r", encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise MlmonError("file is not valid utf-8", where, "save it as UTF-8") from exc
    except OSError as exc:
        raise MlmonError(f"cannot read the file: {exc.strerror or exc}", where, "check its permissions") from exc
    if not text.strip():
        raise MlmonError("file is empty", where, "give a file with rows")
    lower = path.lower()
    if lower.endswith((".csv", ".tsv", ".txt")):
        try:
            return pd.read_csv(io.StringIO(text), sep="\t" if lower.endswith(".tsv") else ",")
        except (pd.errors.ParserError, ValueError, csv.Error) as exc:
            raise MlmonError(f"cannot parse CSV: {' '.join(str(exc).split())[:160]}", where,
                             "check the header and the number of fields per row") from exc
    if lower.endswith((".jsonl", ".ndjson")):
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as exc:
                    raise MlmonError(f"line {n} is not JSON: {exc.msg}", where, "write one JSON object per line") from exc
        return out
    if lower.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MlmonError(f"not valid JSON: {exc.msg} at line {exc.lineno}", where, "fix the JSON") from exc
        if isinstance(data, dict):
            data = data.get(list_key, data.get("data"))
        if not isinstance(data, list):
            raise MlmonError(f"expected a list of objects (or {{\"{list_key}\": [...]}})", where,
                             "write the rows as a JSON list")
        return data
    raise MlmonError("unknown file type", where, "use .csv, .json or .jsonl")
