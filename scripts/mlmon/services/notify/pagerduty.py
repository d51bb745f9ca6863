"""PagerDuty: an Events API v2 event, ``trigger`` while firing and ``resolve`` after, one
``dedup_key`` per alert. The routing key is the secret; it travels in the body."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Dict, List, Mapping, Optional

from mlmon import __version__
from mlmon.services.notify.channel import Channel, Secret, SectionProblem, section_schema

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
# PagerDuty's severities are critical, error, warning and info; the tiers map onto them by name
SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}

SECRET = Secret(key="routing_key_env", default_env="PAGERDUTY_ROUTING_KEY", what="the routing key",
                file="pagerduty_routing_key", inline_keys=("routing_key", "integration_key"),
                shape=re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{32}$"), shape_name="a 32-character routing key")


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
            "severity": SEVERITY.get(event["tier"], "error"),
            "timestamp": event["starts_at"],
            "component": event["model"],
            "group": "ml-monitoring",
            "class": event["condition"],
            "custom_details": {
                k: event.get(k) for k in ("value", "threshold", "rule", "detail", "model_version",
                                          "consecutive", "run_date", "response_time")
            } | ({"runbook_url": event["runbook_url"]} if event.get("runbook_url") else {}),
        },
        **({"links": [{"href": event["runbook_url"], "text": "runbook"}]} if event.get("runbook_url") else {}),
        "client": f"mlmon {__version__}",
    }


def send(conf: Mapping[str, Any], body: Dict[str, Any], routing_key: Optional[str], policy):
    from mlmon.services.notify.transport import post_json

    return post_json(conf.get("events_url") or EVENTS_URL, body, policy)


def receiver(section: Mapping[str, Any], tier: str, secret_file: str) -> Dict[str, Any]:
    severity = {"critical": "critical", "warning": "warning"}.get(tier, "info")
    return {"pagerduty_configs": [{"send_resolved": True, "routing_key_file": secret_file, "severity": severity,
                                   "description": '{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}'}]}


def validate(section: Mapping[str, Any]) -> List[SectionProblem]:
    url = section.get("events_url")
    if isinstance(url, str):
        try:
            query = urllib.parse.urlsplit(url).query
        except ValueError:
            query = ""
        if query:
            return [(("events_url",), "has a query string, where a routing key or token would sit in the file; "
                                      f"the routing key goes in the variable {SECRET.key} names, the URL ends at its path",
                     "error")]
    return []


CHANNEL = Channel(
    name="pagerduty",
    schema=section_schema("PagerDuty Events API v2", {
        SECRET.key: SECRET.schema(),
        "events_url": {"type": "string", "pattern": "^https?://",
                       "description": "Events API v2 endpoint (default PagerDuty's own; for EU accounts or a proxy)"},
    }, required=[SECRET.key]),
    secret=SECRET,
    payload=lambda event, conf, secret: pagerduty_payload(event, secret),
    send=send,
    receiver=receiver,
    validate=validate,
)
