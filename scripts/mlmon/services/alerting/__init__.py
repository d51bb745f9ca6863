"""The alert engine: rules from the config's tiers, evaluated against what a run observed.

A rule is one condition of one tier (``accuracy_drop`` of ``critical``, say) with the threshold
the config gives it. Its dedup key, ``<model>/<condition>/<tier>``, names it everywhere: in the
history store, in PagerDuty's ``dedup_key``, in the Alertmanager fingerprint.

Semantics, per rule:

- a breach is an observed value above the threshold (boolean conditions: above zero);
- the rule *fires* after ``alerts.consecutive_failures`` breaches in a row;
- a firing notification is not sent again within ``alerts.cooldown`` of the last one: a rule
  that keeps breaching is re-announced once per cooldown, and one that resolves and breaches
  again inside the cooldown comes back silently (flapping is not news);
- ``alerts.resolve_after`` checks in a row without a breach resolve it (default 1: the first
  clean check), and a *resolved* notification follows if the firing was announced; a breach
  before that keeps it firing and starts the clean count again, so a condition that flaps
  (breach, clean, breach, ...) with ``resolve_after: 2`` stays one incident. A firing rule
  counting clean checks has status ``clearing``;
- a rule not observed in a run (no labels, no latency data) keeps its state untouched;
- the clock is the caller's: ``mlmon run --date D`` passes the end of day D (data time), so
  a backfill counts cooldowns as the real days would have;
- a warning or info rule is inhibited (kept, not announced) while the critical rule of the same
  condition fires, as Alertmanager's inhibition of warnings by criticals does.

:func:`evaluate` is pure: states in, states and messages out, the clock passed in. The
scheduled job loads the states from the history store and saves what comes back, so counts
and cooldowns survive between runs.
"""

from __future__ import annotations

from mlmon.services.alerting.engine import Decision, RuleState, evaluate, retire, state_from_row, state_row, step
from mlmon.services.alerting.messages import iso, message
from mlmon.services.alerting.observations import NAMED_FEATURES, Observation, accuracy_drop, observe
from mlmon.services.alerting.rules import (BOOLEAN_CONDITIONS, BOOLEAN_TEXT, LOWER_IS_BETTER, SCHEMA_VERSION, TIERS,
                                           TRAFFIC_CHANGE, EngineSettings, Rule, alert_key, fingerprint,
                                           rules_from_config)

__all__ = [
    "BOOLEAN_CONDITIONS", "BOOLEAN_TEXT", "LOWER_IS_BETTER", "NAMED_FEATURES", "SCHEMA_VERSION", "TIERS",
    "TRAFFIC_CHANGE", "Decision", "EngineSettings", "Observation", "Rule", "RuleState", "accuracy_drop", "alert_key",
    "evaluate", "fingerprint", "iso", "message", "observe", "retire", "rules_from_config", "state_from_row",
    "state_row", "step",
]
