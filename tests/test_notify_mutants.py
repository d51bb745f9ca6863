"""The notifiers' smaller rules, each with an exact expected value: the section schema every
channel shares, the registry's discovery, PagerDuty's limits and severities, how a Retry-After in
the past, a timeout, a failed connection and an error body read, and the SMTP sender's port,
timeout, retries and replies. test_notify.py covers the deliveries end to end; these pin the
details its cases leave free."""

from __future__ import annotations

import io
import smtplib
import socket
import sys
import urllib.error

import pytest

from mlmon.services import notify
from mlmon.services.notify import Delivery, RetryPolicy, channel, email, pagerduty, registry, slack, transport, webhook
from test_notify import FIRING, RESOLVED, Sleeps, policy

RUNBOOK = "https://wiki.example.com/ml/runbook#fraud"


# ---------------------------------------------------------------------------- declarations


def test_the_section_schema_every_channel_shares():
    assert channel.section_schema("chat", {"url_env": {"type": "string"}}, ["url_env"]) == {
        "type": "object", "description": "chat", "additionalProperties": False,
        "properties": {"enabled": {"type": "boolean", "description": "send to this channel", "default": True},
                       "url_env": {"type": "string"}},
        "required": ["url_env"]}


def test_a_secrets_schema_is_a_reference_to_an_environment_variable_name():
    assert slack.SECRET.schema() == {"$ref": "#/$defs/env_var", "description": "environment variable holding the "
                                     "webhook URL", "default": "SLACK_WEBHOOK_URL"}
    assert email.SECRET.schema() == {"$ref": "#/$defs/env_var", "description": "environment variable holding the "
                                     "SMTP password", "default": "SMTP_PASSWORD"}


def test_the_registry_finds_each_channel_module_sorted_by_name():
    found = registry._discover()
    assert list(found) == ["email", "pagerduty", "slack", "webhook"]
    assert found == {"email": email.CHANNEL, "pagerduty": pagerduty.CHANNEL, "slack": slack.CHANNEL,
                     "webhook": webhook.CHANNEL}
    assert registry.get("slack") is registry.REGISTRY["slack"] and registry.get("sms") is None


CHANNEL_MODULE = """from mlmon.services.notify.channel import Channel
from mlmon.services.notify.webhook import CHANNEL as _W
CHANNEL = Channel(name={name!r}, schema=_W.schema, secret=_W.secret, payload=_W.payload, send=_W.send,
                  receiver=_W.receiver)
"""


@pytest.fixture
def extra_modules(tmp_path, monkeypatch):
    """Modules added to the notify package for one test, through its __path__."""
    monkeypatch.setattr(notify, "__path__", [*notify.__path__, str(tmp_path)])
    added = []

    def add(name, text):
        (tmp_path / f"{name}.py").write_text(text)
        added.append(f"{notify.__name__}.{name}")

    yield add
    for name in added:
        sys.modules.pop(name, None)


def test_the_registry_skips_private_modules_and_modules_without_a_channel(extra_modules):
    extra_modules("_draft", CHANNEL_MODULE.format(name="draft"))
    extra_modules("helpers", "CHANNEL = 'not a Channel'\n")
    extra_modules("util", "LIMIT = 3\n")
    extra_modules("zz_teams", CHANNEL_MODULE.format(name="teams"))
    assert list(registry._discover()) == ["email", "pagerduty", "slack", "webhook", "teams"]


def test_two_modules_declaring_one_channel_name_are_refused(extra_modules):
    extra_modules("zz_slack_copy", CHANNEL_MODULE.format(name="slack"))
    with pytest.raises(RuntimeError, match=r"^two notification channels are named 'slack'$"):
        registry._discover()


# ---------------------------------------------------------------------------- PagerDuty


def test_pagerduty_summary_is_cut_at_its_1024_character_limit():
    # Events API v2: payload.summary is at most 1024 characters
    long = {**FIRING, "summary": "s" * 1000 + "t" * 100}
    assert pagerduty.pagerduty_payload(long, "k")["payload"]["summary"] == "s" * 1000 + "t" * 24


def test_pagerduty_severity_of_an_unknown_tier_is_error():
    # PagerDuty's severities are critical, error, warning and info
    assert pagerduty.pagerduty_payload({**FIRING, "tier": "page"}, "k")["payload"]["severity"] == "error"


