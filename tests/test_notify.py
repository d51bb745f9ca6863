"""Notifiers against local receivers: exact payloads (Slack blocks, PagerDuty Events API v2,
Alertmanager webhook JSON, the email), and the retry rules (429 with Retry-After, 5xx, a hanging
receiver, no retry on other 4xx, missing secrets reported per channel)."""

from __future__ import annotations

import email.utils

import pytest

from mlmon.services import notify
from mlmon.services.alerting import Observation, evaluate, rules_from_config
from mlmon.services.config import validate_text
from mlmon.services.notify import Delivery, RetryPolicy, deliver
from receivers import HANG, HttpReceiver, Reply, SmtpReceiver

CONFIG = {"model": {"name": "fraud", "version": "2.1"},
          "alerts": {"consecutive_failures": 1, "cooldown": "1h",
                     "critical": {"response_time": "15m", "conditions": {"drift_score": 0.5},
                                  "notify": ["pagerduty", "slack"]}}}
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def events():
    """The firing event at T0 and the resolved one ten minutes later, from the engine itself."""
    rules = rules_from_config(CONFIG)
    context = {"run_date": "2026-01-01"}
    (fired,) = evaluate(rules, {"drift_score": Observation(0.75, "6 of 8 features drifted")}, {}, T0, 1, 3600, context)
    (resolved,) = evaluate(rules, {"drift_score": Observation(0.125, "1 of 8 features drifted")},
                           {fired.rule.key: fired.state}, T0 + 600, 1, 3600, context)
    return fired.message, resolved.message


FIRING, RESOLVED = events()


