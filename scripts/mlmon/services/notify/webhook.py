"""A generic webhook receiving the JSON Alertmanager's webhook receiver posts (version 4), so
anything that reads Alertmanager's notifications reads ours. The URL is the secret (it often
carries a token)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from mlmon.services.notify.channel import Channel, Secret, section_schema, show

ALERTMANAGER_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing
URL_FILE_SINCE = "0.26"  # the first Alertmanager whose webhook_configs read url_file

SECRET = Secret(key="url_env", default_env="MLMON_WEBHOOK_URL", what="the webhook URL", file="webhook_url",
                is_url=True)


def alertmanager_payload(event: Mapping[str, Any], receiver: str = "mlmon") -> Dict[str, Any]:
    """The body Alertmanager's webhook receiver posts (version 4), with this one alert."""
    # the labels the generated Prometheus rules put on the same alert (model, version), so one
    # Alertmanager route serves both ways of alerting
    labels = {"alertname": alertname(event["condition"]), "model": event["model"],
              "severity": event["tier"], "condition": event["condition"]}
    if event.get("model_version"):
        labels["version"] = str(event["model_version"])
    annotations = {"summary": event["summary"], "description": event["detail"] or event["summary"],
                   "value": show(event["value"]), "threshold": event["threshold_text"], "rule": event["rule"]}
    if event.get("response_time"):
        annotations["response_time"] = event["response_time"]
    if event.get("estimated"):
        annotations["estimated"] = "true"  # the value is an estimate: the labels are not in yet
    if event.get("runbook_url"):
        annotations["runbook_url"] = event["runbook_url"]  # Alertmanager's usual annotation name
    alert = {
        "status": event["status"],
        "labels": labels,
        "annotations": annotations,
        "startsAt": event["starts_at"],
        "endsAt": event["ends_at"] or ALERTMANAGER_ZERO_TIME,
        "generatorURL": "",
        "fingerprint": event["fingerprint"],
    }
    group_labels = {"alertname": labels["alertname"], "model": labels["model"]}
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


def alertname(condition: str) -> str:
    """``accuracy_drop`` -> ``MlmonAccuracyDrop``.

    >>> alertname("latency_p99")
    'MlmonLatencyP99'
    """
    return "Mlmon" + "".join(part.capitalize() for part in condition.split("_"))


def send(conf: Mapping[str, Any], body: Dict[str, Any], url: Optional[str], policy):
    from mlmon.services.notify.transport import post_json

    return post_json(url, body, policy)


def receiver(section: Mapping[str, Any], tier: str, secret_file: str) -> Dict[str, Any]:
    # the URL is the secret (it often carries a token), so Alertmanager reads it from a file
    return {"webhook_configs": [{"send_resolved": True, "url_file": secret_file}]}


CHANNEL = Channel(
    name="webhook",
    schema=section_schema("generic webhook receiving Alertmanager-compatible JSON", {
        SECRET.key: SECRET.schema(),
    }, required=[SECRET.key]),
    secret=SECRET,
    payload=lambda event, conf, secret: alertmanager_payload(event),
    send=send,
    receiver=receiver,
    alertmanager_note=(f"webhook_configs read the URL from url_file, which needs Alertmanager {URL_FILE_SINCE} "
                       "or later; an older one rejects this file"),
)
