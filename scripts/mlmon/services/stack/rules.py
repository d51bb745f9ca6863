"""Prometheus alerting rules: each condition of each tier in ``alerts`` becomes one rule labelled
``severity: <tier>``; the rule's ``for:`` is ``alerts.consecutive_failures`` x the evaluation
interval, the Prometheus reading of "the condition held on that many checks in a row". Each rule
selects the config's model (``model="NAME"``) and keeps the model label, so several models' rules
share one Prometheus and Alertmanager groups their alerts by model."""

from __future__ import annotations

import dataclasses
import re
import string
from typing import Dict, List, Optional, Tuple

from mlmon.errors import option
from mlmon.services.stack.common import (TIERS, StackOptions, model_matcher, number, primary_metrics, prometheus_duration,
                                         prometheus_literal, seconds, slug, template, yaml_text)
from mlmon.services.stack.rule_tests import rules_test

# the conditions only a model server's exporter can show (``mlmon run`` observes every other one
# from batch data): ``--conditions serving`` writes rules for these alone
SERVING_CONDITIONS = ("latency_p99", "latency_p95", "error_rate")
CONDITION_SETS = ("all", "serving")
DEFAULT_LATENCY_TOP_BUCKET = 1.0  # mlmon.exporter.LATENCY_BUCKETS[-1], without importing prometheus_client


def _conditions() -> Dict[str, Dict[str, str]]:
    import yaml

    return yaml.safe_load(template("alert-conditions.yml"))


def _rule_specs(config, options: StackOptions):
    """(tier, condition, threshold seconds-or-ratio, rule dict) for every alertable condition the
    typed config's tiers set."""
    alerts = config.alerts
    catalog = _conditions()
    higher, lower = primary_metrics(config)
    consecutive = int(alerts.consecutive_failures)
    hold = prometheus_duration(consecutive * seconds(options.evaluation_interval, option("evaluation_interval")))
    model = str(config.model.name or "model")
    specs, warnings = [], []
    for tier in TIERS:
        section = alerts.tier(tier)
        given = [f.name for f in dataclasses.fields(section.conditions)
                 if config.given("alerts", tier, "conditions", f.name)]  # what the file sets, not the defaults
        for condition, raw in ((name, getattr(section.conditions, name)) for name in given):
            if options.conditions == "serving" and condition not in SERVING_CONDITIONS:
                continue  # left to `mlmon run`, so it is not sent twice
            entry = catalog.get(condition)
            if entry is None:
                warnings.append(f"alerts.{tier}.conditions.{condition}: no Prometheus metric carries it; "
                                "`mlmon run` alerts on it from the history store")
                continue
            if raw is False or raw is None:
                continue
            threshold = seconds(raw, f"alerts.{tier}.conditions.{condition}") if isinstance(raw, str) else (
                None if raw is True else float(raw))
            if condition.startswith("latency_") and threshold is not None and threshold >= DEFAULT_LATENCY_TOP_BUCKET:
                warnings.append(
                    f"alerts.{tier}.conditions.{condition}: {raw} is at or above the exporter's largest default "
                    f"latency bucket ({DEFAULT_LATENCY_TOP_BUCKET:g}s); histogram_quantile cannot exceed it, so give "
                    "MetricsExporter(latency_buckets=...) buckets beyond the threshold or the rule never fires")
            fill = {"threshold": number(threshold) if threshold is not None else "0", "rate_window": options.rate_window,
                    "model": model_matcher(config),
                    "higher": "|".join(map(re.escape, higher)), "lower": "|".join(map(re.escape, lower))}
            # the template's line breaks become spaces before filling: a model name keeps its own
            expand = lambda text: string.Template(" ".join(text.split())).safe_substitute(fill)  # noqa: E731
            if "expr" in entry:
                expr = expand(entry["expr"])
            else:  # accuracy_drop: one branch per direction that has primary metrics
                expr = " or ".join(expand(entry[f"expr_{side}"])
                                   for side, metrics in (("higher", higher), ("lower", lower)) if metrics)
            rule = {
                "alert": entry["alert"],
                "expr": expr,
                "for": hold,
                "labels": {"severity": tier, "model": prometheus_literal(model), "condition": condition},
                "annotations": {
                    "summary": entry["summary"],
                    "description": string.Template(entry["description"]).safe_substitute(
                        {**fill, "threshold": str(raw) if threshold is not None else "its check"}),
                    "response_time": str(section.response_time),
                },
            }
            if threshold is not None:
                rule["annotations"]["threshold"] = str(raw)
            specs.append((tier, condition, threshold, rule))
    return specs, warnings, hold


def prometheus_rules(config, options: Optional[StackOptions] = None) -> Tuple[str, str, List[str]]:
    """The rules file, its ``promtool test rules`` file, and warnings."""
    options = options or StackOptions()
    specs, warnings, hold = _rule_specs(config, options)
    model = slug(config.model.name or "model")
    groups = {"groups": [{"name": f"mlmon-{model}", "interval": options.evaluation_interval,
                          "rules": [s[3] for s in specs]}]}
    header = ("# Prometheus alerting rules written by `mlmon generate prometheus-rules` from the monitoring\n"
              "# config's alert tiers. `for:` = alerts.consecutive_failures x the evaluation interval.\n"
              "# Check: promtool check rules mlmon.rules.yml; promtool test rules mlmon.rules.test.yml\n")
    return yaml_text(groups, header), rules_test(specs, config, options, hold), warnings


# the synthetic series each condition's test feeds, the labels its alert then carries, the step
