"""Email over SMTP: STARTTLS when ``use_tls`` (the server's certificate verified), login when
``username`` is set with the password from the environment. Connection failures and 4xx
replies are retried; 5xx replies are final."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from mlmon.services.notify.channel import Channel, Secret, section_schema, show

SECRET = Secret(key="password_env", default_env="SMTP_PASSWORD", what="the SMTP password", file="smtp_password",
                inline_keys=("password", "smtp_password"))


def email_message(event: Mapping[str, Any], conf: Mapping[str, Any]):
    import email.utils
    from email.message import EmailMessage

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
        f"observed:   {show(event['value'])}",
        f"rule:       {event['rule']}",
        f"detail:     {event['detail']}",
        f"since:      {event['starts_at']}",
    ]
    if event.get("ends_at"):
        lines.append(f"resolved:   {event['ends_at']}")
    if event.get("run_date"):
        lines.append(f"data of:    {event['run_date']}")
    if event.get("runbook_url"):
        lines.append(f"runbook:    {event['runbook_url']}")
    lines += ["", f"alert key:  {event['key']}"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def send_email(conf: Mapping[str, Any], msg, password: Optional[str], policy):
    """Send over SMTP (STARTTLS when ``use_tls``; login when ``username`` is set), retrying
    connection failures and 4xx replies; 5xx replies are final."""
    import smtplib
    import ssl

    from mlmon.services.notify.transport import Delivery, is_timeout

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
            last_error = f"{'timed out' if is_timeout(exc) else exc} ({host}:{port})"
        if attempt < policy.attempts:
            policy.sleep(policy.delay(attempt - 1, None))
    return Delivery(False, policy.attempts, f"{last_error}; gave up after {policy.attempts} attempts")


def _decode(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def receiver(section: Mapping[str, Any], tier: str, secret_file: str) -> Dict[str, Any]:
    entry = {"send_resolved": True, "to": ", ".join(map(str, section.get("recipients") or [])),
             "from": str(section.get("sender") or section.get("username") or ""),
             "smarthost": f"{section.get('smtp_host', 'localhost')}:{section.get('smtp_port', 587)}",
             "require_tls": bool(section.get("use_tls", True))}
    if section.get("username"):
        entry["auth_username"] = str(section["username"])
    if section.get(SECRET.key):
        entry["auth_password_file"] = secret_file
    return {"email_configs": [entry]}


CHANNEL = Channel(
    name="email",
    schema=section_schema("email over SMTP", {
        "smtp_host": {"type": "string", "description": "SMTP server host name", "minLength": 1},
        "smtp_port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "SMTP server port",
                      "default": 587},
        "use_tls": {"type": "boolean", "description": "use STARTTLS", "default": True},
        "username": {"type": "string", "description": "SMTP user name"},
        SECRET.key: SECRET.schema(),
        "sender": {"type": "string", "description": "From: address"},
        "recipients": {"type": "array", "items": {"type": "string", "description": "an email address"},
                       "minItems": 1, "description": "To: addresses"},
    }, required=["smtp_host", "recipients"]),
    secret=SECRET,
    # the password is read only to log in, and only when there is a user name to log in with
    uses_secret=lambda section: bool(section.get("username") and section.get(SECRET.key)),
    payload=lambda event, conf, secret: email_message(event, conf),
    send=send_email,
    receiver=receiver,
)
