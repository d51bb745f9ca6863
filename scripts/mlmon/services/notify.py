"""Notifiers: Slack, PagerDuty, a generic Alertmanager-style webhook, and email.

Each channel renders its own body from one alert event (:func:`mlmon.services.alerting.message`)
and sends it with the standard library. Every network call has a timeout. HTTP 429 and 5xx,
timeouts and refused connections are retried with exponential backoff, waiting what
``Retry-After`` asks (seconds or an HTTP date, capped); any other 4xx is final for this run.
Whatever the outcome, :func:`deliver` returns a :class:`Delivery` and never raises, so one
failing channel cannot stop the others; the caller keeps undelivered messages for the next run.

Secrets (webhook URLs, the routing key, the SMTP password) come from the environment variables
the config names in its ``*_env`` keys; a missing variable is reported for that channel.
"""

from __future__ import annotations

import email.utils
import json
import os
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Callable, Dict, Mapping, Optional

from mlmon import __version__

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
# PagerDuty's severities are critical, error, warning and info; the tiers map onto them by name
PAGERDUTY_SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}
SLACK_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
ALERTMANAGER_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


@dataclass
class RetryPolicy:
    """How hard one delivery tries within a run."""

    attempts: int = 4            # tries in all, the first included
    backoff: float = 1.0         # seconds before the first retry; doubled each time
    max_delay: float = 60.0      # cap on any single wait, Retry-After included
    timeout: float = 10.0        # seconds per network call
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def delay(self, retry: int, retry_after: Optional[float]) -> float:
        """Seconds to wait before retry number ``retry`` (0-based).

        >>> p = RetryPolicy(backoff=0.5, max_delay=30)
        >>> [p.delay(i, None) for i in range(4)], p.delay(0, 12.0), p.delay(0, 3600.0)
        ([0.5, 1.0, 2.0, 4.0], 12.0, 30)
        """
        wait = retry_after if retry_after is not None else self.backoff * 2 ** retry
        return min(max(wait, 0.0), self.max_delay)


@dataclass
class Delivery:
    ok: bool
    attempts: int
    error: Optional[str] = None
    http_status: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"ok": self.ok, "attempts": self.attempts, "error": self.error, "http_status": self.http_status}


class ChannelProblem(Exception):
    """The channel cannot be used as configured (missing environment variable, no URL)."""


# ---------------------------------------------------------------------------- payloads

def slack_payload(event: Mapping[str, Any], conf: Mapping[str, Any]) -> Dict[str, Any]:
    """A Slack incoming-webhook message: a header, the numbers as fields, context, and plain text
    for notifications that cannot show blocks."""
    firing = event["status"] == "firing"
    title = f"{'' if firing else 'RESOLVED '}[{event['tier'].upper()}] {event['model']}: {event['condition']}"
    emoji = SLACK_EMOJI.get(event["tier"], "") if firing else ":white_check_mark:"
    version = f" {event['model_version']}" if event.get("model_version") else ""
    fields = [
        f"*Observed*\n{_show(event['value'])}",
        f"*Rule*\n{event['rule']}",
        f"*Model*\n{event['model']}{version}",
        f"*Status*\n{event['status']}" + (" (reminder)" if event.get("repeat") else ""),
    ]
    context = [f"key `{event['key']}`", f"since {event['starts_at']}"]
    if event.get("run_date"):
        context.append(f"data of {event['run_date']}")
    if event.get("response_time") and firing:
        context.append(f"respond within {event['response_time']}")
    body: Dict[str, Any] = {
        "text": f"{emoji} {event['summary']}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"{emoji} {title}"[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": event["detail"] or event["summary"]}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        ],
    }
    if conf.get("channel"):
        body["channel"] = conf["channel"]
    return body


def pagerduty_payload(event: Mapping[str, Any], routing_key: str) -> Dict[str, Any]:
    """An Events API v2 event: ``trigger`` while firing, ``resolve`` after, one ``dedup_key``."""
    if event["status"] == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": event["key"]}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": event["key"],
        "payload": {
            "summary": event["summary"][:1024],
            "source": event["model"],
            "severity": PAGERDUTY_SEVERITY.get(event["tier"], "error"),
            "timestamp": event["starts_at"],
            "component": event["model"],
            "group": "ml-monitoring",
            "class": event["condition"],
            "custom_details": {
                k: event.get(k) for k in ("value", "threshold", "rule", "detail", "model_version",
                                          "consecutive", "run_date", "response_time")
            },
        },
        "client": f"mlmon {__version__}",
    }


