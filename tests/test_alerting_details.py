"""The alert engine's smaller promises, each with its exact expected value: what every
condition reads from a run, what a decision reports, what the store keeps of a rule's state,
and how a rule removed from the config is retired."""

from __future__ import annotations

import os

import pytest

from mlmon.services import alerting
from mlmon.services.alerting import Decision, Observation, Rule, RuleState

SERVING = "not in batch data; alert on the exporter's metrics in Prometheus"


def test_without_drift_or_performance_results_every_condition_says_why_it_is_unobserved():
    assert alerting.observe(None) == {
        "latency_p99": Observation(None, SERVING),
        "latency_p95": Observation(None, SERVING),
        "error_rate": Observation(None, SERVING),
        "traffic_pattern_change": Observation(None, ""),
        "drift_score": Observation(None, "no drift result"),
        "feature_distribution_shift": Observation(None, "no drift result"),
        "new_category_detected": Observation(None, "no drift result"),
        "accuracy_drop": Observation(None, "no performance result"),
    }


def test_new_categories_are_listed_per_column_five_at_most():
    columns = {"country": {"drifted": False, "new_categories": list("ABCDEFG")},
               "device": {"drifted": False, "new_categories": ["tv"]},
               "age": {"drifted": False}}
    obs = alerting.observe({"drift_share": 0.0, "n_drifted": 0, "n_columns": 3, "columns": columns},
                           traffic_change=0.25, traffic_detail="1250 rows vs median 1000")
    assert obs["new_category_detected"] == Observation(2.0, "country: A, B, C, D, E; device: tv")
    assert obs["feature_distribution_shift"] == Observation(0.0, "no feature drifted")
    assert obs["traffic_pattern_change"] == Observation(0.25, "1250 rows vs median 1000")
    none_new = alerting.observe({"drift_share": 0.0, "n_drifted": 0, "n_columns": 1, "columns": {"age": {"drifted": False}}})
    assert none_new["new_category_detected"] == Observation(0.0, "no new category")


def test_observe_passes_the_primary_metrics_to_the_accuracy_drop():
    perf = {"baseline": {"metrics": {"accuracy": 0.9, "f1_score": 0.8}},
            "windows": [{"start": "w1", "metrics": {"accuracy": 0.9, "f1_score": 0.4}}]}
    # f1 fell by half, accuracy not at all: only a rule watching f1 sees it
    assert alerting.observe(None, perf, ["accuracy"])["accuracy_drop"].value == 0.0
    assert alerting.observe(None, perf, ["accuracy", "f1_score"])["accuracy_drop"].value == 0.5


def test_the_performance_services_own_drops_are_used_from_the_latest_assessed_window():
    perf = {"baseline": {"metrics": {"accuracy": 0.9, "f1_score": 0.8}},
            "windows": [
                {"start": "w1", "drops": {"accuracy": 0.5}, "metrics": {"accuracy": 0.45}},
                {"start": "w2", "drops": {"accuracy": 0.25, "f1_score": 0.1}, "severity_basis": "estimated",
                 "metrics": {"accuracy": None}, "estimated": {"accuracy": 0.675, "f1_score": 0.72}},
                {"start": "w3", "drops": {}, "metrics": {}},  # not assessed
            ]}
    assert alerting.accuracy_drop(perf, ["accuracy"]) == Observation(
        0.25, "accuracy 0.675 (estimated) vs baseline 0.9 (window w2)", "estimated")
    realized = {"baseline": None, "windows": [{"start": "w1", "drops": {"accuracy": 0.2, "f1_score": 0.1},
                                               "metrics": {"accuracy": {"value": 0.72}}}]}
    assert alerting.accuracy_drop(realized, ["accuracy"]) == Observation(
        0.2, "accuracy 0.72 (realized) vs baseline n/a (window w1)")


RULE = Rule(key="fraud/drift_score/critical", model="fraud", model_version="3", condition="drift_score",
            tier="critical", threshold=0.5, threshold_text="0.5", notify=("pagerduty", "slack"))


