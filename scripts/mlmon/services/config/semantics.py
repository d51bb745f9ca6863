"""Checks a JSON Schema cannot express: tiers that escalate, per-column tests that fit the column's
type, durations that parse, placeholders, traffic shares, channels that are configured, secrets
written inline."""

from __future__ import annotations

import math
import re
from typing import Any, Dict, Iterator, Optional, Tuple

from mlmon.stats.univariate import catalog as _catalog
from mlmon.services.config.durations import DURATION_PATHS, parse_duration
from mlmon.services.config.problems import Path, Report, show

# column types each drift test accepts, from the catalog (no numpy is imported to validate a config)
METHOD_COLUMN_TYPES: Dict[str, Tuple[str, ...]] = _catalog.column_types()

TIERED_CONDITIONS = ("accuracy_drop", "error_rate", "drift_score", "latency_p99", "latency_p95")

# inline secrets: the key written, and the environment-variable form to use instead; each
# notification channel declares its own (mlmon.services.notify), Grafana's token is listed here
_GRAFANA_TOKEN = ("api_token_env", "GRAFANA_API_TOKEN")
_GRAFANA_TOKEN_SHAPE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{32}$")
# a secret passed in a URL's query string (?password=..., &token=...)
_URL_QUERY_SECRET = re.compile(r"[?&](password|passwd|pwd|token|secret|api_key|apikey|access_key|sig)=[^&#\s]+",
                               re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _get(data: Any, *path) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _iter_paths(data: Any, pattern: Tuple[str, ...], prefix: Path = ()) -> Iterator[Tuple[Path, Any]]:
    if not pattern:
        yield prefix, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
        for k, v in items:
            yield from _iter_paths(v, rest, prefix + (k,))
    elif isinstance(data, dict) and head in data:
        yield from _iter_paths(data[head], rest, prefix + (head,))


def check_semantics(data: Dict[str, Any], report: Report) -> None:
    _check_durations(data, report)
    _check_tiers(data, report)
    _check_column_methods(data, report)
    _check_columns(data, report)
    _check_labels(data, report)
    _check_templates(data, report)
    _check_traffic_split(data, report)
    _check_channels(data, report)


def _check_durations(data, report: Report) -> None:
    for pattern in DURATION_PATHS:
        for path, value in _iter_paths(data, tuple(pattern.split("."))):
            if value is None or path in report.claimed:
                continue
            if parse_duration(value) is None:
                report.claimed.add(path)
                report.at_value(path, f"{show(value)} is not a duration; write a number and a unit: 500ms, 30s, 15m, 1h, 1d, 7d")


def _as_number(name: str, value: Any) -> Optional[float]:
    if name.startswith("latency"):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _check_tiers(data, report: Report) -> None:
    warning = _get(data, "alerts", "warning", "conditions")
    critical = _get(data, "alerts", "critical", "conditions")
    if not isinstance(warning, dict) or not isinstance(critical, dict):
        return
    for name in TIERED_CONDITIONS:
        w, c = _as_number(name, warning.get(name)), _as_number(name, critical.get(name))
        if w is None or c is None or w < c:
            continue
        path = ("alerts", "warning", "conditions", name)
        report.at_value(
            path,
            f"warning threshold {show(warning[name])} is not less severe than critical's {show(critical[name])}; "
            f"a warning must fire before critical does: lower it below {show(critical[name])}",
        )


def _declared_types(data) -> Dict[str, str]:
    columns = _get(data, "data", "columns")
    types: Dict[str, str] = {}
    if isinstance(columns, dict):
        for kind in ("numerical", "categorical"):
            names = columns.get(kind)
            if isinstance(names, list):
                for name in names:
                    if isinstance(name, str):
                        types.setdefault(name, kind)
    return types


def _check_column_methods(data, report: Report) -> None:
    methods = _get(data, "drift", "column_methods")
    if not isinstance(methods, dict):
        return
    types = _declared_types(data)
    for column, method in methods.items():
        accepted = METHOD_COLUMN_TYPES.get(method) if isinstance(method, str) else None
        kind = types.get(column)
        if accepted is None or kind is None or kind in accepted:
            continue
        fits = sorted(m for m, t in METHOD_COLUMN_TYPES.items() if kind in t)
        report.at_value(
            ("drift", "column_methods", column),
            f"'{method}' tests {' and '.join(accepted)} columns but '{column}' is declared {kind} "
            f"in data.columns.{kind}; use one of: {', '.join(fits)}",
        )


def _check_columns(data, report: Report) -> None:
    columns = _get(data, "data", "columns")
    if not isinstance(columns, dict):
        return
    num, cat = columns.get("numerical"), columns.get("categorical")
    if isinstance(num, list) and isinstance(cat, list):
        for i, name in enumerate(cat):
            if isinstance(name, str) and name in num:
                report.at_value(("data", "columns", "categorical", i),
                                f"'{name}' is also listed in data.columns.numerical; name it in one of the two")


def _check_labels(data, report: Report) -> None:
    if isinstance(_get(data, "data", "labels"), dict) and not _get(data, "data", "columns", "target"):
        report.at_key(("data", "labels"), "data.labels needs the label column's name: set data.columns.target")


def _check_templates(data, report: Report) -> None:
    for side in ("reference", "current", "labels"):
        path = _get(data, "data", side, "path")
        if not isinstance(path, str):
            continue
        for name in _PLACEHOLDER.findall(path):
            if name != "date":
                report.at_value(("data", side, "path"),
                                f"unknown placeholder {{{name}}}; the only one is {{date}}")


def _check_traffic_split(data, report: Report) -> None:
    split = _get(data, "experiments", "traffic_split")
    if not isinstance(split, dict) or not split:
        return
    shares = list(split.values())
    if not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in shares):
        return
    total = math.fsum(shares)
    if abs(total - 1.0) > 1e-9:
        report.at_value(("experiments", "traffic_split"), f"shares sum to {total:g}, not 1; make them add up to 1")