def test_pagerduty_custom_details_carry_the_runbook():
    event = {**FIRING, "runbook_url": RUNBOOK}
    details = pagerduty.pagerduty_payload(event, "k")["payload"]["custom_details"]
    assert details == {"value": 0.75, "threshold": 0.5, "rule": "drift_score > 0.5", "detail": "6 of 8 features drifted",
                       "model_version": "2.1", "consecutive": 1, "run_date": "2026-01-01", "response_time": "15m",
                       "runbook_url": RUNBOOK}
    assert "runbook_url" not in pagerduty.pagerduty_payload(FIRING, "k")["payload"]["custom_details"]


# ---------------------------------------------------------------------------- HTTP details


def test_a_retry_after_date_in_the_past_waits_nothing():
    assert transport.parse_retry_after("Thu, 01 Jan 1970 00:00:05 GMT", 10.0) == 0.0


@pytest.mark.parametrize("exc, expected", [
    (socket.timeout("timed out"), True),
    (TimeoutError(), True),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out"), True),  # smtplib's wording
    (OSError("_ssl.c:990: The handshake operation timed out"), True),
    (ConnectionRefusedError(111, "Connection refused"), False),
    ("timed out", True),
])
def test_is_timeout(exc, expected):
    assert transport.is_timeout(exc) is expected


@pytest.mark.parametrize("reason, expected", [
    (ConnectionRefusedError(111, "Connection refused"), "[Errno 111] Connection refused"),
    ("unknown url type: https://hooks.example.com/T0/SECRET", "connection failed"),  # urllib's text quotes the URL
    (RuntimeError("https://hooks.example.com/T0/SECRET"), "RuntimeError"),
])
def test_a_failed_connection_is_named_without_the_url(reason, expected):
    assert transport._reason(reason) == expected


def http_error(body: bytes) -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://127.0.0.1/", 400, "Bad Request", {}, io.BytesIO(body))


@pytest.mark.parametrize("body, expected", [
    (b'{"error":  "invalid\n  payload"}', '{"error": "invalid payload"}'),   # whitespace folded
    (b"caf\xc3\xa9 \xff!", "caf\u00e9 \ufffd!"),                              # not UTF-8: replaced
    (b" " * 299 + b"x" + b"y" * 50, "x"),                                     # only 300 bytes are read
    (b"z" * 250, "z" * 200),                                                  # at most 200 characters shown
    (b"", "(no body)"),
    (b" \n\t ", "(no body)"),
])
def test_the_error_body_snippet(body, expected):
    assert transport._snippet(http_error(body)) == expected


def test_an_error_body_that_cannot_be_read_is_no_body():
    class Unreadable:
        def read(self, n):
            raise ConnectionResetError(104, "Connection reset by peer")

    assert transport._snippet(Unreadable()) == "(no body)"


# ---------------------------------------------------------------------------- Slack, webhook and email bodies


def test_slack_without_a_model_version_or_detail_shows_the_model_and_the_summary():
    body = slack.slack_payload({**FIRING, "model_version": None, "detail": ""}, {})
    assert body["blocks"][1]["text"]["text"] == "[CRITICAL] fraud: drift_score 0.75 above 0.5"
    assert body["blocks"][2]["fields"][2] == {"type": "mrkdwn", "text": "*Model*\nfraud"}


def test_slack_marks_a_reminder():
    body = slack.slack_payload({**FIRING, "repeat": True}, {})
    assert body["blocks"][2]["fields"][3] == {"type": "mrkdwn", "text": "*Status*\nfiring (reminder)"}


def test_slack_asks_for_a_response_only_while_firing():
    assert RESOLVED["response_time"] == "15m"
    context = slack.slack_payload(RESOLVED, {})["blocks"][3]["elements"][0]["text"]
    assert context == "key `fraud/drift_score/critical` · since 2026-01-01T00:00:00Z · data of 2026-01-01"


@pytest.mark.parametrize("tier, emoji", [("warning", ":large_orange_circle:"), ("info", ":large_blue_circle:"),
                                         ("page", "")])
def test_slack_emoji_per_tier_and_none_for_another(tier, emoji):
    body = slack.slack_payload({**FIRING, "tier": tier}, {})
    assert body["blocks"][0]["text"]["text"] == f"{emoji} [{tier.upper()}] fraud: drift_score"


def test_slack_header_is_cut_at_its_150_character_limit():
    # Block Kit: a header block's text is at most 150 characters
    header = slack.slack_payload({**FIRING, "model": "m" * 200}, {})["blocks"][0]["text"]["text"]
    assert header == ":red_circle: [CRITICAL] " + "m" * (150 - len(":red_circle: [CRITICAL] "))