def test_a_decision_reports_its_rule_observation_and_message():
    state = RuleState(consecutive=3, firing=True, notified=True, started_at=10.0, last_fired_at=10.0, last_value=0.75)
    d = Decision(RULE, Observation(0.75, "3 of 4 features drifted"), True, state, "firing", "firing",
                 {"status": "firing"})
    assert d.to_dict() == {
        "key": "fraud/drift_score/critical", "condition": "drift_score", "tier": "critical", "threshold": 0.5,
        "threshold_text": "0.5", "rule": "drift_score > 0.5", "value": 0.75, "detail": "3 of 4 features drifted", "estimated": False,
        "breached": True, "consecutive": 3, "clean": 0, "status": "firing", "notify": ["pagerduty", "slack"],
        "message": "firing"}
    quiet = Decision(RULE, Observation(0.75, "3 of 4 features drifted"), True, state, "firing")
    assert (quiet.to_dict()["notify"], quiet.to_dict()["message"]) == ([], None)


def test_a_rules_state_round_trips_through_its_store_row():
    state = RuleState(consecutive=4, firing=True, notified=True, started_at=100.0, last_fired_at=200.0, last_value=0.8)
    row = alerting.state_row(Decision(RULE, Observation(0.8, ""), True, state, "firing"), now=300.0)
    assert row == {"key": RULE.key, "model": "fraud", "rule": "drift_score", "tier": "critical", "consecutive": 4,
                   "firing": True, "notified": True, "started_at": 100.0, "last_fired_at": 200.0, "last_value": 0.8,
                   "threshold": 0.5, "updated_at": 300.0, "clean": 0}
    assert alerting.state_from_row(row) == state


def _row(key, *, firing=True, notified=True, threshold=0.5, model="fraud"):
    return {"key": key, "model": model, "rule": key.split("/")[1], "tier": key.split("/")[2], "consecutive": 3,
            "firing": int(firing), "notified": int(notified), "started_at": 100.0, "last_fired_at": 200.0,
            "last_value": 0.75, "threshold": threshold, "updated_at": 200.0}


def test_a_removed_firing_rule_is_resolved_on_the_channels_that_heard_it_fire():
    key = "fraud/drift_score/critical"
    (d,) = alerting.retire({key: _row(key)}, [], "fraud", {key: ["slack", "pagerduty"]}, now=400.0)
    assert (d.status, d.send, d.breached) == ("retired", "resolved", None)
    assert d.observation == Observation(0.75, "rule removed from the config")
    assert (d.rule.threshold, d.rule.threshold_text, d.rule.notify, d.rule.tier) == (0.5, "0.5", ("pagerduty", "slack"),
                                                                                      "critical")
    assert d.state == RuleState(consecutive=0, firing=False, notified=False, started_at=100.0, last_fired_at=200.0,
                                last_value=0.75)
    m = d.message
    assert (m["status"], m["summary"], m["starts_at"], m["ends_at"], m["value"]) == (
        "resolved", "[CRITICAL] fraud: drift_score resolved (rule removed from the config)",
        "1970-01-01T00:01:40Z", "1970-01-01T00:06:40Z", 0.75)
    assert "run_date" not in m  # no context given: nothing added


@pytest.mark.parametrize("firing, notified, told", [(True, False, ["slack"]), (False, True, ["slack"]), (True, True, [])])
def test_a_removed_rule_sends_nothing_unless_it_fired_was_announced_and_someone_heard_it(firing, notified, told):
    key = "fraud/drift_score/critical"
    (d,) = alerting.retire({key: _row(key, firing=firing, notified=notified)}, [], "fraud", {key: told}, now=400.0)
    assert (d.status, d.send, d.message) == ("retired", None, None)


def test_retiring_keeps_live_rules_and_other_models_and_reads_a_missing_threshold_as_zero():
    live = "fraud/drift_score/critical"
    gone = "fraud/accuracy_drop/warning"
    other = "churn/drift_score/critical"
    rows = {live: _row(live), gone: _row(gone, threshold=None), other: _row(other, model="churn")}
    (d,) = alerting.retire(rows, [RULE], "fraud", {}, now=400.0, context={"run_date": "2026-01-01"})
    assert (d.rule.key, d.rule.threshold, d.rule.threshold_text, d.rule.notify) == (gone, 0.0, "0", ())


def test_a_drop_is_rounded_to_12_digits_and_named_against_the_baseline():
    # the service's own drop, rounded so that 0.9 -> 0.72 reads 0.2, not 0.19999999999999996
    perf = {"baseline": {"metrics": {"accuracy": 0.9}},
            "windows": [{"start": "w1", "drops": {"accuracy": 0.1234567890123456}, "metrics": {"accuracy": 0.79}}]}
    assert alerting.accuracy_drop(perf, ["accuracy"]).value == 0.123456789012
    # without the service's drops: computed from the metrics, named against the baseline
    perf = {"baseline": {"metrics": {"accuracy": 0.9}}, "windows": [{"start": "d1", "metrics": {"accuracy": 0.72}}]}
    assert alerting.accuracy_drop(perf, ["accuracy"]) == Observation(0.2, "accuracy 0.72 vs baseline 0.9 (window d1)")


