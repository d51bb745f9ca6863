"""The one protocol every notification channel follows.

A channel is a module of this package that declares ``CHANNEL = Channel(...)``: its name, the
secret it reads from the environment, the JSON Schema of its ``notifications.<name>`` section,
how it turns an alert event into a body and sends it, the Alertmanager receiver config
``mlmon generate alertmanager`` writes for it, and the checks of its section the schema cannot
express. The registry finds the modules; nothing else lists channels.

This module imports nothing of the network: the config validator (and through it the config
hook) reads channel declarations on every config write.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Pattern, Tuple

ENV_VAR_REF = "#/$defs/env_var"
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")  # what http.client refuses in a URL


class ChannelProblem(Exception):
    """The channel cannot be used as configured (missing environment variable, no URL)."""


@dataclass(frozen=True)
class Secret:
    """The secret a channel reads from an environment variable (never from the config file)."""

    key: str                    # the config key naming the variable, e.g. ``webhook_url_env``
    default_env: str            # the variable's usual name, e.g. ``SLACK_WEBHOOK_URL``
    what: str                   # what it holds, for messages and the schema: "the webhook URL"
    file: str                   # the file Alertmanager reads it from (a compose secret)
    inline_keys: Tuple[str, ...] = ()     # keys that would write it into the config itself
    shape: Optional[Pattern[str]] = None  # how the value looks, to catch it written inline
    shape_name: str = ""                  # "a Slack webhook URL"
    is_url: bool = False                  # checked as an http(s) URL before anything is sent

    def schema(self) -> Dict[str, Any]:
        return {"$ref": ENV_VAR_REF, "description": f"environment variable holding {self.what}",
                "default": self.default_env}

    def read(self, channel: str, conf: Mapping[str, Any], env: Mapping[str, str]) -> str:
        """The value, from the variable ``conf[key]`` names; a :class:`ChannelProblem` naming the
        variable (never the value) when it is unset or, for a URL, not a usable one."""
        name = conf.get(self.key)
        if not name:
            raise ChannelProblem(f"notifications.{channel}.{self.key} is not set")
        value = env.get(name, "").strip()
        if not value:
            raise ChannelProblem(f"environment variable {name} is not set (notifications.{channel}.{self.key})")
        if self.is_url:
            problem = url_problem(value)
            if problem:
                raise ChannelProblem(f"environment variable {name} does not hold a usable URL: {problem} "
                                     f"(notifications.{channel}.{self.key}); set it to the full https:// URL")
        return value


# a problem with one key of the channel's section: (path below notifications.<name>, message, severity)
SectionProblem = Tuple[Tuple[Any, ...], str, str]


def no_problems(section: Mapping[str, Any]) -> List[SectionProblem]:
    return []


def section_schema(description: str, properties: Dict[str, Any], required: List[str]) -> Dict[str, Any]:
    """The JSON Schema of a ``notifications.<name>`` section: a closed object whose ``enabled``
    key (the same for every channel) turns the channel off without deleting its settings."""
    enabled = {"type": "boolean", "description": "send to this channel", "default": True}
    return {"type": "object", "description": description, "additionalProperties": False,
            "properties": {"enabled": enabled, **properties}, "required": list(required)}


@dataclass(frozen=True)
class Channel:
    """One notification channel, declared once."""

    name: str
    schema: Dict[str, Any]      # the JSON Schema of notifications.<name> (assets/schema.json holds a copy)
    secret: Secret
    # (event, section, secret or None) -> the body this channel sends
    payload: Callable[[Mapping[str, Any], Mapping[str, Any], Optional[str]], Any]
    # (section, body, secret or None, RetryPolicy) -> Delivery; never raises for network trouble
    send: Callable[..., Any]
    # (section, tier, secret file path) -> the keys of an Alertmanager receiver, e.g. {"slack_configs": [...]}
    receiver: Callable[[Mapping[str, Any], str, str], Dict[str, Any]]
    # whether this section's secret is needed to send (email sends without a password when no username)
    uses_secret: Callable[[Mapping[str, Any]], bool] = field(default=lambda section: True)
    validate: Callable[[Mapping[str, Any]], List[SectionProblem]] = no_problems
    # said once when `generate alertmanager` writes a receiver for this channel
    alertmanager_note: Optional[str] = None

    @property
    def config_keys(self) -> Tuple[str, ...]:
        return tuple(self.schema["properties"])


def host_of(url: str) -> str:
    """The host of ``url`` and nothing else: webhook URLs carry their secret in the path.

    >>> host_of("https://hooks.slack.com/services/T0/B0/XYZ"), host_of("hooks.slack.com/services/T0"), host_of("")
    ('hooks.slack.com', '?', '?')
    """
    try:
        return urllib.parse.urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def url_problem(url: str) -> Optional[str]:
    """Why ``url`` cannot be posted to, naming at most its host; None when it can.

    >>> url_problem("https://hooks.slack.com/services/T0/B0/XYZ") is None
    True
    >>> url_problem("hooks.slack.com/services/T0/B0/XYZ"), url_problem("https://example.com/a b")
    ('no http:// or https:// scheme', 'a space or control character inside (host example.com)')
    """
    if _UNSAFE_URL_CHARS.search(url):
        return f"a space or control character inside (host {host_of(url)})"
    try:
        parts = urllib.parse.urlsplit(url)
        hostname, _ = parts.hostname, parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "no http:// or https:// scheme"
    if not hostname:
        return "no host"
    return None


def redact(text: Optional[str], secrets: List[str]) -> Optional[str]:
    """``text`` with every secret, and the path and query of every secret URL, replaced by ``***``:
    the last guard before an error reaches a report, the store or a terminal.

    >>> redact("bad: https://h.example/T0/B0/XYZ and /T0/B0/XYZ", ["https://h.example/T0/B0/XYZ"])
    'bad: *** and ***'
    """
    if not text:
        return text
    pieces = []
    for secret in secrets:
        if not secret:
            continue
        pieces.append(secret)
        try:
            parts = urllib.parse.urlsplit(secret)
            tail = parts.path + ("?" + parts.query if parts.query else "")
        except ValueError:
            tail = ""
        if len(tail.strip("/")) >= 4:
            pieces.append(tail)
    for piece in sorted(set(pieces), key=len, reverse=True):
        text = text.replace(piece, "***")
    return text


def show(value: Any) -> str:
    """An observed value as messages print it."""
    return "not observed" if value is None else f"{value:.6g}"
