"""Notifications: one module per channel (Slack, PagerDuty, email, a generic Alertmanager-style
webhook), each declaring a :class:`~mlmon.services.notify.channel.Channel`; the registry finds
them and :func:`deliver` sends through whichever the message names.

Each channel renders its own body from one alert event (:func:`mlmon.services.alerting.message`)
and sends it with the standard library (:mod:`.transport` holds the retries). Whatever the
outcome, :func:`deliver` returns a :class:`Delivery` and never raises, so one failing channel
cannot stop the others; the caller keeps undelivered messages for the next run.

Secrets (webhook URLs, the routing key, the SMTP password) come from the environment variables
the config names in its ``*_env`` keys; a missing variable is reported for that channel. No error
ever carries a secret: they name the variable, or the host of a URL, and a last pass removes the
secret from whatever text a failure produced.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from mlmon import __version__  # noqa: F401 - part of the payloads' "client"
from mlmon.services.notify.channel import Channel, ChannelProblem, host_of, redact
from mlmon.services.notify.email import email_message, send_email  # noqa: F401
from mlmon.services.notify.pagerduty import EVENTS_URL as PAGERDUTY_EVENTS_URL  # noqa: F401
from mlmon.services.notify.pagerduty import pagerduty_payload  # noqa: F401
from mlmon.services.notify.registry import CHANNELS, REGISTRY
from mlmon.services.notify.slack import slack_payload  # noqa: F401
from mlmon.services.notify.transport import Delivery, RetryPolicy, parse_retry_after, post_json  # noqa: F401
from mlmon.services.notify.webhook import alertmanager_payload  # noqa: F401

__all__ = ["CHANNELS", "Channel", "ChannelProblem", "Delivery", "RetryPolicy", "alertmanager_payload", "deliver",
           "email_message", "pagerduty_payload", "parse_retry_after", "post_json", "slack_payload"]


def deliver(channel: str, conf: Mapping[str, Any], event: Mapping[str, Any],
            env: Optional[Mapping[str, str]] = None, policy: Optional[RetryPolicy] = None) -> Delivery:
    """Send ``event`` on ``channel`` configured by ``conf``. Never raises; its error never holds
    the channel's secret."""
    env = os.environ if env is None else env
    policy = policy or RetryPolicy()
    secret = None
    try:
        spec = REGISTRY.get(channel)
        if spec is None:
            raise ChannelProblem(f"unknown channel '{channel}'")
        if conf.get("enabled") is False:
            raise ChannelProblem(f"notifications.{channel}.enabled is false")
        if spec.uses_secret(conf):
            secret = spec.secret.read(channel, conf, env)
        outcome = spec.send(conf, spec.payload(event, conf, secret), secret, policy)
    except ChannelProblem as exc:
        outcome = Delivery(False, 0, str(exc))
    except Exception as exc:  # a notifier bug must not take the other channels down, nor print the secret
        where = f" ({host_of(secret)})" if secret and secret.startswith("http") else ""
        outcome = Delivery(False, 0, f"the {channel} notifier failed: {type(exc).__name__}{where}")
    outcome.error = redact(outcome.error, [secret] if secret else [])
    return outcome