def test_accuracy_drop_from_metrics_skips_a_zero_baseline_and_names_the_first_of_equal_drops():
    perf = {"baseline": {"metrics": {"f1_score": 0.0, "accuracy": 1.0, "recall": 0.5}},
            "windows": [{"start": "d1", "metrics": {"f1_score": 0.2, "accuracy": 0.5, "recall": 0.25}}]}
    # f1's baseline is 0: no relative drop; accuracy and recall both fell by half: the first named counts
    assert alerting.accuracy_drop(perf, ["f1_score", "accuracy", "recall"]) == Observation(
        0.5, "accuracy 0.5 vs baseline 1 (window d1)")
    # (0.9 - 0.8) / 0.9 = 0.1111111111111111, rounded to 12 digits
    perf = {"baseline": {"metrics": {"accuracy": 0.9}}, "windows": [{"start": "d1", "metrics": {"accuracy": 0.8}}]}
    assert alerting.accuracy_drop(perf, ["accuracy"]).value == 0.111111111111


def test_without_a_baseline_one_labeled_window_is_not_enough():
    perf = {"baseline": None, "windows": [{"start": "d1", "metrics": {"accuracy": 0.9}}]}
    assert alerting.accuracy_drop(perf, ["accuracy"]) == Observation(None, "no baseline and a single labeled window")


def test_no_primary_metric_on_both_sides_is_unobserved():
    perf = {"baseline": {"metrics": {"accuracy": 0.9}}, "windows": [{"start": "d1", "metrics": {"f1_score": 0.5}}]}
    assert alerting.accuracy_drop(perf, ["f1_score"]) == Observation(
        None, "no primary metric in both the baseline and the latest window")


def test_message_summaries_show_seconds_for_latency_and_a_question_mark_for_no_value():
    latency = Rule(key="fraud/latency_p99/warning", model="fraud", model_version=None, condition="latency_p99",
                   tier="warning", threshold=2.0, threshold_text="2s", notify=("slack",))
    firing = Decision(latency, Observation(2.5, ""), True, RuleState(consecutive=3, firing=True), "firing", "firing")
    m = alerting.message(firing, 3600.0, {})
    assert m["summary"] == "[WARNING] fraud: latency_p99 2.5s above 2s"
    # no start recorded: the episode starts now
    assert (m["starts_at"], m["ends_at"], m["sent_for"]) == ("1970-01-01T01:00:00Z", None, "1970-01-01T01:00:00Z")
    resolved = Decision(RULE, Observation(None, ""), None, RuleState(started_at=0.0), "resolved", "resolved")
    m = alerting.message(resolved, 7200.0, {})
    assert m["summary"] == "[CRITICAL] fraud: drift_score ? no longer above 0.5 (resolved)"
    assert (m["starts_at"], m["ends_at"]) == ("1970-01-01T00:00:00Z", "1970-01-01T02:00:00Z")


def test_rules_carry_the_configs_texts_version_and_response_time():
    import hashlib

    config = {"model": {"version": 7},  # no name: the model is called "model"
              "alerts": {"critical": {"conditions": {"drift_score": 0.5, "feature_distribution_shift": True,
                                                     "accuracy_drop": 1},
                                      "notify": ["slack"], "response_time": "15m"}}}
    rules = {r.condition: r for r in alerting.rules_from_config(config)}
    assert {c: (r.key, r.model, r.model_version, r.threshold, r.threshold_text, r.response_time)
            for c, r in rules.items()} == {
        "drift_score": ("model/drift_score/critical", "model", "7", 0.5, "0.5", "15m"),
        "feature_distribution_shift": ("model/feature_distribution_shift/critical", "model", "7", 0.0, "true", "15m"),
        "accuracy_drop": ("model/accuracy_drop/critical", "model", "7", 1.0, "1", "15m"),
    }
    assert alerting.fingerprint("model/drift_score/critical") == hashlib.sha256(
        b"model/drift_score/critical").hexdigest()[:16]


