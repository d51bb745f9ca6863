"""What a run observed for each condition: drift, performance, traffic, new categories."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, NamedTuple, Optional, Tuple

from mlmon.stats.direction import relative_drop


class Observation(NamedTuple):
    """A condition's observed value in one run (None: not observed) and how it was found."""

    value: Optional[float]
    detail: str
    source: Optional[str] = None  # "estimated" when the value is an estimate made before the labels


NAMED_FEATURES = 10  # drifted features a message names; the rest are counted


def observe(drift: Optional[Mapping[str, Any]], perf: Optional[Mapping[str, Any]] = None,
            primary: Iterable[str] = (), traffic_change: Optional[float] = None,
            traffic_detail: str = "") -> Dict[str, Observation]:
    """What a run's drift and performance results say about each condition.

    ``primary`` names the metrics ``accuracy_drop`` watches; ``traffic_change`` is the relative
    change of the row count against recent runs (None: too few runs to say). Latency and error
    rate come from serving metrics, not from batch data, so they stay unobserved here.
    """
    obs: Dict[str, Observation] = {
        "latency_p99": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "latency_p95": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "error_rate": Observation(None, "not in batch data; alert on the exporter's metrics in Prometheus"),
        "traffic_pattern_change": Observation(traffic_change, traffic_detail),
    }
    if drift is not None:
        drifted = sorted(n for n, c in drift["columns"].items() if c["drifted"])
        named = ", ".join(drifted[:NAMED_FEATURES]) + (f" and {len(drifted) - NAMED_FEATURES} more"
                                                       if len(drifted) > NAMED_FEATURES else "")
        obs["drift_score"] = Observation(
            drift["drift_share"], f"{drift['n_drifted']} of {drift['n_columns']} features drifted"
                                  + (f": {named}" if drifted else ""))
        obs["feature_distribution_shift"] = Observation(
            float(len(drifted)), "drifted: " + ", ".join(drifted) if drifted else "no feature drifted")
        new = {n: c.get("new_categories") for n, c in drift["columns"].items() if c.get("new_categories")}
        obs["new_category_detected"] = Observation(
            float(len(new)),
            "; ".join(f"{n}: {', '.join(map(str, v[:5]))}" for n, v in sorted(new.items())) or "no new category")
    else:
        for c in ("drift_score", "feature_distribution_shift", "new_category_detected"):
            obs[c] = Observation(None, "no drift result")
    obs["accuracy_drop"] = accuracy_drop(perf, primary)
    return obs


def _value(x: Any) -> Optional[float]:
    if isinstance(x, Mapping):
        x = x.get("value")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def _g(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.6g}"


def accuracy_drop(perf: Optional[Mapping[str, Any]], primary: Iterable[str]) -> Observation:
    """The largest relative drop of a primary metric in the latest labeled window from the baseline
    (the previous labeled window when there is no baseline); a rise for lower-is-better metrics.
    Where the performance service reports per-window ``drops``, the latest assessed window's are
    used as they are.

    accuracy 0.9 -> 0.72 is a drop of (0.9 - 0.72) / 0.9 = 0.2; log_loss 0.2 -> 0.22 a rise of 0.1:

    >>> perf = {"baseline": {"metrics": {"accuracy": 0.9, "log_loss": 0.2}},
    ...         "windows": [{"start": "d1", "metrics": {"accuracy": 0.72, "log_loss": 0.22}}]}
    >>> accuracy_drop(perf, ["accuracy", "log_loss"])
    Observation(value=0.2, detail='accuracy 0.72 vs baseline 0.9 (window d1)', source=None)
    """
    if perf is None:
        return Observation(None, "no performance result")
    assessed = [w for w in perf.get("windows") or [] if w.get("drops")]
    if assessed:  # the performance service measured the drops itself (realized or estimated)
        w = assessed[-1]
        metric, drop = max(w["drops"].items(), key=lambda kv: kv[1])
        basis = w.get("severity_basis") or "realized"
        values = (w.get("estimated") if basis == "estimated" else w.get("metrics")) or {}
        base = ((perf.get("baseline") or {}).get("metrics") or {}).get(metric)
        return Observation(round(drop, 12), f"{metric} {_g(_value(values.get(metric)))} ({basis}) vs baseline "
                                            f"{_g(_value(base))} (window {w.get('start')})",
                           "estimated" if basis == "estimated" else None)
    primary = list(primary)
    labeled = [w for w in perf.get("windows") or []
               if any(_value((w.get("metrics") or {}).get(m)) is not None for m in primary)]
    if not labeled:
        return Observation(None, "no labeled window")
    latest = labeled[-1]
    if perf.get("baseline"):
        base, base_name = perf["baseline"].get("metrics") or {}, "baseline"
    elif len(labeled) > 1:
        base, base_name = labeled[-2].get("metrics") or {}, "previous window"
    else:
        return Observation(None, "no baseline and a single labeled window")
    worst: Optional[Tuple[float, str]] = None
    for m in primary:
        b, c = _value(base.get(m)), _value((latest.get("metrics") or {}).get(m))
        if b is None or c is None or b == 0:
            continue
        drop = relative_drop(m, b, c)
        drop = round(drop, 12)  # 0.9 -> 0.72 is a drop of 0.2, not 0.19999999999999996
        if worst is None or drop > worst[0]:
            worst = (drop, f"{m} {c:.6g} vs {base_name} {b:.6g} (window {latest.get('start')})")
    if worst is None:
        return Observation(None, "no primary metric in both the baseline and the latest window")
    return Observation(worst[0], worst[1])
