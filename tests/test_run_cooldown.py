"""``mlmon run`` takes the quiet time between two firing notifications from the config's
``alerts.cooldown``, not from the default (1h), and measures it in data time: two runs for
consecutive days are a day apart whenever they run, so a cooldown of 25h keeps the second quiet
and one of 23h (or 30m) lets it send a reminder."""

from __future__ import annotations

import pytest

from mlmon.services import scheduled
from test_run import BREACH_1, BREACH_2, data, rx, write_config  # noqa: F401 (fixtures)

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def run_at(cfg, history, day, now, env):
    settings = scheduled.RunSettings(config_path=str(cfg), date=scheduled.parse_date(day), history=str(history),
                                     env=env, clock=lambda: now)
    return scheduled.run_scheduled(settings)


@pytest.mark.parametrize("cooldown, later, reminded", [("25h", 60, False), ("23h", 60, True), ("30m", 60, True),
                                                       ("25h", 7 * 86400, False)])
def test_the_configured_cooldown_decides_whether_a_still_breaching_rule_is_announced_again(
        data, rx, cooldown, later, reminded):  # noqa: F811
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port, cooldown=cooldown,
                       tiers="  critical:\n    conditions: {drift_score: 0.5}\n    notify: [webhook]\n")
    env = {"T_SLACK": r.slack.url, "T_PD": "k", "T_AM": r.am.url}

    first = run_at(cfg, data / "h.db", BREACH_1, T0, env)
    assert [(a["key"], a["status"], a["message"]) for a in first["alerts"]] == [
        ("churn/drift_score/critical", "firing", "firing")]
    second = run_at(cfg, data / "h.db", BREACH_2, T0 + later, env)
    assert [a["status"] for a in second["alerts"]] == ["firing"]
    assert len(r.am.requests) == (2 if reminded else 1)
    assert len(second["notifications"]) == (1 if reminded else 0)
