"""Notifications under hostile or mistaken input: a secret never reaches an error (a malformed
webhook URL in the environment, a receiver that echoes the routing key, a config that writes a
token where a variable's name belongs), and a redirect is a failed delivery, never a message
marked sent after urllib turned the POST into a GET without its body."""

from __future__ import annotations

import pytest

from mlmon.services import notify
from mlmon.services.config import validate_text
from mlmon.services.notify import Delivery, deliver, post_json
from receivers import HttpReceiver, Reply
from test_notify import FIRING, policy
from test_run import BREACH_1, data, rows, run, rx, write_config  # noqa: F401 - fixtures

TOKEN = "XSECRETTOKEN1234"
NO_SCHEME = f"hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/{TOKEN}"
WITH_SPACE = f"https://hooks.example.com/services/T0AAAAAAA/B0 BBBBBB/{TOKEN}"


# ---------------------------------------------------------------------------- secrets in errors


@pytest.mark.parametrize("channel, key", [("slack", "webhook_url_env"), ("webhook", "url_env")])
@pytest.mark.parametrize("url, problem", [
    (NO_SCHEME, "no http:// or https:// scheme"),
    (WITH_SPACE, "a space or control character inside (host hooks.example.com)"),
])
def test_a_malformed_url_in_the_environment_is_named_by_its_variable_never_shown(channel, key, url, problem):
    result = deliver(channel, {key: "HOOK"}, FIRING, {"HOOK": url}, policy())
    assert result == Delivery(False, 0, f"environment variable HOOK does not hold a usable URL: {problem} "
                                        f"(notifications.{channel}.{key}); set it to the full https:// URL")


@pytest.mark.parametrize("url", [NO_SCHEME, WITH_SPACE, f"http://127.0.0.1:1/a\nb/{TOKEN}", f"file:///tmp/{TOKEN}"])
def test_post_json_names_at_most_the_host_of_a_url_it_cannot_use(url):
    result = post_json(url, {"text": "x"}, policy())
    assert (result.ok, result.attempts) == (False, 0)
    assert TOKEN not in result.error and "services" not in result.error


def test_a_receiver_that_echoes_the_routing_key_does_not_get_it_into_the_error():
    key = "R0UTINGKEYR0UTINGKEYR0UTINGKEY12"
    with HttpReceiver(Reply(400, body=f'{{"message": "invalid routing_key {key}"}}')) as rx_:
        result = deliver("pagerduty", {"routing_key_env": "PD", "events_url": rx_.url}, FIRING, {"PD": key}, policy())
    assert (result.ok, result.http_status) == (False, 400)
    assert result.error == 'HTTP 400 Bad Request from 127.0.0.1: {"message": "invalid routing_key ***"}'


def test_a_notifier_bug_is_reported_by_its_kind_not_its_text(monkeypatch):
    from mlmon.services.notify import slack

    def broken(event, conf):
        raise ValueError(f"cannot render for {conf}")  # a bug whose text would hold the URL

    monkeypatch.setattr(slack, "slack_payload", lambda event, conf: broken(event, {"url": url}))
    url = f"https://hooks.slack.com/services/T0/B0/{TOKEN}"
    result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": url}, policy())
    assert result == Delivery(False, 0, "the slack notifier failed: ValueError (hooks.slack.com)")


def test_an_environment_name_holding_a_secret_is_refused_without_echoing_it():
    text = """version: 1
model: {name: m, task: binary}
data: {reference: {path: r.parquet}, current: {path: c.parquet}}
notifications:
  slack: {webhook_url_env: "xoxb-1234-SECRET"}
"""
    (problem,) = validate_text(text)
    assert problem.path == "notifications.slack.webhook_url_env"
    assert "SECRET" not in problem.format() and "xoxb" not in problem.format()
    assert problem.message == ("is not an environment variable name; write its NAME (letters, digits, _), "
                               "e.g. SLACK_WEBHOOK_URL")


def test_run_keeps_a_malformed_webhook_url_out_of_its_report_the_store_and_stderr(data, rx, monkeypatch):  # noqa: F811
    r = rx()
    cfg = write_config(data / "monitoring.yaml", r.pd.url, r.smtp.port)
    monkeypatch.setenv("T_SLACK", NO_SCHEME)
    monkeypatch.setenv("T_AM", f"http://127.0.0.1:{r.am.server.server_address[1]}/hook/b c/{TOKEN}")
    db = data / "h.db"
    first = run(cfg, BREACH_1, "--history", db)
    again = run(cfg, BREACH_1, "--history", db, "--format", "md")  # the retry of the pending messages
    assert (first.code, again.code) == (3, 3)
    for result in (first, again):
        assert TOKEN not in result.out and TOKEN not in result.err
        assert "services" not in result.out
    failed = {n["channel"]: n["error"] for n in first.json()["notifications"] if n["status"] != "sent"}
    assert set(failed) == {"slack", "webhook"}
    assert failed["slack"] == ("environment variable T_SLACK does not hold a usable URL: no http:// or https:// "
                               "scheme (notifications.slack.webhook_url_env); set it to the full https:// URL")
    stored = repr(rows(db, "notifications"))
    assert TOKEN not in stored and "no http:// or https:// scheme" in stored
    assert r.slack.requests == [] and r.am.requests == []


# ---------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(status):
    with HttpReceiver(Reply(status, {"Location": "/elsewhere"}), Reply(200)) as rx_:
        result = deliver("webhook", {"url_env": "AM"}, FIRING, {"AM": rx_.url}, policy())
    assert (result.ok, result.attempts, result.http_status) == (False, 1, status)
    assert [path for path, _, _ in rx_.requests] == ["/hook"]  # one POST, no GET of the new place
    assert result.error.endswith("from 127.0.0.1: a redirect to 127.0.0.1, not followed for notifications; "
                                 "set the URL it points to")


def test_a_redirect_names_only_the_host_it_points_to():
    with HttpReceiver(Reply(302, {"Location": f"https://other.example.com/hook/{TOKEN}?key={TOKEN}"})) as rx_:
        result = deliver("slack", {"webhook_url_env": "HOOK"}, FIRING, {"HOOK": rx_.url}, policy())
    assert result == Delivery(False, 1, "HTTP 302 Found from 127.0.0.1: a redirect to other.example.com, not "
                                        "followed for notifications; set the URL it points to", 302)
