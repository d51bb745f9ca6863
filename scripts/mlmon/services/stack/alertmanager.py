"""The Alertmanager config: one receiver per alert tier, routed by the severity label; warnings
are inhibited while a critical alert of the same name fires; ``alerts.cooldown`` becomes
``repeat_interval``. Each tier's ``notify`` channels become that tier's receiver, built by the
channel's own declaration (:mod:`mlmon.services.notify`); secrets are read from files (``*_file``
fields) that the compose file fills from the environment variables the config names."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from mlmon.services.config.model import Config, typed
from mlmon.services.notify.channel import Channel
from mlmon.services.notify.registry import REGISTRY
from mlmon.services.stack.common import TIERS, StackOptions, prometheus_duration, seconds, yaml_text

# ------------------------------------------------------------------------ Alertmanager

# channel -> (config key naming the environment variable, secret file name), from the declarations
SECRET_FIELDS: Dict[str, Tuple[str, str]] = {name: (c.secret.key, c.secret.file) for name, c in REGISTRY.items()}


def receiving_channels(config: Config) -> List[Channel]:
    """The enabled channels that some tier notifies: the ones Alertmanager gets a config for."""
    named = {str(c) for tier in TIERS for c in config.alerts.tier(tier).notify}
    return [c for name, c in REGISTRY.items()
            if name in named and config.channel(name) and config.channel(name).get("enabled", True)]


def channel_secrets(config: Config) -> List[Tuple[str, str]]:
    """(secret file name, environment variable) for every channel Alertmanager sends to that has a
    secret; a channel no tier notifies needs none, so compose does not ask for its variable."""
    out = []
    for channel in receiving_channels(config):
        section = config.notifications[channel.name]
        if section.get(channel.secret.key):
            out.append((channel.secret.file, str(section[channel.secret.key])))
    return out


def alertmanager_config(config: Config, options: Optional[StackOptions] = None) -> str:
    options = options or StackOptions()
    config = typed(config)
    cooldown = prometheus_duration(seconds(str(config.alerts.cooldown), "alerts.cooldown"))
    receiving = {c.name: c for c in receiving_channels(config)}
    secrets_dir = options.secrets_dir.rstrip("/")
    receivers = [{"name": "mlmon-default"}]
    routes = []
    for tier in TIERS:
        if not config.given("alerts", tier):  # a tier the file leaves out gets no receiver
            continue
        receiver: Dict[str, Any] = {"name": f"mlmon-{tier}"}
        for name in config.alerts.tier(tier).notify:
            channel = receiving.get(name)
            if channel is not None:
                receiver.update(channel.receiver(config.channel(name) or {}, tier,
                                                 f"{secrets_dir}/{channel.secret.file}"))
        receivers.append(receiver)
        route: Dict[str, Any] = {"receiver": f"mlmon-{tier}", "matchers": [f'severity="{tier}"']}
        if tier == "critical":
            route["group_wait"] = "10s"
        routes.append(route)
    data = {
        "route": {"receiver": "mlmon-default", "group_by": ["alertname", "model"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": cooldown, "routes": routes},
        "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                           "equal": ["alertname", "model"]}],
        "receivers": receivers,
    }
    header = ("# Alertmanager configuration written by `mlmon generate alertmanager`: one receiver per alert\n"
              "# tier, routed by the severity label; warnings are silenced while the same alert is critical;\n"
              "# repeat_interval is alerts.cooldown. Secrets are read from files (never written here):\n"
              + "".join(f"#   {secrets_dir}/{name}  <- ${env}\n" for name, env in channel_secrets(config))
              + "".join(f"# notifications.{c.name}: {c.alertmanager_note}.\n" for c in receiving.values()
                        if c.alertmanager_note)
              + "# Check: amtool check-config alertmanager.yml\n")
    return yaml_text(data, header)