def test_the_webhook_description_falls_back_to_the_summary_and_an_estimate_is_marked():
    annotations = webhook.alertmanager_payload({**FIRING, "detail": "", "estimated": True})["alerts"][0]["annotations"]
    assert annotations["description"] == "[CRITICAL] fraud: drift_score 0.75 above 0.5"
    assert annotations["estimated"] == "true"
    assert "estimated" not in webhook.alertmanager_payload(FIRING)["alerts"][0]["annotations"]


@pytest.mark.parametrize("conf, sender", [({"sender": "alerts@example.com", "username": "u@example.com"}, "alerts@example.com"),
                                          ({"username": "u@example.com"}, "u@example.com"),
                                          ({}, "mlmon@localhost")])
def test_email_sender_is_the_sender_else_the_user_else_mlmon_at_localhost(conf, sender):
    assert email.email_message(FIRING, {"recipients": ["a@example.com"], **conf})["From"] == sender


def test_email_headers_date_in_utc_and_message_id_of_mlmon():
    import email.utils as eu
    import re
    import time as time_

    msg = email.email_message(FIRING, {"recipients": ["a@example.com", "b@example.com"]})
    assert msg["To"] == "a@example.com, b@example.com"
    assert msg["Subject"] == "[CRITICAL] fraud: drift_score 0.75 above 0.5"
    assert msg["Date"].endswith(" -0000")  # RFC 5322: UTC, as formatdate(localtime=False) writes it
    assert abs(eu.parsedate_to_datetime(msg["Date"]).timestamp() - time_.time()) < 60
    assert re.fullmatch(r"<[^@<>]+@mlmon>", msg["Message-ID"])
    assert msg["X-Mlmon-Alert-Key"] == "fraud/drift_score/critical"
    # header names are matched in any case, but written as RFC 5322 and RFC 2045 spell them
    assert msg.keys() == ["From", "To", "Subject", "Date", "Message-ID", "X-Mlmon-Alert-Key", "Content-Type",
                          "Content-Transfer-Encoding", "MIME-Version"]


def test_the_resolved_email_without_a_model_version():
    msg = email.email_message({**RESOLVED, "model_version": None}, {"recipients": ["a@example.com"]})
    assert msg.get_content() == (
        "[CRITICAL] fraud: drift_score 0.125 no longer above 0.5 (resolved)\n\n"
        "status:     resolved\n"
        "model:      fraud\n"
        "condition:  drift_score (critical)\n"
        "observed:   0.125\n"
        "rule:       drift_score > 0.5\n"
        "detail:     1 of 8 features drifted\n"
        "since:      2026-01-01T00:00:00Z\n"
        "resolved:   2026-01-01T00:10:00Z\n"
        "data of:    2026-01-01\n\n"
        "alert key:  fraud/drift_score/critical\n")


# ---------------------------------------------------------------------------- Alertmanager receivers
# keys as Alertmanager's configuration reference names them (slack_configs, pagerduty_configs,
# email_configs, webhook_configs); secrets are read from files (api_url_file, routing_key_file,
# auth_password_file, url_file)


def test_slack_receiver():
    assert slack.receiver({"channel": "#ml-alerts"}, "critical", "/run/secrets/slack_webhook_url") == {"slack_configs": [{
        "send_resolved": True, "api_url_file": "/run/secrets/slack_webhook_url",
        "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
        "text": "{{ range .Alerts }}{{ .Annotations.summary }} (threshold {{ .Annotations.threshold }})\n{{ end }}",
        "channel": "#ml-alerts"}]}
    assert "channel" not in slack.receiver({}, "critical", "/s")["slack_configs"][0]


@pytest.mark.parametrize("tier, severity", [("critical", "critical"), ("warning", "warning"), ("info", "info")])
def test_pagerduty_receiver(tier, severity):
    assert pagerduty.receiver({"routing_key_env": "PD"}, tier, "/run/secrets/pagerduty_routing_key") == {
        "pagerduty_configs": [{"send_resolved": True, "routing_key_file": "/run/secrets/pagerduty_routing_key",
                               "severity": severity,
                               "description": "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}"}]}


def test_webhook_receiver():
    assert webhook.receiver({"url_env": "W"}, "info", "/run/secrets/webhook_url") == {
        "webhook_configs": [{"send_resolved": True, "url_file": "/run/secrets/webhook_url"}]}