def alertmanager_payload(event: Mapping[str, Any], receiver: str = "mlmon") -> Dict[str, Any]:
    """The body Alertmanager's webhook receiver posts (version 4), with this one alert."""
    labels = {"alertname": _alertname(event["condition"]), "model_name": event["model"],
              "severity": event["tier"], "condition": event["condition"]}
    if event.get("model_version"):
        labels["model_version"] = str(event["model_version"])
    annotations = {"summary": event["summary"], "description": event["detail"] or event["summary"],
                   "value": _show(event["value"]), "threshold": event["threshold_text"], "rule": event["rule"]}
    if event.get("response_time"):
        annotations["response_time"] = event["response_time"]
    alert = {
        "status": event["status"],
        "labels": labels,
        "annotations": annotations,
        "startsAt": event["starts_at"],
        "endsAt": event["ends_at"] or ALERTMANAGER_ZERO_TIME,
        "generatorURL": "",
        "fingerprint": event["fingerprint"],
    }
    group_labels = {"alertname": labels["alertname"], "model_name": labels["model_name"]}
    return {
        "version": "4",
        "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in group_labels.items()) + "}",
        "truncatedAlerts": 0,
        "status": event["status"],
        "receiver": receiver,
        "groupLabels": group_labels,
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [alert],
    }


def email_message(event: Mapping[str, Any], conf: Mapping[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    sender = conf.get("sender") or conf.get("username") or "mlmon@localhost"
    msg["From"] = sender
    msg["To"] = ", ".join(conf["recipients"])
    msg["Subject"] = event["summary"]
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain="mlmon")
    msg["X-Mlmon-Alert-Key"] = event["key"]
    lines = [
        event["summary"], "",
        f"status:     {event['status']}",
        f"model:      {event['model']} {event.get('model_version') or ''}".rstrip(),
        f"condition:  {event['condition']} ({event['tier']})",
        f"observed:   {_show(event['value'])}",
        f"rule:       {event['rule']}",
        f"detail:     {event['detail']}",
        f"since:      {event['starts_at']}",
    ]
    if event.get("ends_at"):
        lines.append(f"resolved:   {event['ends_at']}")
    if event.get("run_date"):
        lines.append(f"data of:    {event['run_date']}")
    lines += ["", f"alert key:  {event['key']}"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def _alertname(condition: str) -> str:
    """``accuracy_drop`` -> ``MlmonAccuracyDrop``.

    >>> _alertname("latency_p99")
    'MlmonLatencyP99'
    """
    return "Mlmon" + "".join(part.capitalize() for part in condition.split("_"))


def _show(value: Any) -> str:
    return "not observed" if value is None else f"{value:.6g}"


# ---------------------------------------------------------------------------- delivery

def deliver(channel: str, conf: Mapping[str, Any], event: Mapping[str, Any],
            env: Optional[Mapping[str, str]] = None, policy: Optional[RetryPolicy] = None) -> Delivery:
    """Send ``event`` on ``channel`` configured by ``conf``. Never raises."""
    env = os.environ if env is None else env
    policy = policy or RetryPolicy()
    try:
        if conf.get("enabled") is False:
            raise ChannelProblem(f"notifications.{channel}.enabled is false")
        if channel == "slack":
            url = _secret(env, conf, "webhook_url_env", channel)
            return post_json(url, slack_payload(event, conf), policy)
        if channel == "pagerduty":
            key = _secret(env, conf, "routing_key_env", channel)
            return post_json(conf.get("events_url") or PAGERDUTY_EVENTS_URL, pagerduty_payload(event, key), policy)
        if channel == "webhook":
            url = _secret(env, conf, "url_env", channel)
            return post_json(url, alertmanager_payload(event), policy)
        if channel == "email":
            return send_email(email_message(event, conf), conf, env, policy)
        raise ChannelProblem(f"unknown channel '{channel}'")
    except ChannelProblem as exc:
        return Delivery(False, 0, str(exc))
    except Exception as exc:  # a notifier bug must not take the other channels down
        return Delivery(False, 0, f"{type(exc).__name__}: {exc}")


def _secret(env: Mapping[str, str], conf: Mapping[str, Any], key: str, channel: str) -> str:
    name = conf.get(key)
    if not name:
        raise ChannelProblem(f"notifications.{channel}.{key} is not set")
    value = env.get(name, "").strip()
    if not value:
        raise ChannelProblem(f"environment variable {name} is not set (notifications.{channel}.{key})")
    return value


def post_json(url: str, body: Mapping[str, Any], policy: RetryPolicy) -> Delivery:
    """POST ``body`` as JSON with retries on 429, 5xx, timeouts and refused connections."""
    data = json.dumps(body, allow_nan=False).encode("utf-8")
    last_error, last_status = "", None
    for attempt in range(1, policy.attempts + 1):
        retry_after = None
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"mlmon/{__version__}"})
        try:
            with urllib.request.urlopen(request, timeout=policy.timeout) as resp:
                resp.read()
                return Delivery(True, attempt, None, resp.status)
        except urllib.error.HTTPError as exc:
            last_status = exc.code
            last_error = f"HTTP {exc.code} {exc.reason} from {_host(url)}: {_snippet(exc)}"
            if exc.code != 429 and exc.code < 500:
                return Delivery(False, attempt, last_error, exc.code)
            retry_after = parse_retry_after(exc.headers.get("Retry-After"), policy.clock())
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            last_status = None
            last_error = f"{'timed out' if _is_timeout(reason) else reason} ({_host(url)})"
            if isinstance(reason, ValueError):  # malformed URL: retrying cannot help
                return Delivery(False, attempt, last_error)
        if attempt < policy.attempts:
            policy.sleep(policy.delay(attempt - 1, retry_after))
    return Delivery(False, policy.attempts, f"{last_error}; gave up after {policy.attempts} attempts", last_status)