def _channels():
    """The notification channels' declarations (light: no network module is imported)."""
    from mlmon.services.notify.registry import REGISTRY

    return REGISTRY


def _secret_keys() -> Dict[str, Tuple[str, str]]:
    keys = {k: (c.secret.key, c.secret.default_env) for c in _channels().values() for k in c.secret.inline_keys}
    keys.update({"api_token": _GRAFANA_TOKEN, "token": _GRAFANA_TOKEN})
    return keys


def _check_channels(data, report: Report) -> None:
    channels = _get(data, "notifications")
    channels = channels if isinstance(channels, dict) else {}
    registry = _channels()
    for name, conf in channels.items():
        if name in registry and isinstance(conf, dict):
            for sub, message, severity in registry[name].validate(conf):
                path = ("notifications", name) + tuple(sub)
                if path not in report.claimed:
                    report.claimed.add(path)
                    report.at_value(path, message, severity)
    for tier in ("critical", "warning", "info"):
        notify = _get(data, "alerts", tier, "notify")
        if not isinstance(notify, list):
            continue
        for i, name in enumerate(notify):
            if not isinstance(name, str) or name not in registry:
                continue
            conf = channels.get(name)
            if not isinstance(conf, dict):
                report.at_value(("alerts", tier, "notify", i),
                                f"notifies '{name}' but notifications.{name} is not configured; add it or drop it here")
            elif conf.get("enabled") is False:
                report.at_value(("alerts", tier, "notify", i),
                                f"notifies '{name}' but notifications.{name}.enabled is false: this tier's alerts "
                                "reach nobody there", "warning")


def check_secrets(data: Any, path: Path, report: Report) -> None:
    """Inline secrets: a secret-named key, a Slack webhook URL, a routing key, a URL with a password."""
    secret_keys = _secret_keys()
    if isinstance(data, dict):
        for key, value in data.items():
            child = path + (key,)
            # a mapping is a section (notifications.webhook), not an inline secret
            if (isinstance(key, str) and key in secret_keys and not (len(path) and path[0] == "data")
                    and not isinstance(value, (dict, list))):
                env_key, env_name = secret_keys[key]
                report.claimed.update({child, path + (env_key,)})
                report.at_key(child, f"'{key}' would put a secret in the file; name the environment variable "
                                     f"that holds it instead: `{env_key}: {env_name}`")
                continue
            check_secrets(value, child, report)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            check_secrets(value, path + (i,), report)
    elif isinstance(data, str) and path:
        form = _secret_form(data, path)
        if form and path[0] in ("data", "model"):
            # paths and names cannot name a variable: the credentials belong outside the file
            report.claimed.add(path)
            report.at_value(path, f"looks like an inline secret ({form[0]}); a path or a name must not carry "
                                  "credentials: give them to the storage client through its environment "
                                  "(e.g. AWS_ACCESS_KEY_ID) instead")
        elif form:
            report.claimed.add(path)
            report.at_value(path, f"looks like an inline secret ({form[0]}); keep it in an environment variable "
                                  f"and name it here: `{form[1]}`")


def _secret_form(value: str, path: Path) -> Optional[Tuple[str, str]]:
    text = value.strip()
    if "grafana" in path and _GRAFANA_TOKEN_SHAPE.match(text):
        return "a 32-character token", "{}: {}".format(*_GRAFANA_TOKEN)
    for channel in _channels().values():
        secret = channel.secret
        if secret.shape is not None and secret.shape.search(text):
            return secret.shape_name, f"{secret.key}: {secret.default_env}"
    if _URL_PASSWORD.match(text) or ("://" in text and _URL_QUERY_SECRET.search(text)):
        if path[:1] == ("storage",):
            return "a URL with a password", "history_url_env: MLMON_HISTORY_URL"
        return "a URL with a password", "an *_env key naming the variable that holds the URL"
    return None