class Sleeps(list):
    """A fake sleep that records the waits instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


def policy(**kw):
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("backoff", 0.5)
    kw.setdefault("timeout", 5.0)
    return RetryPolicy(**kw)


# ---------------------------------------------------------------------------- payloads


def test_the_event_records_threshold_value_and_times():
    assert FIRING["status"] == "firing" and RESOLVED["status"] == "resolved"
    assert (FIRING["value"], FIRING["threshold"], FIRING["threshold_text"]) == (0.75, 0.5, "0.5")
    assert (FIRING["starts_at"], FIRING["ends_at"]) == ("2026-01-01T00:00:00Z", None)
    assert (RESOLVED["starts_at"], RESOLVED["ends_at"]) == ("2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z")
    assert FIRING["key"] == RESOLVED["key"] == "fraud/drift_score/critical"


def test_slack_blocks():
    assert notify.slack_payload(FIRING, {"channel": "#ml-alerts"}) == {
        "text": ":red_circle: [CRITICAL] fraud: drift_score 0.75 above 0.5",
        "channel": "#ml-alerts",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: [CRITICAL] fraud: drift_score",
                                        "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "6 of 8 features drifted"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*Observed*\n0.75"},
                {"type": "mrkdwn", "text": "*Rule*\ndrift_score > 0.5"},
                {"type": "mrkdwn", "text": "*Model*\nfraud 2.1"},
                {"type": "mrkdwn", "text": "*Status*\nfiring"},
            ]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                "key `fraud/drift_score/critical` · since 2026-01-01T00:00:00Z · data of 2026-01-01 · respond within 15m"}]},
        ],
    }
    resolved = notify.slack_payload(RESOLVED, {})
    assert "channel" not in resolved
    assert resolved["blocks"][0]["text"]["text"] == ":white_check_mark: RESOLVED [CRITICAL] fraud: drift_score"
    assert resolved["text"] == ":white_check_mark: [CRITICAL] fraud: drift_score 0.125 no longer above 0.5 (resolved)"


def test_a_value_at_the_threshold_resolves_without_saying_it_is_under_it():
    # resolved means "not above": 0.5 at a 0.5 threshold is not "back under 0.5"
    rules = rules_from_config(CONFIG)
    (fired,) = evaluate(rules, {"drift_score": Observation(0.75, "")}, {}, T0, 1, 3600, {})
    (resolved,) = evaluate(rules, {"drift_score": Observation(0.5, "")}, {fired.rule.key: fired.state}, T0 + 600, 1, 3600, {})
    assert resolved.message["summary"] == "[CRITICAL] fraud: drift_score 0.5 no longer above 0.5 (resolved)"


def test_the_drift_message_names_the_drifted_features_in_every_channel():
    from mlmon.services.alerting import observe

    cols = {f"f{i}": {"drifted": i not in (2, 5)} for i in range(8)}
    obs = observe({"drift_share": 0.75, "n_drifted": 6, "n_columns": 8, "columns": cols})
    assert obs["drift_score"].detail == "6 of 8 features drifted: f0, f1, f3, f4, f6, f7"
    many = observe({"drift_share": 1.0, "n_drifted": 12, "n_columns": 12,
                    "columns": {f"c{i:02d}": {"drifted": True} for i in range(12)}})
    assert many["drift_score"].detail == ("12 of 12 features drifted: c00, c01, c02, c03, c04, c05, c06, c07, c08, c09 "
                                          "and 2 more")
    (fired,) = evaluate(rules_from_config(CONFIG), obs, {}, T0, 1, 3600, {})
    slack = notify.slack_payload(fired.message, {})
    assert slack["blocks"][1]["text"]["text"] == "6 of 8 features drifted: f0, f1, f3, f4, f6, f7"


RUNBOOK = "https://wiki.example.com/ml/runbook#fraud"


def test_the_runbook_url_is_linked_in_every_channel():
    def runbook_problems(value):
        return [p.severity for p in validate_text(f"version: 1\nalerts:\n  runbook_url: {value}\n", file="m.yaml")
                if "runbook_url" in p.path]

    assert (runbook_problems(RUNBOOK), runbook_problems("wiki page")) == ([], ["error"])
    (fired,) = evaluate(rules_from_config(CONFIG), {"drift_score": Observation(0.75, "6 of 8 features drifted")},
                        {}, T0, 1, 3600, {"runbook_url": RUNBOOK})
    event = fired.message
    slack = notify.slack_payload(event, {})
    assert slack["text"].endswith(f" (runbook: {RUNBOOK})")
    assert slack["blocks"][3]["elements"][0]["text"].endswith(f" · <{RUNBOOK}|runbook>")
    assert notify.pagerduty_payload(event, "R" * 32)["links"] == [{"href": RUNBOOK, "text": "runbook"}]
    assert notify.alertmanager_payload(event)["alerts"][0]["annotations"]["runbook_url"] == RUNBOOK
    assert f"runbook:    {RUNBOOK}\n" in notify.email_message(event, {"recipients": ["a@example.com"]}).get_content()


def test_pagerduty_trigger_and_resolve_share_the_dedup_key():
    assert notify.pagerduty_payload(FIRING, "R" * 32) == {
        "routing_key": "R" * 32,
        "event_action": "trigger",
        "dedup_key": "fraud/drift_score/critical",
        "payload": {
            "summary": "[CRITICAL] fraud: drift_score 0.75 above 0.5",
            "source": "fraud",
            "severity": "critical",
            "timestamp": "2026-01-01T00:00:00Z",
            "component": "fraud",
            "group": "ml-monitoring",
            "class": "drift_score",
            "custom_details": {"value": 0.75, "threshold": 0.5, "rule": "drift_score > 0.5",
                               "detail": "6 of 8 features drifted", "model_version": "2.1", "consecutive": 1,
                               "run_date": "2026-01-01", "response_time": "15m"},
        },
        "client": f"mlmon {notify.__version__}",
    }
    assert notify.pagerduty_payload(RESOLVED, "R" * 32) == {
        "routing_key": "R" * 32, "event_action": "resolve", "dedup_key": "fraud/drift_score/critical"}


@pytest.mark.parametrize("tier, severity", [("critical", "critical"), ("warning", "warning"), ("info", "info")])
def test_pagerduty_severity_follows_the_tier(tier, severity):
    assert notify.pagerduty_payload({**FIRING, "tier": tier}, "k")["payload"]["severity"] == severity


def test_alertmanager_webhook_json_version_4():
    labels = {"alertname": "MlmonDriftScore", "model": "fraud", "severity": "critical",
              "condition": "drift_score", "version": "2.1"}
    annotations = {"summary": "[CRITICAL] fraud: drift_score 0.75 above 0.5", "description": "6 of 8 features drifted",
                   "value": "0.75", "threshold": "0.5", "rule": "drift_score > 0.5", "response_time": "15m"}
    assert notify.alertmanager_payload(FIRING) == {
        "version": "4",
        "groupKey": '{}:{alertname="MlmonDriftScore", model="fraud"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "mlmon",
        "groupLabels": {"alertname": "MlmonDriftScore", "model": "fraud"},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [{
            "status": "firing", "labels": labels, "annotations": annotations,
            "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "", "fingerprint": FIRING["fingerprint"],
        }],
    }
    resolved = notify.alertmanager_payload(RESOLVED)
    assert resolved["status"] == resolved["alerts"][0]["status"] == "resolved"
    assert resolved["alerts"][0]["endsAt"] == "2026-01-01T00:10:00Z"
    assert resolved["alerts"][0]["fingerprint"] == FIRING["fingerprint"] and len(FIRING["fingerprint"]) == 16


# ---------------------------------------------------------------------------- HTTP delivery and retries


def test_slack_delivered_on_200_with_the_payload_as_sent():
    with HttpReceiver(Reply(200)) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, policy())
    assert result == Delivery(True, 1, None, 200)
    assert rx.bodies == [notify.slack_payload(FIRING, {})]
    assert rx.requests[0][1]["Content-Type"] == "application/json"


def test_429_waits_what_retry_after_says_in_seconds():
    p = policy()
    with HttpReceiver(Reply(429, {"Retry-After": "3"}), Reply(429, {"Retry-After": "1"}), Reply(200)) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, p)
    assert (result.ok, result.attempts, len(rx.requests)) == (True, 3, 3)
    assert p.sleep == [3.0, 1.0]


def test_retry_after_as_an_http_date_and_capped():
    now = 1_767_225_600.0
    p = policy(clock=lambda: now, max_delay=30.0)
    date = email.utils.formatdate(now + 7, usegmt=True)
    with HttpReceiver(Reply(503, {"Retry-After": date}), Reply(429, {"Retry-After": "86400"}), Reply(202)) as rx:
        result = deliver("webhook", {"url_env": "AM"}, FIRING, {"AM": rx.url}, p)
    assert (result.ok, result.attempts) == (True, 3)
    assert p.sleep == [7.0, 30.0]


def test_5xx_retried_with_exponential_backoff_then_given_up():
    p = policy(attempts=4, backoff=0.5)
    with HttpReceiver(Reply(500, body="boom")) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, p)
    assert (result.ok, result.attempts, result.http_status, len(rx.requests)) == (False, 4, 500, 4)
    assert p.sleep == [0.5, 1.0, 2.0]
    assert result.error == "HTTP 500 Internal Server Error from 127.0.0.1: boom; gave up after 4 attempts"


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_are_not_retried(status):
    p = policy()
    with HttpReceiver(Reply(status, body="invalid_payload")) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, p)
    assert (result.ok, result.attempts, result.http_status, len(rx.requests), p.sleep) == (False, 1, status, 1, [])
    assert result.error.startswith(f"HTTP {status} ") and result.error.endswith("from 127.0.0.1: invalid_payload")


def test_a_hanging_receiver_times_out_and_is_retried():
    p = policy(attempts=2, timeout=0.3)
    with HttpReceiver(HANG) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, p)
    assert (result.ok, result.attempts, len(rx.requests)) == (False, 2, 2)
    assert result.error == "timed out (127.0.0.1); gave up after 2 attempts"


def test_a_hang_then_an_answer_is_delivered():
    p = policy(attempts=3, timeout=0.3)
    with HttpReceiver(HANG, Reply(200)) as rx:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx.url}, p)
    assert (result.ok, result.attempts) == (True, 2)


def test_a_refused_connection_is_retried():
    with HttpReceiver() as rx:
        url = rx.url
    p = policy(attempts=2)
    result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": url}, p)
    assert (result.ok, result.attempts, p.sleep) == (False, 2, [0.5])
    assert "refused" in result.error.lower()


def test_pagerduty_posts_to_its_events_url_with_the_routing_key_from_the_environment():
    conf = {"routing_key_env": "PD_KEY"}
    with HttpReceiver(Reply(202, body='{"status":"success"}')) as rx:
        conf["events_url"] = rx.url
        env = {"PD_KEY": "abc123"}
        assert deliver("pagerduty", conf, FIRING, env, policy()).ok
        assert deliver("pagerduty", conf, RESOLVED, env, policy()).ok
    trigger, resolve = rx.bodies
    assert trigger == notify.pagerduty_payload(FIRING, "abc123")
    assert resolve == {"routing_key": "abc123", "event_action": "resolve", "dedup_key": "fraud/drift_score/critical"}


def test_webhook_receives_alertmanager_json():
    with HttpReceiver(Reply(200)) as rx:
        assert deliver("webhook", {"url_env": "AM"}, RESOLVED, {"AM": rx.url}, policy()).ok
    assert rx.bodies == [notify.alertmanager_payload(RESOLVED)]


@pytest.mark.parametrize("channel, conf, message", [
    ("slack", {"webhook_url_env": "NOPE_SLACK"}, "environment variable NOPE_SLACK is not set (notifications.slack.webhook_url_env)"),
    ("pagerduty", {"routing_key_env": "NOPE_PD"}, "environment variable NOPE_PD is not set (notifications.pagerduty.routing_key_env)"),
    ("webhook", {"url_env": "NOPE_AM"}, "environment variable NOPE_AM is not set (notifications.webhook.url_env)"),
    ("email", {"smtp_host": "localhost", "recipients": ["a@b"], "username": "u", "password_env": "NOPE_PW"},
     "environment variable NOPE_PW is not set (notifications.email.password_env)"),
    ("slack", {"webhook_url_env": "X", "enabled": False}, "notifications.slack.enabled is false"),
    ("sms", {}, "unknown channel 'sms'"),
])
def test_a_channel_that_cannot_be_used_is_a_problem_for_that_channel_not_a_crash(channel, conf, message):
    assert deliver(channel, conf, FIRING, {}, policy()) == Delivery(False, 0, message)


# ---------------------------------------------------------------------------- email


def email_conf(port, **kw):
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "use_tls": False, "sender": "alerts@example.com",
            "recipients": ["ml-team@example.com", "oncall@example.com"], **kw}


def test_email_reaches_the_smtp_server():
    with SmtpReceiver() as smtp:
        result = deliver("email", email_conf(smtp.port), FIRING, {}, policy())
    assert result == Delivery(True, 1)
    ((sender, rcpts, msg),) = smtp.messages
    assert (sender, rcpts) == ("alerts@example.com", ["ml-team@example.com", "oncall@example.com"])
    assert msg["Subject"] == "[CRITICAL] fraud: drift_score 0.75 above 0.5"
    assert msg["To"] == "ml-team@example.com, oncall@example.com"
    assert msg["X-Mlmon-Alert-Key"] == "fraud/drift_score/critical"
    assert msg.get_payload(decode=True).decode().replace("\r\n", "\n") == (  # CRLF on the wire
        "[CRITICAL] fraud: drift_score 0.75 above 0.5\n\n"
        "status:     firing\n"
        "model:      fraud 2.1\n"
        "condition:  drift_score (critical)\n"
        "observed:   0.75\n"
        "rule:       drift_score > 0.5\n"
        "detail:     6 of 8 features drifted\n"
        "since:      2026-01-01T00:00:00Z\n"
        "data of:    2026-01-01\n\n"
        "alert key:  fraud/drift_score/critical\n")


def test_email_transient_4xx_is_retried_and_5xx_is_final():
    p = policy()
    with SmtpReceiver(fail_with="421 try later", fail_times=1) as smtp:
        assert deliver("email", email_conf(smtp.port), FIRING, {}, p) == Delivery(True, 2)
    assert p.sleep == [0.5] and len(smtp.messages) == 1
    p = policy()
    with SmtpReceiver(fail_with="550 no such mailbox", fail_times=9) as smtp:
        result = deliver("email", email_conf(smtp.port), FIRING, {}, p)
    assert (result.ok, result.attempts, p.sleep, smtp.messages) == (False, 1, [], [])
    assert result.error == f"SMTP 550 no such mailbox (127.0.0.1:{smtp.port})"


def test_email_with_starttls_required_but_not_offered_is_refused_with_a_reason():
    with SmtpReceiver() as smtp:
        result = deliver("email", email_conf(smtp.port, use_tls=True), FIRING, {}, policy())
    assert (result.ok, smtp.messages) == (False, [])
    assert result.error.startswith(f"127.0.0.1:{smtp.port} does not offer STARTTLS")


# ---------------------------------------------------------------------------- the config


def test_a_webhook_channel_validates_and_tiers_may_notify_it():
    text = """version: 1