def test_email_receiver_with_every_setting():
    section = {"smtp_host": "mail.example.com", "smtp_port": 465, "use_tls": False, "username": "u@example.com",
               "password_env": "SMTP_PASSWORD", "sender": "alerts@example.com",
               "recipients": ["a@example.com", "b@example.com"]}
    assert email.receiver(section, "warning", "/run/secrets/smtp_password") == {"email_configs": [{
        "send_resolved": True, "to": "a@example.com, b@example.com", "from": "alerts@example.com",
        "smarthost": "mail.example.com:465", "require_tls": False, "auth_username": "u@example.com",
        "auth_password_file": "/run/secrets/smtp_password"}]}


def test_email_receiver_defaults():
    assert email.receiver({"smtp_host": "mail", "recipients": ["a@example.com"], "username": "u"}, "info", "/s") == {
        "email_configs": [{"send_resolved": True, "to": "a@example.com", "from": "u", "smarthost": "mail:587",
                           "require_tls": True, "auth_username": "u"}]}
    assert email.receiver({}, "info", "/s") == {"email_configs": [{
        "send_resolved": True, "to": "", "from": "", "smarthost": "localhost:587", "require_tls": True}]}


def test_delivery_as_a_dict():
    assert Delivery(False, 2, "HTTP 503", 503).to_dict() == {"ok": False, "attempts": 2, "error": "HTTP 503",
                                                             "http_status": 503}
    assert Delivery(True, 1).to_dict() == {"ok": True, "attempts": 1, "error": None, "http_status": None}


# ---------------------------------------------------------------------------- SMTP details


class FakeSMTP:
    """smtplib.SMTP's interface, answering from a script: each connection takes the next outcome,
    None (the message is accepted), ("connect", exc) or ("send", exc) (raised there)."""

    def __init__(self, *outcomes, starttls=True):
        self.outcomes, self.connections, self.starttls = list(outcomes), [], starttls
        self.tls_contexts, self.sent = [], []

    def __call__(self, host, port, timeout=object()):
        self.connections.append((host, port, timeout))
        stage, exc = self.outcomes[min(len(self.connections), len(self.outcomes)) - 1] or (None, None)
        if stage == "connect":
            raise exc
        fake = self

        class Connection:
            def __enter__(self):
                return self

            def __exit__(self, *args):
                return False

            def ehlo(self):
                pass

            def has_extn(self, name):
                return fake.starttls and name.lower() == "starttls"

            def starttls(self, context=None):
                fake.tls_contexts.append(context)

            def send_message(self, msg):
                if stage == "send":
                    raise exc
                fake.sent.append(msg)

        return Connection()


def send(monkeypatch, conf, *outcomes, starttls=True, **kw):
    fake = FakeSMTP(*outcomes, starttls=starttls)
    monkeypatch.setattr(smtplib, "SMTP", fake)
    p = policy(**kw)
    msg = email.email_message(FIRING, {"recipients": ["a@example.com"]})
    return email.send_email({"use_tls": False, "recipients": ["a@example.com"], **conf}, msg, None, p), fake, p


def test_smtp_port_defaults_to_587_and_every_connection_has_the_timeout(monkeypatch):
    result, fake, _ = send(monkeypatch, {"smtp_host": "mail.example.com"}, None, timeout=7.5)
    assert result == Delivery(True, 1)
    assert fake.connections == [("mail.example.com", 587, 7.5)]  # 587: message submission (RFC 6409)
    result, fake, _ = send(monkeypatch, {"smtp_host": "mail.example.com", "smtp_port": 2525}, None)
    assert fake.connections == [("mail.example.com", 2525, 5.0)]


def test_smtp_uses_starttls_with_certificate_checks_unless_told_not_to(monkeypatch):
    import ssl

    fake = FakeSMTP(None)
    monkeypatch.setattr(smtplib, "SMTP", fake)
    msg = email.email_message(FIRING, {"recipients": ["a@example.com"]})
    assert email.send_email({"smtp_host": "h", "recipients": ["a@example.com"]}, msg, None, policy()) == Delivery(True, 1)
    (context,) = fake.tls_contexts
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    assert len(fake.sent) == 1


def test_smtp_without_starttls_when_it_is_required_is_refused_word_for_word(monkeypatch):
    fake = FakeSMTP(None, starttls=False)
    monkeypatch.setattr(smtplib, "SMTP", fake)
    msg = email.email_message(FIRING, {"recipients": ["a@example.com"]})
    assert email.send_email({"smtp_host": "h", "smtp_port": 25, "use_tls": True, "recipients": ["a@example.com"]},
                            msg, None, policy()) == Delivery(
        False, 1, "h:25 does not offer STARTTLS; set notifications.email.use_tls: false only on a trusted network")
    assert fake.sent == []


