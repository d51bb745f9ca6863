"""The ``promtool test rules`` file for the generated rules: for each condition, synthetic series
of the config's model that breach every tier's threshold (and, where the condition reads batch
results or errors, another model's series that breach too and must raise nothing), and the alerts
expected pending, then firing, with their labels and annotations expanded as Prometheus expands
them."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from mlmon.errors import option
from mlmon.services.stack.common import (StackOptions, primary_metrics, prometheus_duration, promql_string, seconds,
                                         yaml_text)

# from which its expression holds, and the value the expression then has (None: not in the summary)
def _test_input(condition: str, thresholds: List[float], config, step: float):
    top = max(thresholds) if thresholds else 0.0
    name = str(config.model.name or "model")
    model = {"model": name, "version": "v"}  # the labels mlmon serve and the exporter put on every series
    if condition == "accuracy_drop":
        higher, lower = primary_metrics(config)
        labels = {**model, "metric": (higher or lower)[0], "window": "1d", "source": "realized"}
        value = (1 - top) / 2 if higher else 2 + 2 * top
        return ([_series("ml_model_metric", labels, f"{value!r}x60"),
                 _series("ml_model_baseline_metric", {**model, "metric": labels["metric"]}, "1x60"),
                 # another model on the same Prometheus, as bad: its alert is not this rule's
                 _series("ml_model_metric", {**labels, "model": "other"}, f"{value!r}x60"),
                 _series("ml_model_baseline_metric", {**model, "model": "other", "metric": labels["metric"]}, "1x60")],
                labels, 0, 1 - value if higher else value - 1)
    if condition in ("latency_p99", "latency_p95"):
        edges = [top / 2, top * 2, top * 4]  # every observation lands in (2t, 4t]: the quantile is above t
        q = 0.99 if condition == "latency_p99" else 0.95
        series = [_series("ml_prediction_latency_seconds_bucket", {**model, "le": _le(e)}, "0x60") for e in edges[:2]]
        series += [_series("ml_prediction_latency_seconds_bucket", {**model, "le": le}, "0+60x60") for le in (_le(edges[2]), "+Inf")]
        return series, model, 1, edges[1] + (edges[2] - edges[1]) * q
    if condition == "error_rate":
        share = (1 + top) / 2
        return ([_series("ml_predictions_total", {**model, "status": "error"}, f"0+{share * 100!r}x60"),
                 _series("ml_predictions_total", {**model, "status": "success"}, f"0+{(1 - share) * 100!r}x60"),
                 _series("ml_predictions_total", {**model, "model": "other", "status": "error"}, "0+100x60")],
                model, 1, share)
    if condition == "drift_score":
        return ([_series("ml_drift_share_ratio", model, f"{(1 + top) / 2!r}x60"),
                 _series("ml_drift_share_ratio", {**model, "model": "other"}, "1x60")],
                model, 0, (1 + top) / 2)
    if condition == "feature_distribution_shift":
        labels = {**model, "drift_type": "psi", "feature": "amount"}
        return ([_series("ml_drift_detected", labels, "1x60"), _series("ml_drift_detected", {**labels, "model": "other"}, "1x60")],
                labels, 0, None)
    if condition == "traffic_pattern_change":  # a day at 10 per step, then 100 times that
        day = int(86400 / step)
        return ([_series("ml_predictions_total", {**model, "status": "success"},
                         f"0+10x{day} {10 * day}+1000x60")], {"model": name}, day + 1, None)
    raise AssertionError(condition)


def humanize_percentage(value: float) -> str:
    """Prometheus's ``humanizePercentage`` template function (Go ``%.4g``).

    >>> humanize_percentage(0.575), humanize_percentage(0.75)
    ('57.5%', '75%')
    """
    return f"{value * 100:.4g}%"


def humanize_duration(value: float) -> str:
    """Prometheus's ``humanizeDuration`` for the values a latency alert shows.

    >>> humanize_duration(7.96), humanize_duration(0.8), humanize_duration(90.0)
    ('7.96s', '800ms', '1m 30s')
    """
    if abs(value) >= 1:
        whole = int(abs(value))
        days, hours, minutes, seconds = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        sign = "-" if value < 0 else ""
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{value:.4g}s"
    prefix = ""
    for p in ("m", "u", "n", "p"):
        if abs(value) >= 1 or value == 0:
            break
        prefix, value = p, value * 1000
    return f"{value:.4g}{prefix}s"


def _expand(template: str, labels: Dict[str, str], value: Optional[float]) -> str:
    """An annotation as Prometheus expands it, for the few template forms the catalog uses."""
    # a literal "{{" or "}}" (prometheus_literal) comes out as itself, in the one pass Prometheus makes
    text = re.sub(r'\{\{ "(\{\{|\}\})" \}\}|\{\{ \$labels\.(\w+) \}\}',
                  lambda m: m.group(1) or labels.get(m.group(2), ""), template)
    if value is not None:
        text = text.replace("{{ $value | humanizePercentage }}", humanize_percentage(value))
        text = text.replace("{{ $value | humanizeDuration }}", humanize_duration(value))
    return text


def _le(value: float) -> str:
    return repr(float(value))


def _series(name: str, labels: Dict[str, str], values: str) -> Dict[str, str]:
    inner = ", ".join(f"{k}={promql_string(v)}" for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}" if inner else name, "values": values}


def rules_test(specs, config, options: StackOptions, hold: str) -> str:
    step = seconds(options.evaluation_interval, option("evaluation_interval"))
    hold_seconds = seconds(hold, "for")
    by_condition: Dict[str, List[Tuple[str, Optional[float], Dict[str, Any]]]] = {}
    for tier, condition, threshold, rule in specs:
        by_condition.setdefault(condition, []).append((tier, threshold, rule))
    tests = []
    for condition, entries in by_condition.items():
        thresholds = [t for _, t, _ in entries if t is not None]
        series, labels, first_step, value = _test_input(condition, thresholds, config, step)
        alertname = entries[0][2]["alert"]
        # the expression holds from first_step on: half a step later the alert is pending (promtool
        # compares with the evaluation at first_step), and it fires `hold` after first_step. A whole
        # step later would already be firing with consecutive_failures: 1 (hold = one step)
        pending_at = (first_step + 0.5) * step
        firing_at = first_step * step + hold_seconds
        expected = []
        for _tier, _threshold, rule in entries:
            alert_labels = {k: _expand(v, {}, None) for k, v in {**labels, **rule["labels"]}.items()}
            annotations = {k: _expand(v, alert_labels, value) for k, v in rule["annotations"].items()}
            expected.append({"exp_labels": alert_labels, "exp_annotations": annotations})
        tests.append({
            "name": f"{condition}: pending, then firing after {hold}",
            "interval": options.evaluation_interval,
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": prometheus_duration(pending_at), "alertname": alertname, "exp_alerts": []},
                {"eval_time": prometheus_duration(firing_at), "alertname": alertname, "exp_alerts": expected},
            ],
            "promql_expr_test": [{
                "expr": f'count(ALERTS{{alertname="{alertname}", alertstate="pending"}})',
                "eval_time": prometheus_duration(pending_at),
                "exp_samples": [{"labels": "{}", "value": len(entries)}],
            }],
        })
    header = ("# Unit tests of mlmon.rules.yml on synthetic series: each alert is pending first, then firing.\n"
              "# Run: promtool test rules mlmon.rules.test.yml\n")
    return yaml_text({"rule_files": ["mlmon.rules.yml"], "evaluation_interval": options.evaluation_interval,
                  "tests": tests}, header)