def test_each_step_reports_whether_the_rule_breached():
    rule = RULE
    seen = {}
    state = RuleState()
    for now, value in enumerate([0.9, 0.9, 0.9, 0.9, 0.1]):
        (d,) = alerting.evaluate([rule], {"drift_score": Observation(value, "")}, {rule.key: state}, now * 10000.0)
        seen[d.status] = seen.get(d.status, d.breached)
        state = d.state
    # pending twice, firing, firing again after the cooldown (a repeat), then resolved
    assert seen == {"pending": True, "firing": True, "resolved": False}
    assert (state.firing, state.notified, state.last_value) == (False, False, 0.1)
    (quiet,) = alerting.evaluate([rule], {"drift_score": Observation(0.9, "")},
                                 {rule.key: RuleState(consecutive=5, firing=True, notified=False, last_fired_at=0.0)}, 10.0)
    assert (quiet.status, quiet.breached, quiet.send) == ("silenced", True, None)
    (unobserved,) = alerting.evaluate([rule], {}, {rule.key: RuleState(firing=True)}, 10.0)
    assert (unobserved.status, unobserved.breached, unobserved.observation) == (
        "firing", None, Observation(None, "not observed"))
    warning = Rule(key="fraud/drift_score/warning", model="fraud", model_version="3", condition="drift_score",
                   tier="warning", threshold=0.2, threshold_text="0.2", notify=("slack",))
    states = {RULE.key: RuleState(consecutive=5, firing=True, notified=True, last_fired_at=0.0),
              warning.key: RuleState(consecutive=5, firing=True, notified=False)}
    crit, warn = alerting.evaluate([warning, RULE], {"drift_score": Observation(0.9, "x")}, states, 10.0)
    assert (warn.status, warn.breached, warn.observation) == ("inhibited", True, Observation(0.9, "x"))


def test_a_firing_message_in_full():
    rule = Rule(key="fraud/drift_score/critical", model="fraud", model_version="3", condition="drift_score",
                tier="critical", threshold=0.5, threshold_text="0.5", notify=("slack",), response_time="15m")
    d = Decision(rule, Observation(0.75, "3 of 4 features drifted"), True,
                 RuleState(consecutive=3, firing=True, notified=True, started_at=60.0), "firing", "firing")
    m = alerting.message(d, 120.0, {"run_date": "2026-01-01", "current_path": None})
    assert m == {
        "schema_version": alerting.SCHEMA_VERSION, "key": rule.key, "fingerprint": alerting.fingerprint(rule.key),
        "status": "firing", "repeat": False, "model": "fraud", "model_version": "3", "condition": "drift_score",
        "tier": "critical", "value": 0.75, "threshold": 0.5, "threshold_text": "0.5", "rule": "drift_score > 0.5",
        "consecutive": 3, "detail": "3 of 4 features drifted", "estimated": False,
        "summary": "[CRITICAL] fraud: drift_score 0.75 above 0.5", "response_time": "15m",
        "starts_at": "1970-01-01T00:01:00Z", "ends_at": None, "sent_for": "1970-01-01T00:02:00Z",
        "run_date": "2026-01-01"}


def test_a_model_without_a_version_has_rules_without_one():
    config = {"model": {"name": "fraud"}, "alerts": {"warning": {"conditions": {"drift_score": 0.3}}}}
    (rule,) = alerting.rules_from_config(config)
    # the tier's response time is the schema's default for a warning when the config is silent
    assert (rule.model, rule.model_version, rule.notify, rule.response_time) == ("fraud", None, (), "4h")


def test_alert_times_are_utc_whatever_the_machines_time_zone(tmp_path):
    """A scheduler on a machine set to Tokyo or Los Angeles writes the same UTC times (the Z
    means it); checked in fresh interpreters with TZ set, since the zone is read at start."""
    import subprocess
    import sys

    code = ("from mlmon.services.alerting.messages import iso; from mlmon.services.scheduled import data_time;"
            "from datetime import date; print(iso(1767225600.5), iso(data_time(date(2026, 3, 29))))")
    seen = set()
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/London"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "TZ": zone}).stdout.strip()
        seen.add(out)
    # 1767225600 is 2026-01-01T00:00:00Z; the end of 2026-03-29 (a DST change in Europe) is midnight UTC after it
    assert seen == {"2026-01-01T00:00:00Z 2026-03-30T00:00:00Z"}