def test_smtp_4xx_every_time_is_given_up_after_the_policys_attempts(monkeypatch):
    busy = smtplib.SMTPResponseException(421, b"try later")
    result, fake, p = send(monkeypatch, {"smtp_host": "h", "smtp_port": 25}, ("send", busy), attempts=3, backoff=0.5)
    assert result == Delivery(False, 3, "SMTP 421 try later (h:25); gave up after 3 attempts")
    assert len(fake.connections) == 3 and p.sleep == [0.5, 1.0]


def test_smtp_500_is_final(monkeypatch):
    # RFC 5321: 5yz replies are permanent failures, 500 included
    result, fake, p = send(monkeypatch, {"smtp_host": "h", "smtp_port": 25},
                           ("send", smtplib.SMTPResponseException(500, b"syntax error")))
    assert result == Delivery(False, 1, "SMTP 500 syntax error (h:25)")
    assert len(fake.connections) == 1 and p.sleep == []


def test_refused_recipients_are_named_and_not_retried(monkeypatch):
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user"), "b@example.com": (550, b"no")})
    result, fake, p = send(monkeypatch, {"smtp_host": "h", "smtp_port": 25}, ("send", refused))
    assert result == Delivery(False, 1, "recipients refused: a@example.com, b@example.com (h:25)")
    assert len(fake.connections) == 1 and p.sleep == []


@pytest.mark.parametrize("exc, shown", [
    (TimeoutError("The read operation timed out"), "timed out"),
    (ConnectionRefusedError(111, "Connection refused"), "[Errno 111] Connection refused"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "Connection unexpectedly closed"),
])
def test_a_failed_smtp_connection_is_retried_and_named(monkeypatch, exc, shown):
    result, fake, p = send(monkeypatch, {"smtp_host": "h", "smtp_port": 25}, ("connect", exc), attempts=2, backoff=0.5)
    assert result == Delivery(False, 2, f"{shown} (h:25); gave up after 2 attempts")
    assert len(fake.connections) == 2 and p.sleep == [0.5]


@pytest.mark.parametrize("reply, shown", [(b"caf\xc3\xa9 \xff", "caf\u00e9 \ufffd"), ("mailbox full", "mailbox full")])
def test_an_smtp_reply_is_shown_as_text_whatever_its_type(monkeypatch, reply, shown):
    result, _, _ = send(monkeypatch, {"smtp_host": "h", "smtp_port": 25},
                        ("send", smtplib.SMTPResponseException(552, reply)))
    assert result == Delivery(False, 1, f"SMTP 552 {shown} (h:25)")


# ---------------------------------------------------------------------------- section checks


@pytest.mark.parametrize("url, problems", [
    ("https://events.eu.pagerduty.com/v2/enqueue?routing_key=abc", [(("events_url",), (
        "has a query string, where a routing key or token would sit in the file; the routing key goes in the "
        "variable routing_key_env names, the URL ends at its path"), "error")]),
    ("https://events.eu.pagerduty.com/v2/enqueue", []),
    ("http://[::1/enqueue?x=1", []),  # not a URL at all: the schema's pattern and the sender report that
    (None, []),
])
def test_pagerduty_events_url_check(url, problems):
    assert pagerduty.validate({"routing_key_env": "PD", "events_url": url}) == problems
    assert pagerduty.validate({"routing_key_env": "PD"}) == []


@pytest.mark.parametrize("name, refused", [("xoxb-1234-abcd", True), ("xoxp-1", True), ("XOXA-2", True),
                                           ("xapp-1-A0", True), ("#ml-alerts", False), ("ml-xoxb", False),
                                           (None, False), (7, False)])
def test_a_slack_token_written_as_the_channel_is_refused(name, refused):
    expected = [(("channel",), "looks like a Slack token, not a channel name; keep tokens out of the file and write "
                               'the channel here, e.g. "#ml-alerts"', "error")] if refused else []
    assert slack.validate({"webhook_url_env": "S", "channel": name}) == expected


# ---------------------------------------------------------------------------- URLs, secrets and redaction


@pytest.mark.parametrize("url, host", [("https://hooks.slack.com/services/T0/B0/XYZ", "hooks.slack.com"),
                                       ("http://127.0.0.1:8080/hook", "127.0.0.1"), ("hooks.slack.com/services/T0", "?"),
                                       ("", "?"), ("http://[::1/x", "?")])
