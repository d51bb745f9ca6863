"""The monitoring stack generated from a monitoring config: Prometheus alerting rules (with a
``promtool test rules`` file), an Alertmanager config, a Grafana dashboard with its provisioning
files, and a compose file that runs them beside ``mlmon serve``.

Mappings:

- each condition of each tier in ``alerts`` becomes one rule labelled ``severity: <tier>``;
  the rule's ``for:`` is ``alerts.consecutive_failures`` x the evaluation interval, the
  Prometheus reading of "the condition held on that many checks in a row";
- ``alerts.cooldown`` becomes Alertmanager's ``repeat_interval`` (no re-notification of a firing
  alert within it); warnings are inhibited while a critical alert of the same name fires;
- each tier's ``notify`` channels become that tier's receiver; secrets are read from files
  (``*_file`` fields) that the compose file fills from the environment variables the config names.
  The generic ``webhook`` channel becomes ``webhook_configs`` with ``url_file``, which needs
  Alertmanager 0.26 or later (the compose file runs a later one).

The templates live in ``assets/stack/``; one module per artifact fills them: :mod:`.rules` and
:mod:`.rule_tests` (Prometheus), :mod:`.alertmanager`, :mod:`.grafana`, :mod:`.compose`;
:mod:`.common` holds what they share.
"""

from __future__ import annotations

from typing import Optional

from dataclasses import replace

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.config.model import typed
from mlmon.services.stack.alertmanager import SECRET_FIELDS, alertmanager_config, channel_secrets, receiving_channels
from mlmon.services.stack.common import (ALERTMANAGER_FILE, ARTIFACTS, COMPOSE_FILE, DEFAULT_CONDITIONS, PROMETHEUS_FILE, RULES_FILE,
                                         RULES_TEST_FILE, STACK_DIR, TIERS, TOOLKIT_DIR, GeneratedStack, StackOptions,
                                         prometheus_duration, seconds, write_stack)
from mlmon.services.stack.compose import compose_file, prometheus_config
from mlmon.services.stack.grafana import grafana_files
from mlmon.services.stack.rule_tests import humanize_duration, humanize_percentage
from mlmon.services.stack.rules import CONDITION_SETS, SERVING_CONDITIONS, prometheus_rules

__all__ = ["ARTIFACTS", "CONDITION_SETS", "SECRET_FIELDS", "SERVING_CONDITIONS", "STACK_DIR", "TIERS", "TOOLKIT_DIR",
           "GeneratedStack", "StackOptions", "alertmanager_config", "compose_file", "generate", "grafana_files",
           "humanize_duration", "humanize_percentage", "prometheus_config", "prometheus_duration", "prometheus_rules",
           "channel_secrets", "receiving_channels", "write_stack"]


def generate(config, artifact: str, options: Optional[StackOptions] = None,
             config_path: str = "monitoring.yaml", out_dir: str = ".") -> GeneratedStack:
    """The files of one artifact (``compose`` means the whole stack), keyed by relative path, from
    a typed config (a validated config dict is typed first)."""
    config = typed(config)
    if artifact not in ARTIFACTS:
        raise MlmonError(f"unknown artifact: {artifact}", "mlmon generate", f"choose one of {', '.join(ARTIFACTS)}")
    options = options or StackOptions()
    if options.conditions is None:
        options = replace(options, conditions=DEFAULT_CONDITIONS.get(artifact, "all"))
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in options.secrets_dir):
        # it is written into a header comment and file paths: a newline would start a YAML key
        raise MlmonError(f"{option('secrets_dir')} holds a control character (a newline?)", OPTIONS,
                         "give a plain directory path, e.g. /run/secrets")
    for name in ("evaluation_interval", "scrape_interval", "rate_window"):
        seconds(getattr(options, name), f"{option(name)} {getattr(options, name)}")
    if options.conditions not in CONDITION_SETS:
        raise MlmonError(f"unknown condition set: {options.conditions}", option("conditions"),
                         f"choose one of {', '.join(CONDITION_SETS)}")
    stack = GeneratedStack(artifact, {})
    if artifact in ("prometheus-rules", "compose"):
        rules, tests, warnings = prometheus_rules(config, options)
        stack.files[RULES_FILE] = rules
        stack.files[RULES_TEST_FILE] = tests
        stack.warnings += warnings
        if artifact == "compose" and options.conditions == "serving":
            stack.notes.append("Prometheus alerts on the serving conditions only (latency, error rate): `mlmon run` "
                               "alerts on drift and performance, so nothing is sent twice. With --conditions all, "
                               "Prometheus alerts on those too: then run `mlmon run` without notifications.")
    if artifact in ("alertmanager", "compose"):
        stack.files[ALERTMANAGER_FILE] = alertmanager_config(config, options)
        stack.warnings += [f"notifications.{c.name}: {c.alertmanager_note}"
                           for c in receiving_channels(config) if c.alertmanager_note]
        if artifact == "compose" and options.secrets_dir.rstrip("/") != "/run/secrets":
            stack.warnings.append(f"{option('secrets_dir')} {options.secrets_dir}: the compose file mounts the secrets at "
                                  "/run/secrets, where this Alertmanager config will not look")
    if artifact in ("grafana", "compose"):
        stack.files.update(grafana_files(config, options))
    if artifact == "compose":
        stack.files[PROMETHEUS_FILE] = prometheus_config(config, options)
        stack.files[COMPOSE_FILE] = compose_file(config, options, config_path, out_dir)
    return stack
