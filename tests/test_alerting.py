"""The alert engine: rules from the config's tiers, consecutive breaches, cooldown, resolution,
inhibition, and state kept in the history store. Every decision runs on an injected clock."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon.services import alerting
from mlmon.services.alerting import Observation, RuleState, evaluate, rules_from_config
from mlmon.services.config import load_config
from mlmon.store.history import HistoryStore
from mlmon_testing import ROOT

HOUR = 3600.0


def config(consecutive=3, cooldown="1h", **tiers):
    tiers = tiers or {"critical": {"conditions": {"drift_score": 0.5}, "notify": ["slack"]}}
    return {"model": {"name": "fraud", "version": "2"},
            "alerts": {"consecutive_failures": consecutive, "cooldown": cooldown, **tiers}}


def drive(rules, values, times, consecutive=3, cooldown=HOUR, condition="drift_score", resolve_after=1):
    """Step the rules once per (value, time); returns the decisions of every step."""
    states, steps = {}, []
    for value, now in zip(values, times):
        decisions = evaluate(rules, {condition: Observation(value, "")}, states, now, consecutive, cooldown,
                             resolve_after=resolve_after)
        states = {d.rule.key: d.state for d in decisions}
        steps.append(decisions)
    return steps


def messages(steps):
    return [(i, d.rule.tier, d.message["status"], d.message["repeat"])
            for i, decisions in enumerate(steps) for d in decisions if d.message]


# ---------------------------------------------------------------------------- rules


def test_rules_from_the_default_config_carry_each_tiers_real_thresholds():
    rules = {r.key: r for r in rules_from_config(load_config(str(ROOT / "assets" / "config.yaml")).as_dict())}
    assert sorted(rules) == sorted([
        "fraud-detector/accuracy_drop/critical", "fraud-detector/latency_p99/critical",
        "fraud-detector/error_rate/critical", "fraud-detector/drift_score/critical",
        "fraud-detector/accuracy_drop/warning", "fraud-detector/latency_p95/warning",
        "fraud-detector/error_rate/warning", "fraud-detector/drift_score/warning",
        "fraud-detector/feature_distribution_shift/info", "fraud-detector/traffic_pattern_change/info",
        "fraud-detector/new_category_detected/info",
    ])
    assert (rules["fraud-detector/latency_p99/critical"].threshold, rules["fraud-detector/latency_p99/critical"].threshold_text) == (2.0, "2s")
    assert (rules["fraud-detector/latency_p95/warning"].threshold, rules["fraud-detector/latency_p95/warning"].threshold_text) == (0.5, "500ms")
    assert rules["fraud-detector/accuracy_drop/warning"].threshold == 0.05
    assert rules["fraud-detector/drift_score/critical"].notify == ("pagerduty", "slack")
    assert rules["fraud-detector/new_category_detected/info"].threshold == 0.0
    assert rules["fraud-detector/traffic_pattern_change/info"].threshold == alerting.TRAFFIC_CHANGE


def test_a_boolean_condition_set_to_false_makes_no_rule():
    cfg = config(info={"conditions": {"feature_distribution_shift": False, "new_category_detected": True}})
    assert [r.condition for r in rules_from_config(cfg)] == ["new_category_detected"]


# ---------------------------------------------------------------------------- firing and cooldown


def test_fires_on_the_third_breach_in_a_row_not_before():
    steps = drive(rules_from_config(config()), [0.6, 0.7, 0.8], [0, 60, 120])
    assert [s[0].status for s in steps] == ["pending", "pending", "firing"]
    assert [s[0].state.consecutive for s in steps] == [1, 2, 3]
    msg = steps[2][0].message
    assert (msg["status"], msg["value"], msg["threshold"], msg["threshold_text"]) == ("firing", 0.8, 0.5, "0.5")
    assert msg["key"] == "fraud/drift_score/critical" and msg["starts_at"] == "1970-01-01T00:02:00Z"
    assert msg["summary"] == "[CRITICAL] fraud: drift_score 0.8 above 0.5"


def test_a_break_in_the_streak_starts_the_count_again():
    steps = drive(rules_from_config(config()), [0.6, 0.7, 0.1, 0.6, 0.6], [0, 1, 2, 3, 4])
    assert [s[0].state.consecutive for s in steps] == [1, 2, 0, 1, 2]
    assert messages(steps) == []


def test_equal_to_the_threshold_is_not_a_breach():
    (step,) = drive(rules_from_config(config(consecutive=1)), [0.5], [0])
    assert step[0].breached is False and step[0].status == "ok"


def test_no_second_message_within_the_cooldown_and_a_reminder_after_it():
    steps = drive(rules_from_config(config(consecutive=1)), [0.6] * 4, [0, 1800, 3599, 3600], consecutive=1)
    assert messages(steps) == [(0, "critical", "firing", False), (3, "critical", "firing", True)]


def test_recovery_sends_one_resolved_message_with_its_end_time():
    steps = drive(rules_from_config(config(consecutive=1)), [0.6, 0.6, 0.1, 0.1], [0, 10, 20, 30], consecutive=1)
    assert messages(steps) == [(0, "critical", "firing", False), (2, "critical", "resolved", False)]
    resolved = steps[2][0].message
    assert (resolved["starts_at"], resolved["ends_at"], resolved["value"]) == (
        "1970-01-01T00:00:00Z", "1970-01-01T00:00:20Z", 0.1)
    assert resolved["summary"] == "[CRITICAL] fraud: drift_score 0.1 no longer above 0.5 (resolved)"


def test_flapping_inside_the_cooldown_stays_silent_and_resolves_silently():
    steps = drive(rules_from_config(config(consecutive=1)), [0.6, 0.1, 0.6, 0.1, 0.6],
                  [0, 60, 120, 180, 3700], consecutive=1)
    assert [s[0].status for s in steps] == ["firing", "resolved", "silenced", "resolved", "firing"]
    assert messages(steps) == [(0, "critical", "firing", False), (1, "critical", "resolved", False),
                               (4, "critical", "firing", False)]


def test_a_silenced_alert_is_announced_once_the_cooldown_ends_if_still_breaching():
    steps = drive(rules_from_config(config(consecutive=1)), [0.6, 0.1, 0.6, 0.6], [0, 60, 120, 3600], consecutive=1)
    assert messages(steps)[-1] == (3, "critical", "firing", False)


def test_an_unobserved_condition_keeps_its_state():
    rules = rules_from_config(config())
    state = RuleState(consecutive=2, last_value=0.7)
    (d,) = evaluate(rules, {"drift_score": Observation(None, "no drift result")}, {"fraud/drift_score/critical": state}, 0)
    assert d.status == "unobserved" and d.state == state and d.message is None
    (d,) = evaluate(rules, {}, {"fraud/drift_score/critical": state}, 0)
    assert d.state == state


def test_evaluate_does_not_modify_the_states_it_is_given():
    state = RuleState(consecutive=2)
    evaluate(rules_from_config(config()), {"drift_score": Observation(0.9, "")}, {"fraud/drift_score/critical": state}, 0)
    assert state == RuleState(consecutive=2)


def test_a_critical_inhibits_the_warning_of_the_same_condition_until_it_resolves():
    cfg = config(consecutive=1,
                 critical={"conditions": {"drift_score": 0.5}, "notify": ["pagerduty"]},
                 warning={"conditions": {"drift_score": 0.2}, "notify": ["slack"]})
    steps = drive(rules_from_config(cfg), [0.6, 0.3, 0.1], [0, 10, 20], consecutive=1)
    assert [(d.rule.tier, d.status) for d in steps[0]] == [("critical", "firing"), ("warning", "inhibited")]
    assert [(d.rule.tier, d.status) for d in steps[1]] == [("critical", "resolved"), ("warning", "firing")]
    # the warning was never silenced by a cooldown: inhibition queued nothing, so it is announced now
    assert messages(steps) == [(0, "critical", "firing", False), (1, "critical", "resolved", False),
                               (1, "warning", "firing", False), (2, "warning", "resolved", False)]


def test_the_dedup_key_and_fingerprint_are_stable_across_runs_and_thresholds():
    a = rules_from_config(config(critical={"conditions": {"drift_score": 0.5}}))[0]
    b = rules_from_config(config(critical={"conditions": {"drift_score": 0.7}}))[0]
    assert a.key == b.key == "fraud/drift_score/critical"
    assert alerting.fingerprint(a.key) == alerting.fingerprint(b.key)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=40), st.integers(1, 4))
def test_without_cooldown_one_firing_per_long_enough_streak_and_one_resolved_per_ended_streak(breaches, n):
    steps = drive(rules_from_config(config(consecutive=n, cooldown="0s")), [0.9 if b else 0.1 for b in breaches],
                  range(len(breaches)), consecutive=n, cooldown=0.0)
    streaks = [len(list(g)) for k, g in itertools.groupby(breaches) if k]
    long_enough = sum(1 for s in streaks if s >= n)
    ended = long_enough - (1 if breaches and breaches[-1] and streaks and streaks[-1] >= n else 0)
    sent = [m for m in messages(steps) if not m[3]]
    assert sum(1 for m in sent if m[2] == "firing") == long_enough
    assert sum(1 for m in sent if m[2] == "resolved") == ended
    # a reminder every check while firing: cooldown 0 means no quiet time at all
    statuses = [m[2] for m in sent]
    assert all(a != b for a, b in zip(statuses, statuses[1:]))  # firing and resolved alternate


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=40))
def test_within_one_cooldown_at_most_one_firing_message(breaches):
    steps = drive(rules_from_config(config(consecutive=1)), [0.9 if b else 0.1 for b in breaches],
                  range(len(breaches)), consecutive=1, cooldown=HOUR)
    firings = [m for m in messages(steps) if m[2] == "firing"]
    resolved = [m for m in messages(steps) if m[2] == "resolved"]
    assert len(firings) == (1 if any(breaches) else 0)
    assert len(resolved) <= len(firings)


# ---------------------------------------------------------------------------- resolve_after

DAY = 86400.0
FLAPPING = [0.6, 0.1, 0.6, 0.1, 0.6, 0.1]  # breach, clean, breach, clean, ... (threshold 0.5)


def test_a_flapping_condition_with_resolve_after_2_never_resolves():
    steps = drive(rules_from_config(config(consecutive=1)), FLAPPING, [k * DAY for k in range(6)],
                  consecutive=1, cooldown=HOUR, resolve_after=2)
    assert [s[0].status for s in steps] == ["firing", "clearing", "firing", "clearing", "firing", "clearing"]
    assert [s[0].state.clean for s in steps] == [0, 1, 0, 1, 0, 1]
    assert all(s[0].state.firing for s in steps)
    # one incident: announced once, then a reminder on each breaching day (the 1h cooldown has passed)
    assert messages(steps) == [(0, "critical", "firing", False), (2, "critical", "firing", True),
                               (4, "critical", "firing", True)]
    # the clean checks are not breaches: the run's severity does not count them
    assert [s[0].breached for s in steps] == [True, False] * 3


def test_a_flapping_condition_with_resolve_after_1_resolves_each_time_as_before():
    steps = drive(rules_from_config(config(consecutive=1)), FLAPPING, [k * DAY for k in range(6)],
                  consecutive=1, cooldown=HOUR, resolve_after=1)
    assert [s[0].status for s in steps] == ["firing", "resolved"] * 3
    assert messages(steps) == [(0, "critical", "firing", False), (1, "critical", "resolved", False),
                               (2, "critical", "firing", False), (3, "critical", "resolved", False),
                               (4, "critical", "firing", False), (5, "critical", "resolved", False)]
    # the default is today's behaviour
    default = drive(rules_from_config(config(consecutive=1)), FLAPPING, [k * DAY for k in range(6)],
                    consecutive=1, cooldown=HOUR)
    assert messages(default) == messages(steps)


def test_resolve_after_2_resolves_on_the_second_clean_check_in_a_row():
    steps = drive(rules_from_config(config(consecutive=1)), [0.6, 0.1, 0.1, 0.1], [0, 60, 120, 180],
                  consecutive=1, resolve_after=2)
    assert [s[0].status for s in steps] == ["firing", "clearing", "resolved", "ok"]
    assert [s[0].state.clean for s in steps] == [0, 1, 0, 0]
    assert messages(steps) == [(0, "critical", "firing", False), (2, "critical", "resolved", False)]
    resolved = steps[2][0].message
    assert (resolved["starts_at"], resolved["ends_at"]) == ("1970-01-01T00:00:00Z", "1970-01-01T00:02:00Z")


def test_a_clearing_critical_still_inhibits_its_warning():
    cfg = config(consecutive=1,
                 critical={"conditions": {"drift_score": 0.5}, "notify": ["pagerduty"]},
                 warning={"conditions": {"drift_score": 0.2}, "notify": ["slack"]})
    steps = drive(rules_from_config(cfg), [0.6, 0.3], [0, 10], consecutive=1, resolve_after=2)
    assert [(d.rule.tier, d.status) for d in steps[1]] == [("critical", "clearing"), ("warning", "inhibited")]
    assert messages(steps) == [(0, "critical", "firing", False)]


def test_engine_settings_from_the_typed_config():
    from mlmon.services.config.model import from_dict

    assert alerting.EngineSettings.from_config(from_dict({})) == alerting.EngineSettings(3, 3600.0, 1)
    cfg = from_dict({"alerts": {"consecutive_failures": 2, "cooldown": "1d", "resolve_after": 3}})
    assert alerting.EngineSettings.from_config(cfg) == alerting.EngineSettings(2, 86400.0, 3)


def test_resolve_after_below_1_is_refused_by_the_schema():
    from mlmon.services.config import validate_text

    good = (ROOT / "assets" / "config.yaml").read_text(encoding="utf-8")
    assert "  cooldown: 1h" in good
    assert [p for p in validate_text(good) if p.severity == "error"] == []
    problems = validate_text(good.replace("  cooldown: 1h", "  cooldown: 1h\n  resolve_after: 0", 1))
    assert [p.path for p in problems if p.severity == "error"] == ["alerts.resolve_after"]


# ---------------------------------------------------------------------------- observations


def drift_result(share, columns):
    return {"drift_share": share, "n_drifted": sum(c["drifted"] for c in columns.values()), "n_columns": len(columns),
            "columns": columns}


def test_observations_from_a_drift_result():
    drift = drift_result(0.5, {
        "amount": {"drifted": True},
        "country": {"drifted": True, "new_categories": ["XX", "YY"]},
        "age": {"drifted": False},
        "device": {"drifted": False},
    })
    obs = alerting.observe(drift)
    assert obs["drift_score"] == Observation(0.5, "2 of 4 features drifted: amount, country")
    assert obs["feature_distribution_shift"] == Observation(2.0, "drifted: amount, country")
    assert obs["new_category_detected"] == Observation(1.0, "country: XX, YY")
    assert obs["accuracy_drop"].value is None and obs["latency_p99"].value is None and obs["error_rate"].value is None


@pytest.mark.parametrize("metrics, expected", [
    # (0.90 - 0.81) / 0.90 = 0.1; (0.80 - 0.76) / 0.80 = 0.05: the larger drop counts
    ({"accuracy": 0.81, "f1_score": 0.76}, 0.1),
    # a rise of log_loss is a drop: (0.30 - 0.20) / 0.20 = 0.5
    ({"accuracy": 0.90, "f1_score": 0.80, "log_loss": 0.30}, 0.5),
    # an improvement is a negative drop
    ({"accuracy": 0.99, "f1_score": 0.88}, -0.1),
])
def test_accuracy_drop_is_the_largest_relative_drop_of_a_primary_metric(metrics, expected):
    perf = {"baseline": {"metrics": {"accuracy": 0.90, "f1_score": 0.80, "log_loss": 0.20}},
            "windows": [{"start": "w1", "metrics": {"accuracy": 0.5}}, {"start": "w2", "metrics": metrics}]}
    assert alerting.accuracy_drop(perf, ["accuracy", "f1_score", "log_loss"]).value == pytest.approx(expected, abs=1e-12)


def test_accuracy_drop_reads_metric_values_with_bands_and_falls_back_to_the_previous_window():
    perf = {"baseline": None, "windows": [
        {"start": "w1", "metrics": {"accuracy": {"value": 0.8, "lower": 0.7, "upper": 0.9}}},
        {"start": "w2", "metrics": {"accuracy": {"value": 0.6, "lower": 0.5, "upper": 0.7}}},
        {"start": "w3", "metrics": {"accuracy": None}},  # no labels yet: not the latest labeled window
    ]}
    obs = alerting.accuracy_drop(perf, ["accuracy"])
    assert obs.value == pytest.approx(0.25, abs=1e-12)  # (0.8 - 0.6) / 0.8
    assert obs.detail == "accuracy 0.6 vs previous window 0.8 (window w2)"


def test_accuracy_drop_unobserved_without_labels_or_baseline():
    assert alerting.accuracy_drop(None, ["accuracy"]).value is None
    assert alerting.accuracy_drop({"baseline": None, "windows": [{"metrics": {"accuracy": 0.9}}]}, ["accuracy"]).value is None
    assert alerting.accuracy_drop({"baseline": {"metrics": {"accuracy": 0.9}}, "windows": [{"metrics": {}}]},
                                  ["accuracy"]).detail == "no labeled window"


# ---------------------------------------------------------------------------- state in the store


def test_state_survives_a_round_trip_through_the_history_store(tmp_path):
    store = HistoryStore(str(tmp_path / "h.db"))
    rules = rules_from_config(config())
    states = {}
    for now in (0, 60):  # two runs, each a fresh load from the store
        (d,) = evaluate(rules, {"drift_score": Observation(0.9, "")}, states, now)
        store.save_alert_state(alerting.state_row(d, now))
        states = {k: alerting.state_from_row(r) for k, r in store.alert_states().items()}
    (d,) = evaluate(rules, {"drift_score": Observation(0.9, "")}, states, 120)
    assert d.status == "firing" and d.message is not None and d.state.consecutive == 3
    row = store.alert_states()["fraud/drift_score/critical"]
    assert (row["model"], row["rule"], row["tier"], row["consecutive"], row["threshold"]) == ("fraud", "drift_score", "critical", 2, 0.5)


def test_the_clean_count_survives_a_round_trip_through_the_history_store(tmp_path):
    store = HistoryStore(str(tmp_path / "h.db"))
    rules = rules_from_config(config(consecutive=1))
    states = {}
    for now, value in ((0, 0.9), (60, 0.1)):
        (d,) = evaluate(rules, {"drift_score": Observation(value, "")}, states, now, 1, HOUR, resolve_after=2)
        store.save_alert_state(alerting.state_row(d, now))
        states = {k: alerting.state_from_row(r) for k, r in store.alert_states().items()}
    assert (states["fraud/drift_score/critical"].firing, states["fraud/drift_score/critical"].clean) == (True, 1)
    (d,) = evaluate(rules, {"drift_score": Observation(0.1, "")}, states, 120, 1, HOUR, resolve_after=2)
    assert d.status == "resolved" and d.message["status"] == "resolved"


def test_a_store_at_schema_version_1_gains_the_clean_count_and_keeps_its_alert_states(tmp_path):
    import sqlite3
    import time

    from mlmon.store.backends import statements
    from mlmon.store.history import LATEST_VERSION, MIGRATIONS

    db = tmp_path / "v1.db"
    with sqlite3.connect(db) as conn:  # what the previous mlmon made: migration 1 only, one rule firing
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                     " applied_at REAL NOT NULL)")
        for statement in statements(MIGRATIONS[0][2]):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, ?, ?)", (MIGRATIONS[0][1], time.time()))
        conn.execute("INSERT INTO alert_state (key, model, rule, tier, consecutive, firing, notified, started_at,"
                     " last_fired_at, last_value, threshold, updated_at) VALUES"
                     " ('fraud/drift_score/critical', 'fraud', 'drift_score', 'critical', 4, 1, 1, 0, 0, 0.9, 0.5, 0)")
    store = HistoryStore(str(db))
    assert store.schema_version() == LATEST_VERSION
    row = store.alert_states()["fraud/drift_score/critical"]
    assert (row["consecutive"], row["firing"], row["clean"]) == (4, 1, 0)
    state = alerting.state_from_row(row)
    (d,) = evaluate(rules_from_config(config(consecutive=1)), {"drift_score": Observation(0.1, "")},
                    {"fraud/drift_score/critical": state}, 60, 1, HOUR, resolve_after=2)
    assert (d.status, d.state.clean) == ("clearing", 1)
