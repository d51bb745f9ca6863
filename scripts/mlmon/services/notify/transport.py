"""Sending over HTTP with retries: every network call has a timeout; HTTP 429 and 5xx, timeouts
and refused connections are retried with exponential backoff, waiting what ``Retry-After`` asks
(seconds or an HTTP date, capped); any other 4xx is final for this run. Redirects are not
followed: urllib would repeat a POST as a GET without its body, and a redirect to another host
would carry the payload (PagerDuty's routing key) there, so a 3xx is a failed delivery.

Errors name the host of a URL, never its path or query, where webhooks keep their token.
The network modules are imported when something is sent, not when a config is validated.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional

from mlmon import __version__
from mlmon.services.notify.channel import host_of, url_problem


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


def _opener():
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            return None  # urllib then raises the 3xx as an HTTPError

    return urllib.request.build_opener(NoRedirect)


def post_json(url: str, body: Mapping[str, Any], policy: RetryPolicy) -> Delivery:
    """POST ``body`` as JSON with retries on 429, 5xx, timeouts and refused connections."""
    import ssl
    import urllib.error
    import urllib.parse
    import urllib.request

    host = host_of(url)
    problem = url_problem(url)
    if problem:  # retrying cannot help, and the exception's text would hold the whole URL
        return Delivery(False, 0, f"not a usable URL: {problem}")
    data = json.dumps(body, allow_nan=False).encode("utf-8")
    opener = _opener()
    last_error, last_status = "", None
    for attempt in range(1, policy.attempts + 1):
        retry_after = None
        try:
            request = urllib.request.Request(url, data=data, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": f"mlmon/{__version__}"})
            with opener.open(request, timeout=policy.timeout) as resp:
                resp.read()
                return Delivery(True, attempt, None, resp.status)
        except urllib.error.HTTPError as exc:
            last_status = exc.code
            if 300 <= exc.code < 400:
                location = (exc.headers.get("Location") if exc.headers else None) or ""
                target = host_of(urllib.parse.urljoin(url, location)) if location else "?"
                return Delivery(False, attempt, f"HTTP {exc.code} {exc.reason} from {host}: a redirect"
                                f"{'' if target == '?' else ' to ' + target}, not followed for notifications; "
                                "set the URL it points to", exc.code)
            last_error = f"HTTP {exc.code} {exc.reason} from {host}: {_snippet(exc)}"
            if exc.code != 429 and exc.code < 500:
                return Delivery(False, attempt, last_error, exc.code)
            retry_after = parse_retry_after(exc.headers.get("Retry-After"), policy.clock())
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            last_status = None
            if isinstance(reason, ssl.SSLCertVerificationError):  # a ValueError too: tell it apart first
                return Delivery(False, attempt, f"the server's TLS certificate was not accepted ({host}): "
                                f"{reason.verify_message or 'verification failed'}; use a certificate this machine "
                                "trusts (or add its CA to the system's store)")
            if isinstance(reason, ValueError):  # malformed URL: retrying cannot help
                return Delivery(False, attempt, f"not a usable URL ({host})")
            last_error = f"{'timed out' if is_timeout(reason) else _reason(reason)} ({host})"
        except ValueError:  # http.client's InvalidURL and its kin: their text holds the URL
            return Delivery(False, attempt, f"not a usable URL ({host})")
        if attempt < policy.attempts:
            policy.sleep(policy.delay(attempt - 1, retry_after))
    return Delivery(False, policy.attempts, f"{last_error}; gave up after {policy.attempts} attempts", last_status)


def parse_retry_after(value: Optional[str], now: float) -> Optional[float]:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date; None if absent
    or unreadable.

    >>> parse_retry_after("7", 0.0), parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", 10.0)
    (7.0, 20.0)
    >>> parse_retry_after("soon", 0.0) is None
    True
    """
    import email.utils

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


def is_timeout(exc: Any) -> bool:
    return isinstance(exc, (socket.timeout, TimeoutError)) or "timed out" in str(exc)


def _reason(reason: Any) -> str:
    """Why a connection failed, as the operating system says it (``[Errno 111] Connection
    refused``); a bare string reason from urllib can quote the URL, so only its kind is kept."""
    if isinstance(reason, OSError):
        return str(reason)
    return "connection failed" if isinstance(reason, str) else type(reason).__name__


def _snippet(exc) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except Exception:
        text = ""
    return " ".join(text.split())[:200] or "(no body)"