model: {name: m, task: binary}
data: {reference: {path: r.parquet}, current: {path: c.parquet}}
alerts:
  critical: {conditions: {drift_score: 0.5}, notify: [webhook, pagerduty]}
notifications:
  webhook: {url_env: MLMON_WEBHOOK_URL}
  pagerduty: {routing_key_env: PAGERDUTY_ROUTING_KEY, events_url: "http://127.0.0.1:9/enqueue"}
"""
    assert [p.format() for p in validate_text(text)] == []
    missing = validate_text(text.replace("  webhook: {url_env: MLMON_WEBHOOK_URL}\n", ""))
    assert [p.message for p in missing] == [
        "notifies 'webhook' but notifications.webhook is not configured; add it or drop it here"]


def test_email_over_starttls_logs_in_with_the_password_from_the_environment(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    with SmtpReceiver(tls=certificate) as smtp:
        conf = email_conf(smtp.port, use_tls=True, username="alerts@example.com", password_env="T_SMTP_PW")
        result = deliver("email", conf, FIRING, {"T_SMTP_PW": "s3cret"}, policy())
    assert result == Delivery(True, 1)
    assert smtp.logins == [("alerts@example.com", "s3cret", True)]  # the password only ever crossed TLS
    assert len(smtp.messages) == 1


def test_email_refuses_a_server_certificate_it_cannot_verify(certificate, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with SmtpReceiver(tls=certificate) as smtp:
        conf = email_conf(smtp.port, use_tls=True, username="u", password_env="T_SMTP_PW")
        result = deliver("email", conf, FIRING, {"T_SMTP_PW": "s3cret"}, policy(attempts=1))
    assert (result.ok, smtp.logins, smtp.messages) == (False, [], [])
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