def test_host_of(url, host):
    assert channel.host_of(url) == host


@pytest.mark.parametrize("url, problem", [
    ("https://hooks.slack.com/services/T0/B0/XYZ", None),
    ("HTTP://example.com/a", None),
    ("https://example.com/a b", "a space or control character inside (host example.com)"),
    ("https://example.com/a\tb", "a space or control character inside (host example.com)"),
    ("https://example.com/a\x7fb", "a space or control character inside (host example.com)"),
    ("hooks.slack.com/services/T0/B0/XYZ", "no http:// or https:// scheme"),
    ("ftp://example.com/a", "no http:// or https:// scheme"),
    ("https:///services/T0", "no host"),
    ("http://[::1/x", "not a URL"),
    ("http://example.com:99999/x", "not a URL"),  # a port out of range is found only when it is read
])
def test_url_problem(url, problem):
    assert channel.url_problem(url) == problem


@pytest.mark.parametrize("text, secrets, expected", [
    ("bad: https://h.example/T0/B0/XYZ and /T0/B0/XYZ", ["https://h.example/T0/B0/XYZ"], "bad: *** and ***"),
    ("key R0UTINGKEY in the echo", ["R0UTINGKEY"], "key *** in the echo"),
    ("posted to /hook?token=abc", ["https://h.example/hook?token=abc"], "posted to ***"),
    ("path /ab/ kept", ["https://h.example/ab/"], "path /ab/ kept"),              # "ab": too short to be a secret
    ("path /abcd kept out", ["https://h.example/abcd"], "path *** kept out"),
    ("nothing to hide", ["", None], "nothing to hide"),
    ("key R0UTINGKEY", ["", "R0UTINGKEY"], "key ***"),                            # an empty secret is skipped, not the end
    ("at http://[::1/T0/SECRET, XXXX", ["http://[::1/T0/SECRET"], "at ***, XXXX"),  # not a URL: no path to take
    ("", ["s3cret"], ""),
    (None, ["s3cret"], None),
])
def test_redact(text, secrets, expected):
    assert channel.redact(text, secrets) == expected


def test_redact_replaces_the_longest_secret_first():
    # the URL goes as a whole, not as "https://h.example/x/" + "***" after its token went first
    assert channel.redact("at https://h.example/x/tok", ["tok", "https://h.example/x/tok"]) == "at ***"


@pytest.mark.parametrize("value, shown", [(None, "not observed"), (0.123456789, "0.123457"), (12_345_678.0, "1.23457e+07"),
                                          (2, "2")])
def test_show(value, shown):
    assert channel.show(value) == shown


@pytest.mark.parametrize("conf, env, problem", [
    ({}, {}, "notifications.slack.webhook_url_env is not set"),
    ({"webhook_url_env": ""}, {}, "notifications.slack.webhook_url_env is not set"),
    ({"webhook_url_env": "HOOK"}, {"HOOK": "  "}, "environment variable HOOK is not set (notifications.slack.webhook_url_env)"),
    ({"webhook_url_env": "HOOK"}, {"HOOK": "ftp://h/x"},
     "environment variable HOOK does not hold a usable URL: no http:// or https:// scheme "
     "(notifications.slack.webhook_url_env); set it to the full https:// URL"),
])
def test_a_secret_that_cannot_be_read(conf, env, problem):
    with pytest.raises(channel.ChannelProblem) as info:
        slack.SECRET.read("slack", conf, env)
    assert str(info.value) == problem


def test_a_secret_is_read_stripped_and_only_urls_are_checked_as_urls():
    assert slack.SECRET.read("slack", {"webhook_url_env": "HOOK"}, {"HOOK": " https://h.example/x \n"}) == "https://h.example/x"
    assert pagerduty.SECRET.read("pagerduty", {"routing_key_env": "PD"}, {"PD": "not a url"}) == "not a url"


# ---------------------------------------------------------------------------- posting