def send_email(msg: EmailMessage, conf: Mapping[str, Any], env: Mapping[str, str], policy: RetryPolicy) -> Delivery:
    """Send over SMTP (STARTTLS when ``use_tls``; login when ``username`` is set), retrying
    connection failures and 4xx replies; 5xx replies are final."""
    password = None
    if conf.get("username"):
        password = _secret(env, conf, "password_env", "email") if conf.get("password_env") else None
    host, port = conf["smtp_host"], int(conf.get("smtp_port") or 587)
    last_error = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            with smtplib.SMTP(host, port, timeout=policy.timeout) as smtp:
                smtp.ehlo()
                if conf.get("use_tls", True):
                    if not smtp.has_extn("starttls"):
                        return Delivery(False, attempt, f"{host}:{port} does not offer STARTTLS; "
                                                        "set notifications.email.use_tls: false only on a trusted network")
                    smtp.starttls(context=ssl.create_default_context())  # verifies the server's certificate
                    smtp.ehlo()
                if password is not None:
                    smtp.login(conf["username"], password)
                smtp.send_message(msg)
            return Delivery(True, attempt)
        except smtplib.SMTPResponseException as exc:
            last_error = f"SMTP {exc.smtp_code} {_decode(exc.smtp_error)} ({host}:{port})"
            if exc.smtp_code >= 500:
                return Delivery(False, attempt, last_error)
        except smtplib.SMTPRecipientsRefused as exc:
            return Delivery(False, attempt, f"recipients refused: {', '.join(exc.recipients)} ({host}:{port})")
        except (OSError, smtplib.SMTPException) as exc:
            last_error = f"{'timed out' if _is_timeout(exc) else exc} ({host}:{port})"
        if attempt < policy.attempts:
            policy.sleep(policy.delay(attempt - 1, None))
    return Delivery(False, policy.attempts, f"{last_error}; gave up after {policy.attempts} attempts")


def parse_retry_after(value: Optional[str], now: float) -> Optional[float]:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date; None if absent
    or unreadable.

    >>> parse_retry_after("7", 0.0), parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", 10.0)
    (7.0, 20.0)
    >>> parse_retry_after("soon", 0.0) is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _is_timeout(exc: Any) -> bool:
    return isinstance(exc, (socket.timeout, TimeoutError)) or "timed out" in str(exc)


def _host(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname or "?"  # never the path: webhook URLs carry their secret there


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except Exception:
        text = ""
    return " ".join(text.split())[:200] or "(no body)"


def _decode(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
