"""Slack: an incoming-webhook message (a header, the numbers as fields, context, and plain text
for notifications that cannot show blocks). The webhook URL is the secret."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional

from mlmon.services.notify.channel import Channel, Secret, SectionProblem, section_schema, show

EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
_TOKEN = re.compile(r"\bxox[abposr]-|\bxapp-", re.IGNORECASE)  # Slack API tokens

SECRET = Secret(key="webhook_url_env", default_env="SLACK_WEBHOOK_URL", what="the webhook URL",
                file="slack_webhook_url", inline_keys=("webhook_url", "webhook"),
                shape=re.compile(r"https?://hooks\.slack\.com/", re.IGNORECASE), shape_name="a Slack webhook URL",
                is_url=True)


def slack_payload(event: Mapping[str, Any], conf: Mapping[str, Any]) -> Dict[str, Any]:
    """A Slack incoming-webhook message: a header, the numbers as fields, context, and plain text
    for notifications that cannot show blocks."""
    firing = event["status"] == "firing"
    title = f"{'' if firing else 'RESOLVED '}[{event['tier'].upper()}] {event['model']}: {event['condition']}"
    emoji = EMOJI.get(event["tier"], "") if firing else ":white_check_mark:"
    version = f" {event['model_version']}" if event.get("model_version") else ""
    fields = [
        f"*Observed*\n{show(event['value'])}",
        f"*Rule*\n{event['rule']}",
        f"*Model*\n{event['model']}{version}",
        f"*Status*\n{event['status']}" + (" (reminder)" if event.get("repeat") else ""),
    ]
    context = [f"key `{event['key']}`", f"since {event['starts_at']}"]
    if event.get("run_date"):
        context.append(f"data of {event['run_date']}")
    if event.get("response_time") and firing:
        context.append(f"respond within {event['response_time']}")
    if event.get("runbook_url"):
        context.append(f"<{event['runbook_url']}|runbook>")
    body: Dict[str, Any] = {
        "text": f"{emoji} {event['summary']}" + (f" (runbook: {event['runbook_url']})" if event.get("runbook_url") else ""),
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


def send(conf: Mapping[str, Any], body: Dict[str, Any], url: Optional[str], policy):
    from mlmon.services.notify.transport import post_json

    return post_json(url, body, policy)


def receiver(section: Mapping[str, Any], tier: str, secret_file: str) -> Dict[str, Any]:
    entry = {"send_resolved": True, "api_url_file": secret_file,
             "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})',
             "text": '{{ range .Alerts }}{{ .Annotations.summary }} (threshold {{ .Annotations.threshold }})\n{{ end }}'}
    if section.get("channel"):
        entry["channel"] = str(section["channel"])
    return {"slack_configs": [entry]}


def validate(section: Mapping[str, Any]) -> List[SectionProblem]:
    channel = section.get("channel")
    if isinstance(channel, str) and _TOKEN.search(channel):
        return [(("channel",), "looks like a Slack token, not a channel name; keep tokens out of the file and "
                               "write the channel here, e.g. \"#ml-alerts\"", "error")]
    return []


CHANNEL = Channel(
    name="slack",
    schema=section_schema("Slack incoming webhook", {
        SECRET.key: SECRET.schema(),
        "channel": {"type": "string", "description": "channel name, for messages"},
    }, required=[SECRET.key]),
    secret=SECRET,
    payload=lambda event, conf, secret: slack_payload(event, conf),
    send=send,
    receiver=receiver,
    validate=validate,
)