def test_retry_policy_defaults_and_delays():
    p = RetryPolicy()
    assert (p.attempts, p.backoff, p.max_delay, p.timeout) == (4, 1.0, 60.0, 10.0)
    assert [p.delay(i, None) for i in range(8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert (p.delay(0, 12.0), p.delay(3, 0.0), p.delay(0, -5.0), p.delay(0, 3600.0)) == (12.0, 0.0, 0.0, 60.0)


@pytest.mark.parametrize("value, now, seconds", [("7", 0.0, 7.0), (" 120 ", 0.0, 120.0), ("0", 5.0, 0.0),
                                                 ("Thu, 01 Jan 1970 00:00:30 GMT", 10.0, 20.0),
                                                 (None, 0.0, None), ("", 0.0, None), ("soon", 0.0, None),
                                                 ("-5", 0.0, None), ("1.5", 0.0, None)])
def test_parse_retry_after(value, now, seconds):
    assert transport.parse_retry_after(value, now) == seconds


@pytest.mark.parametrize("url, problem", [
    ("hooks.slack.com/services/T0/B0/XYZ", "no http:// or https:// scheme"),
    ("https://example.com/a b", "a space or control character inside (host example.com)"),
    ("https:///services/T0", "no host"),
    ("http://[::1/x", "not a URL"),
])
def test_post_json_refuses_an_unusable_url_before_any_attempt(url, problem):
    p = policy()
    assert transport.post_json(url, {"text": "x"}, p) == Delivery(False, 0, f"not a usable URL: {problem}")
    assert p.sleep == []


def test_post_json_refuses_a_body_that_is_not_strict_json():
    with pytest.raises(ValueError):  # NaN is not JSON (RFC 8259): never sent as such
        transport.post_json("http://127.0.0.1:9/x", {"value": float("nan")}, policy())


def test_post_json_posts_json_with_mlmons_user_agent():
    from receivers import HttpReceiver, Reply

    with HttpReceiver(Reply(202)) as rx:
        result = transport.post_json(rx.url, {"text": "é", "n": 1}, policy())
    assert result == Delivery(True, 1, None, 202)
    ((path, headers, body),) = rx.requests
    assert (path, body) == ("/hook", {"text": "é", "n": 1})
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"mlmon/{notify.__version__}"


@pytest.mark.parametrize("location, shown", [
    ("https://other.example.com/hook/SECRET?key=SECRET", " to other.example.com"),
    ("/elsewhere", " to 127.0.0.1"),
    (None, ""),
])
def test_a_redirect_is_not_followed_and_names_only_its_host(location, shown):
    from receivers import HttpReceiver, Reply

    p = policy()
    with HttpReceiver(Reply(302, {"Location": location} if location else {}), Reply(200)) as rx:
        result = transport.post_json(rx.url, {"text": "x"}, p)
    assert result == Delivery(False, 1, f"HTTP 302 Found from 127.0.0.1: a redirect{shown}, not followed for "
                                        "notifications; set the URL it points to", 302)
    assert len(rx.requests) == 1 and p.sleep == []


def test_429_without_retry_after_backs_off_and_a_later_timeout_has_no_status():
    from receivers import HANG, HttpReceiver, Reply

    p = policy(attempts=3, backoff=0.5, timeout=0.3)
    with HttpReceiver(Reply(429, body="slow down"), Reply(503, body=""), HANG) as rx:
        result = transport.post_json(rx.url, {"text": "x"}, p)
    assert result == Delivery(False, 3, "timed out (127.0.0.1); gave up after 3 attempts", None)
    assert len(rx.requests) == 3 and p.sleep == [0.5, 1.0]


def test_a_5xx_as_the_last_answer_keeps_its_status_and_body():
    from receivers import HttpReceiver, Reply

    p = policy(attempts=2, backoff=0.5)
    with HttpReceiver(Reply(502, body="bad   gateway\n")) as rx:
        result = transport.post_json(rx.url, {"text": "x"}, p)
    assert result == Delivery(False, 2, "HTTP 502 Bad Gateway from 127.0.0.1: bad gateway; gave up after 2 attempts", 502)
    assert p.sleep == [0.5]


# ---------------------------------------------------------------------------- deliver


def test_deliver_reads_os_environ_when_given_no_environment(monkeypatch):
    from receivers import HttpReceiver, Reply

    with HttpReceiver(Reply(200)) as rx:
        monkeypatch.setenv("T_MUT_HOOK", rx.url)
        assert notify.deliver("webhook", {"url_env": "T_MUT_HOOK"}, FIRING, policy=policy()) == Delivery(True, 1, None, 200)


def test_deliver_sends_with_the_default_policy_when_none_is_given(monkeypatch):
    import dataclasses

    seen = []
    fake = dataclasses.replace(webhook.CHANNEL, send=lambda conf, body, secret, p: seen.append(p) or Delivery(True, 1))
    monkeypatch.setitem(registry.REGISTRY, "webhook", fake)
    assert notify.deliver("webhook", {"url_env": "W"}, FIRING, {"W": "https://h.example/x"}) == Delivery(True, 1)
    (p,) = seen
    assert (p.attempts, p.backoff, p.max_delay, p.timeout) == (4, 1.0, 60.0, 10.0)


def test_email_without_a_user_name_is_sent_without_reading_the_password(monkeypatch):
    fake = FakeSMTP(None)
    monkeypatch.setattr(smtplib, "SMTP", fake)
    conf = {"smtp_host": "h", "use_tls": False, "recipients": ["a@example.com"], "password_env": "UNSET_PW"}
    assert notify.deliver("email", conf, FIRING, {}, policy()) == Delivery(True, 1)
    assert len(fake.sent) == 1


@pytest.mark.parametrize("name, conf, env, shown", [
    ("pagerduty", {"routing_key_env": "PD"}, {"PD": "R0UTINGKEY"}, "the pagerduty notifier failed: KeyError"),
    ("webhook", {"url_env": "W"}, {"W": "https://h.example/T0/SECRET"}, "the webhook notifier failed: KeyError (h.example)"),
])
def test_a_notifier_bug_is_its_kind_and_at_most_the_host(monkeypatch, name, conf, env, shown):
    import dataclasses

    def broken(conf, body, secret, p):
        raise KeyError(secret)

    monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(registry.REGISTRY[name], send=broken))
    assert notify.deliver(name, conf, FIRING, env, policy()) == Delivery(False, 0, shown)


def test_an_error_echoing_the_secret_is_redacted(monkeypatch):
    import dataclasses

    def echo(conf, body, secret, p):
        return Delivery(False, 1, f"HTTP 400 from h.example: unknown hook {secret}", 400)

    monkeypatch.setitem(registry.REGISTRY, "webhook", dataclasses.replace(webhook.CHANNEL, send=echo))
    result = notify.deliver("webhook", {"url_env": "W"}, FIRING, {"W": "https://h.example/T0/SECRET"}, policy())
    assert result == Delivery(False, 1, "HTTP 400 from h.example: unknown hook ***", 400)


def test_300_multiple_choices_is_a_redirect_too():
    from receivers import HttpReceiver, Reply

    with HttpReceiver(Reply(300)) as rx:
        result = transport.post_json(rx.url, {"text": "x"}, policy())
    assert result == Delivery(False, 1, "HTTP 300 Multiple Choices from 127.0.0.1: a redirect, not followed for "
                                        "notifications; set the URL it points to", 300)


def test_a_refused_connection_is_named_as_the_system_says_it():
    from receivers import HttpReceiver

    with HttpReceiver() as rx:
        url = rx.url  # closed again: nothing listens there
    result = transport.post_json(url, {"text": "x"}, policy(attempts=2))
    assert result == Delivery(False, 2, "[Errno 111] Connection refused (127.0.0.1); gave up after 2 attempts")


def test_a_host_name_that_cannot_be_encoded_is_not_a_usable_url():
    # IDNA allows at most 63 characters a label; http.client refuses before connecting
    host = "\u00e4" + "a" * 70 + ".example"
    p = policy()
    assert transport.post_json(f"http://{host}/hook", {"text": "x"}, p) == Delivery(False, 1, f"not a usable URL ({host})")
    assert p.sleep == []


def test_a_tls_handshake_that_times_out_is_named_timed_out():
    # a port that accepts the connection and never answers the ClientHello: ssl says "_ssl.c:...:
    # The handshake operation timed out", the error says "timed out"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        url = f"https://127.0.0.1:{server.getsockname()[1]}/hook"
        result = transport.post_json(url, {"text": "x"}, policy(attempts=1, timeout=0.3))
    assert result == Delivery(False, 1, "timed out (127.0.0.1); gave up after 1 attempts")


def test_an_untrusted_certificate_is_not_retried_and_names_only_the_host(certificate):
    import ssl
    import threading

    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)

        def serve():
            conn, _ = server.accept()
            try:
                context.wrap_socket(conn, server_side=True)  # the client refuses the certificate
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        p = policy()
        result = transport.post_json(f"https://127.0.0.1:{server.getsockname()[1]}/T0/SECRET", {"text": "x"}, p)
        thread.join(10)
    assert (result.ok, result.attempts, result.http_status, p.sleep) == (False, 1, None, [])
    assert "SECRET" not in result.error
    assert result.error == ("the server's TLS certificate was not accepted (127.0.0.1): self-signed certificate; use a "
                            "certificate this machine trusts (or add its CA to the system's store)")
