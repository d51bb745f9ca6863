"""Every notification channel is declared once, in its own module: the registry finds it, and
the schema, the validator, ``generate alertmanager`` and ``deliver`` agree with the declaration.
A new channel that forgets a piece fails here, not in a user's config."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from mlmon.services import notify
from mlmon.services.config import SCHEMA_PATH, validate_text
from mlmon.services.notify.channel import Channel
from mlmon.services.notify.registry import CHANNELS, REGISTRY
from mlmon.services.stack import alertmanager_config
from mlmon.services.stack.alertmanager import SECRET_FIELDS

# where assets/schema.json lists the channels (the schema generator writes these from the registry)
CHANNEL_ENUM_PATHS = [("properties", "alerts", "properties", tier, "properties", "notify", "items", "enum")
                      for tier in ("critical", "warning", "info")]
SECTIONS_PATH = ("properties", "notifications", "properties")


def at(node, path):
    for key in path:
        node = node[key]
    return node


@pytest.fixture(scope="module")
def schema():
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def test_the_registry_holds_one_module_per_channel():
    assert CHANNELS == ("email", "pagerduty", "slack", "webhook")
    for name, channel in REGISTRY.items():
        assert isinstance(channel, Channel) and channel.name == name
        assert sys.modules[f"mlmon.services.notify.{name}"].CHANNEL is channel  # module name = channel name


@pytest.mark.parametrize("path", CHANNEL_ENUM_PATHS, ids=lambda p: ".".join(p[1:4]))
def test_the_schema_channel_enums_are_the_registry(schema, path):
    assert sorted(at(schema, path)) == list(CHANNELS)


def test_the_schema_sections_are_the_channels_declarations(schema):
    sections = at(schema, SECTIONS_PATH)
    assert sorted(sections) == list(CHANNELS)
    for name, channel in REGISTRY.items():
        assert sections[name] == channel.schema, name


@pytest.mark.parametrize("name", CHANNELS)
def test_each_channel_declares_a_secret_read_from_the_environment(name):
    channel = REGISTRY[name]
    secret = channel.secret
    assert secret.key.endswith("_env") and secret.key in channel.config_keys
    assert channel.schema["properties"][secret.key]["default"] == secret.default_env
    assert SECRET_FIELDS[name] == (secret.key, secret.file)
    for key in secret.inline_keys:  # writing the secret itself is caught, and the variable named instead
        text = BASE + f"notifications:\n  {name}: {{{key}: hunter2hunter2}}\n"
        messages = [p.message for p in validate_text(text)]
        assert any(f"`{secret.key}: {secret.default_env}`" in m for m in messages), messages


BASE = """version: 1
model: {name: m, task: binary}
data: {reference: {path: r.parquet}, current: {path: c.parquet}}
"""


@pytest.mark.parametrize("name, section", [
    ("slack", {"webhook_url_env": "S"}), ("pagerduty", {"routing_key_env": "P"}), ("webhook", {"url_env": "W"}),
    ("email", {"smtp_host": "mail", "recipients": ["a@b"], "username": "u", "password_env": "E"}),
])
def test_each_channel_builds_its_alertmanager_receiver(name, section):
    config = {"alerts": {"critical": {"conditions": {"drift_score": 0.5}, "notify": [name]}},
              "notifications": {name: section}}
    receivers = {r["name"]: r for r in yaml.safe_load(alertmanager_config(config))["receivers"]}
    (key,) = [k for k in receivers["mlmon-critical"] if k != "name"]
    assert key == {"slack": "slack_configs", "pagerduty": "pagerduty_configs", "webhook": "webhook_configs",
                   "email": "email_configs"}[name]
    assert f"/run/secrets/{REGISTRY[name].secret.file}" in json.dumps(receivers["mlmon-critical"])


def test_a_slack_token_in_channel_is_refused():
    text = BASE + 'notifications:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL, channel: "xoxb-1234-abcd"}\n'
    (problem,) = validate_text(text)
    assert (problem.path, problem.severity) == ("notifications.slack.channel", "error")
    assert problem.message.startswith("looks like a Slack token, not a channel name")
    assert validate_text(text.replace("xoxb-1234-abcd", "#ml-alerts")) == []


def test_a_query_string_in_the_pagerduty_events_url_is_refused():
    text = BASE + ('notifications:\n  pagerduty: {routing_key_env: PD, '
                   'events_url: "https://events.eu.pagerduty.com/v2/enqueue?routing_key=abc"}\n')
    (problem,) = validate_text(text)
    assert problem.path == "notifications.pagerduty.events_url"
    assert problem.message.startswith("has a query string")
    assert validate_text(text.replace("?routing_key=abc", "")) == []


def test_validating_a_config_imports_no_network_module():
    code = ("import sys; from mlmon.services.config import validate_text; "
            f"validate_text({BASE + 'notifications: {slack: {webhook_url_env: S}}'!r}); "
            "print(sorted(m for m in ('urllib.request', 'smtplib', 'http.client') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_names_of_the_notify_module_still_import():
    for name in ("deliver", "slack_payload", "pagerduty_payload", "alertmanager_payload", "email_message",
                 "post_json", "RetryPolicy", "Delivery", "ChannelProblem", "parse_retry_after"):
        assert hasattr(notify, name), name
