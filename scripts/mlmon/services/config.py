"""The monitoring config (``monitoring.yaml``): validate it, and load it once it is valid.

One validator serves ``mlmon validate``, the config hook and every command that reads a config:
``assets/schema.json`` (JSON Schema 2020-12) for shape, then the checks a schema cannot express
(warning thresholds less severe than critical ones, per-column tests that fit the column's type,
durations that parse, secrets written inline). Every problem carries the line and column of the
YAML node it is about, so an editor, a person or Claude can go straight to it.

The hook calls this on every config write, so the module imports only ``yaml`` and
``jsonschema`` (lazily) and nothing of numpy, pandas or scipy.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import stat
from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

from mlmon.errors import MlmonError
from mlmon.stats.univariate import catalog as _catalog

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "assets", "schema.json"))
DEFAULT_CONFIG_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "assets", "config.yaml"))
CONFIG_NAMES = ("monitoring.yaml", "monitoring.yml")
CONFIG_SUFFIXES = (".monitoring.yaml", ".monitoring.yml")

# column types each drift test accepts, from the catalog (which imports no numpy, so validating
# a config stays cheap)
METHOD_COLUMN_TYPES: Dict[str, Tuple[str, ...]] = _catalog.column_types()

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# where the schema's duration strings live ("*": any key or list index)
DURATION_PATHS = (
    "drift.window", "performance.windows.*", "performance.label_delay", "alerts.cooldown",
    "alerts.*.response_time", "alerts.*.conditions.latency_p99", "alerts.*.conditions.latency_p95",
    "experiments.guardrails.latency_p99_max",
)
# thresholds compared between tiers: a warning fires on a smaller value than critical does
TIERED_CONDITIONS = ("accuracy_drop", "error_rate", "drift_score", "latency_p99", "latency_p95")

# inline secrets: the key written, and the environment-variable form to use instead; each
# notification channel declares its own (mlmon.services.notify), Grafana's token is listed here
_GRAFANA_TOKEN = ("api_token_env", "GRAFANA_API_TOKEN")
_GRAFANA_TOKEN_SHAPE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{32}$")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_CHARS = 1_000_000  # a monitoring config is a few KB; more is a mistake (or an attack)
MAX_NODES = 100_000  # YAML aliases can make a short text expand exponentially

Path = Tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config, at the YAML node it is about (1-based line and column)."""

    file: str
    line: int
    col: int
    path: str
    message: str
    severity: str = "error"  # or "warning"

    def format(self) -> str:
        """The one-line form editors and compilers use.

        >>> Problem("monitoring.yaml", 3, 5, "model.task", "not one of binary, multiclass, regression").format()
        'monitoring.yaml:3:5: model.task: not one of binary, multiclass, regression'
        """
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {label}{self.message}"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------- public API


def is_config_path(path: str, project_settings: Optional[List[str]] = None) -> bool:
    """Whether ``path`` is a monitoring config: by name, or listed in the project's settings.

    >>> is_config_path("deploy/monitoring.yaml"), is_config_path("fraud.monitoring.yml")
    (True, True)
    >>> is_config_path("config.yaml"), is_config_path("notes/monitoring.yaml.bak")
    (False, False)
    >>> is_config_path("conf/alerts.yaml", ["conf/alerts.yaml"])
    True
    """
    if not path:
        return False
    base = os.path.basename(path)
    if base in CONFIG_NAMES or base.endswith(CONFIG_SUFFIXES):
        return True
    norm = os.path.normpath(path)
    for listed in project_settings or ():
        if not listed:
            continue
        want = os.path.normpath(listed)
        if norm == want or fnmatch.fnmatch(norm, want):
            return True
        if os.path.isabs(norm) and not os.path.isabs(want):
            if norm.endswith(os.sep + want) or fnmatch.fnmatch(norm, "*" + os.sep + want):
                return True
    return False


def validate_file(path: str) -> List[Problem]:
    """Problems in the config at ``path``; a missing or unreadable file is a problem too.

    Reads at most :data:`MAX_CHARS` (+1) bytes, and only from a regular file: a config symlinked
    to ``/dev/zero`` or named by a FIFO is refused at once instead of filling memory or hanging.
    """
    try:
        raw = read_config_bytes(path)
    except FileNotFoundError:
        return [Problem(path, 1, 1, "(file)", "file not found; check the path")]
    except IsADirectoryError:
        return [Problem(path, 1, 1, "(file)", "is a directory; give the config file")]
    except _NotRegular:
        return [Problem(path, 1, 1, "(file)", "is not a regular file (a device, FIFO or socket); give the config file")]
    except OSError as exc:
        return [Problem(path, 1, 1, "(file)", f"cannot read the file: {exc.strerror or exc}; check its permissions")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(raw) > MAX_CHARS:
            return [Problem(path, 1, 1, "(file)", f"larger than {MAX_CHARS:,} bytes; a monitoring config is a few KB")]
        line = raw[: exc.start].count(b"\n") + 1
        return [Problem(path, line, 1, "(file)", "not UTF-8 text; save the file as UTF-8")]
    return validate_text(text, path)


class _NotRegular(OSError):
    pass


def read_config_bytes(path: str, limit: int = MAX_CHARS + 1) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path`` (symlinks followed).

    The file is opened without blocking, so a FIFO cannot hang the caller, and checked to be a
    regular file before anything is read from it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            raise _NotRegular(path)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def validate_text(text: str, file: str = "monitoring.yaml") -> List[Problem]:
    """Problems in config ``text`` (as if it were ``file``), sorted by position; never raises."""
    try:
        return _validate(text, file)
    except Exception as exc:  # a validator bug must not read as "valid" nor crash a hook
        return [Problem(file, 1, 1, "(document)", f"internal validator error: {type(exc).__name__}: {exc}")]


def load_config(path: str) -> "Config":
    """The config at ``path`` as a typed, frozen :class:`~mlmon.services.config_model.Config`
    with the schema's defaults filled in; :class:`MlmonError` (one line) when it has errors."""
    errors = [p for p in validate_file(path) if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise MlmonError(
            f"invalid monitoring config: {first.path}: {first.message}{more}",
            f"{first.file}:{first.line}:{first.col}",
            f"run `mlmon validate {path}` to see every problem",
        )
    import yaml

    from mlmon.services.config_model import from_dict

    return from_dict(yaml.safe_load(read_config_bytes(path).decode("utf-8")), path=path, schema=load_schema())


def parse_duration(text: str) -> Optional[float]:
    """Seconds in a duration like ``30m``, ``1h``, ``7D``, ``500ms``; None when it does not parse.

    >>> parse_duration("1h"), parse_duration("7D"), parse_duration("500ms"), parse_duration("soon")
    (3600.0, 604800.0, 0.5, None)
    """
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        return None
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]


def load_schema() -> Dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        with open(SCHEMA_PATH, encoding="utf-8") as fh:
            _SCHEMA = json.load(fh)
    return _SCHEMA


_SCHEMA: Optional[Dict[str, Any]] = None
_VALIDATOR = None


# ---------------------------------------------------------------------------- YAML with positions


class _Positions:
    """Line and column (1-based) of every key and value in the document, by path."""

    def __init__(self, root) -> None:
        self.keys: Dict[Path, Tuple[int, int]] = {}
        self.values: Dict[Path, Tuple[int, int]] = {}
        self.duplicates: List[Tuple[Path, Tuple[int, int]]] = []
        self.budget = MAX_NODES
        if root is not None:
            self._walk(root, ())

    def _walk(self, node, path: Path) -> None:
        import yaml

        self.budget -= 1
        if self.budget < 0:
            raise _TooBig()
        self.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = _scalar_key(key_node)
                child = path + (key,)
                if child in self.keys:
                    self.duplicates.append((child, _mark(key_node)))
                self.keys[child] = _mark(key_node)
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.keys[path + (i,)] = _mark(item)
                self._walk(item, path + (i,))

    def key(self, path: Path) -> Tuple[int, int]:
        while path and path not in self.keys:
            path = path[:-1]
        return self.keys.get(path, (1, 1))

    def value(self, path: Path) -> Tuple[int, int]:
        while path and path not in self.values:
            path = path[:-1]
        return self.values.get(path, (1, 1))


class _TooBig(Exception):
    pass


def _mark(node) -> Tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar_key(node):
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return node.value
    return str(node.value)


def _loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---------------------------------------------------------------------------- validation


class _Report:
    def __init__(self, file: str, pos: _Positions) -> None:
        self.file, self.pos = file, pos
        self.problems: List[Problem] = []
        self.claimed: set = set()  # paths already explained; schema errors there are dropped

    def at_key(self, path: Path, message: str, severity: str = "error") -> None:
        self._add(self.pos.key(path), path, message, severity)

    def at_value(self, path: Path, message: str, severity: str = "error") -> None:
        self._add(self.pos.value(path), path, message, severity)

    def _add(self, where, path: Path, message: str, severity: str) -> None:
        line, col = where
        self.problems.append(Problem(self.file, line, col, dotted(path), message, severity))


def dotted(path: Path) -> str:
    """``("alerts", "critical", "notify", 0)`` -> ``alerts.critical.notify[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _validate(text: str, file: str) -> List[Problem]:
    import yaml

    if len(text) > MAX_CHARS:
        return [Problem(file, 1, 1, "(document)", f"the config is {len(text):,} characters; a monitoring config "
                                                  f"is a few thousand (limit {MAX_CHARS:,})")]

    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(filter(None, [exc.problem, exc.context]))
        return [Problem(file, line, col, "(document)", f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return [Problem(file, 1, 1, "(document)", f"YAML error: {' '.join(str(exc).split())}")]
    finally:
        loader.dispose()
    if data is None:
        return [Problem(file, 1, 1, "(document)", "the config is empty; start from `mlmon init`")]

    try:
        positions = _Positions(node)
    except _TooBig:
        return [Problem(file, 1, 1, "(document)", f"the config expands to more than {MAX_NODES:,} YAML nodes "
                                                  "(aliases?); write it out plainly")]
    report = _Report(file, positions)
    for path, where in report.pos.duplicates:
        report._add(where, path, f"duplicate key '{path[-1]}': YAML keeps only the last one; remove one", "error")
    if isinstance(data, dict):
        _check_secrets(data, (), report)
        _check_semantics(data, report)
    _check_schema(data, report)
    report.problems.sort(key=lambda p: (p.line, p.col, p.severity != "error", p.message))
    return report.problems


def _check_schema(data: Any, report: _Report) -> None:
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator

        _VALIDATOR = Draft202012Validator(load_schema())
    for error in _VALIDATOR.iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            _unknown_keys(error, path, report)
            continue
        if any(path[: len(c)] == c for c in report.claimed):
            continue
        if error.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            name = missing[0] if missing else "?"
            if path + (name,) not in report.claimed:
                report.at_key(path, f"missing required key '{name}'")
        else:
            report.at_value(path, _schema_message(error))


def _unknown_keys(error, path: Path, report: _Report) -> None:
    known = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key in error.schema.get("properties", {}):
            continue
        child = path + (key,)
        if child in report.claimed:
            continue
        hint = _did_you_mean(str(key), known)
        if not hint:
            hint = "; known keys: " + ", ".join(known) if known else ""
        report.at_key(child, f"unknown key '{key}'{hint}")


def _did_you_mean(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        lowered = {str(c).lower(): str(c) for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean '{close[0]}'?" if close else ""


_TYPE_NAMES = {"string": "a string", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "a mapping of keys", "array": "a list", "null": "null"}


def _schema_message(error) -> str:
    v, value, schema = error.validator, error.instance, error.schema
    shown = _show(value)
    if v == "enum":
        choices = [c for c in error.validator_value]
        names = ", ".join("null" if c is None else str(c) for c in choices)
        return f"{shown} is not one of: {names}" + (_did_you_mean(str(value), [c for c in choices if c is not None]) if isinstance(value, str) else "")
    if v == "const":
        return f"{shown} must be {_show(error.validator_value)}"
    if v == "type":
        want = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"expected {' or '.join(_TYPE_NAMES.get(w, w) for w in want)}, got {shown}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum", schema.get("exclusiveMaximum"))
        if lo is not None and hi is not None:
            open_lo, open_hi = "exclusiveMinimum" in schema, "exclusiveMaximum" in schema
            rng = f"{'(' if open_lo else '['}{lo}, {hi}{')' if open_hi else ']'}"
            return f"{shown} is out of range {rng}" + ("; ratios are written 0-1 (5 % is 0.05)" if hi == 1 else "")
        sign = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[v]
        return f"{shown} must be {sign} {error.validator_value}"
    if v == "pattern" and "_env" in str(error.absolute_path[-1] if error.absolute_path else ""):
        # never the value: what is written where a variable's name belongs is often the secret itself
        return "is not an environment variable name; write its NAME (letters, digits, _), e.g. SLACK_WEBHOOK_URL"
    if v == "pattern":
        return f"{shown} does not match {error.validator_value}"
    if v == "minLength":
        return "must not be empty"
    if v == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if v == "minProperties":
        return f"needs at least {error.validator_value} key(s)"
    if v == "uniqueItems":
        return "lists the same item twice"
    return " ".join(error.message.split())


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


# ---------------------------------------------------------------------------- semantic checks


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


def _check_semantics(data: Dict[str, Any], report: _Report) -> None:
    _check_durations(data, report)
    _check_tiers(data, report)
    _check_column_methods(data, report)
    _check_columns(data, report)
    _check_templates(data, report)
    _check_traffic_split(data, report)
    _check_channels(data, report)


def _check_durations(data, report: _Report) -> None:
    for pattern in DURATION_PATHS:
        for path, value in _iter_paths(data, tuple(pattern.split("."))):
            if value is None or path in report.claimed:
                continue
            if parse_duration(value) is None:
                report.claimed.add(path)
                report.at_value(path, f"{_show(value)} is not a duration; write a number and a unit: 500ms, 30s, 15m, 1h, 1d, 7d")


def _as_number(name: str, value: Any) -> Optional[float]:
    if name.startswith("latency"):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _check_tiers(data, report: _Report) -> None:
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
            f"warning threshold {_show(warning[name])} is not less severe than critical's {_show(critical[name])}; "
            f"a warning must fire before critical does: lower it below {_show(critical[name])}",
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


def _check_column_methods(data, report: _Report) -> None:
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


def _check_columns(data, report: _Report) -> None:
    columns = _get(data, "data", "columns")
    if not isinstance(columns, dict):
        return
    num, cat = columns.get("numerical"), columns.get("categorical")
    if isinstance(num, list) and isinstance(cat, list):
        for i, name in enumerate(cat):
            if isinstance(name, str) and name in num:
                report.at_value(("data", "columns", "categorical", i),
                                f"'{name}' is also listed in data.columns.numerical; name it in one of the two")


def _check_templates(data, report: _Report) -> None:
    for side in ("reference", "current"):
        path = _get(data, "data", side, "path")
        if not isinstance(path, str):
            continue
        for name in _PLACEHOLDER.findall(path):
            if name != "date":
                report.at_value(("data", side, "path"),
                                f"unknown placeholder {{{name}}}; the only one is {{date}}")


def _check_traffic_split(data, report: _Report) -> None:
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


def _check_channels(data, report: _Report) -> None:
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


def _check_secrets(data: Any, path: Path, report: _Report) -> None:
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
            _check_secrets(value, child, report)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_secrets(value, path + (i,), report)
    elif isinstance(data, str) and path and path[0] not in ("data", "model"):
        form = _secret_form(data, path)
        if form:
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
    if _URL_PASSWORD.match(text):
        if path[:1] == ("storage",):
            return "a URL with a password", "history_url_env: MLMON_HISTORY_URL"
        return "a URL with a password", "an *_env key naming the variable that holds the URL"
    return None


# ---------------------------------------------------------------------------- starter config

_TARGET_NAMES = ("label", "target", "y", "class", "outcome", "ground_truth")
_PREDICTION_NAMES = ("prediction", "predicted", "pred", "y_pred", "y_hat", "yhat", "output")
_PROBA_HINTS = ("proba", "probability", "score")
_TIMESTAMP_NAMES = ("timestamp", "event_time", "ts", "time", "date", "datetime", "created_at")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def guess_roles(columns: List[str], kinds: Dict[str, str]) -> Dict[str, Optional[str]]:
    """Target, prediction, probability, timestamp and id columns, guessed from names and kinds.

    >>> r = guess_roles(["amount", "is_fraud", "fraud_proba", "prediction", "ts", "user_id"],
    ...                 {"ts": "datetime"})
    >>> r["target"], r["prediction"], r["prediction_proba"], r["timestamp"], r["id"]
    ('is_fraud', 'prediction', 'fraud_proba', 'ts', 'user_id')
    """
    lower = {c: c.lower() for c in columns}
    taken: set = set()

    def first(test) -> Optional[str]:
        for c in columns:
            if c not in taken and test(lower[c]):
                taken.add(c)
                return c
        return None

    roles: Dict[str, Optional[str]] = {}
    by_kind = {lower[c]: kinds.get(c) for c in columns}
    roles["timestamp"] = first(lambda n: n in _TIMESTAMP_NAMES) or first(lambda n: by_kind[n] == "datetime")
    roles["id"] = first(lambda n: n == "id" or n.endswith("_id"))
    roles["prediction_proba"] = first(lambda n: any(h in n for h in _PROBA_HINTS))
    roles["prediction"] = first(lambda n: n in _PREDICTION_NAMES or n.startswith(("prediction", "pred_")))
    roles["target"] = first(lambda n: n in _TARGET_NAMES or n.endswith(("_label", "_target"))) or first(
        lambda n: n.startswith("is_"))
    return roles


def starter_config(sample: Optional[str] = None) -> str:
    """Text of a starter ``monitoring.yaml``: the annotated default, with ``sample``'s columns."""
    with open(DEFAULT_CONFIG_PATH, encoding="utf-8") as fh:
        text = fh.read()
    if sample is None:
        return text
    from mlmon.io.columns import assign_types
    from mlmon.io.tables import read_table

    table = read_table(sample, role="sample")
    roles = guess_roles(table.columns, table.kinds)
    role_cols = {c for c in roles.values() if c}
    features = [c for c in table.columns if c not in role_cols]
    typing = assign_types(table, table, exclude=sorted(role_cols))
    types = {c.name: c.type for c in typing.columns}
    fmt = "parquet" if os.path.isdir(sample) or sample.lower().endswith((".parquet", ".pq", ".parq")) else (
        "csv" if sample.lower().endswith((".csv", ".tsv", ".txt")) else "jsonl")
    ext = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}[fmt]
    lines = [
        "data:",
        f"  format: {fmt}",
        "  reference:                     # the data the model was validated on, or a period known to be good",
        f"    path: {_scalar(sample)}",
        "  current:                       # the period being checked; {date} is filled in by scheduled runs",
        f"    path: {_scalar('data/current/{date}' + ext)}",
        '    date_format: "%Y-%m-%d"',
        f"  columns:                       # inferred from {_comment(sample)}; check the roles",
    ]
    for role in ("target", "prediction", "prediction_proba", "timestamp", "id"):
        if roles[role]:
            lines.append(f"    {role}: {_scalar(roles[role])}")
    for kind in ("numerical", "categorical"):
        names = [c for c in features if types.get(c) == kind]
        lines.append(f"    {kind}: [{', '.join(_scalar(c) for c in names)}]")
    skipped = [c for c in features if c in typing.skipped]
    lines.append(f"    exclude: [{', '.join(_scalar(c) for c in skipped)}]" +
                 ("                  # id-like, text or empty columns" if skipped else ""))
    text = _replace_section(text, "data", "\n".join(lines) + "\n")
    target = roles["target"]
    if target:
        text = re.sub(r"(?m)^(  task: )\w+", r"\g<1>" + _task(table, target), text, count=1)
    return re.sub(r"(?m)^(  name: )fraud-detector", r"\g<1>" + "my-model".ljust(len("fraud-detector")), text, count=1)


def _task(table, target: str) -> str:
    kind = table.kinds.get(target)
    n = int(table.frame[target].nunique())
    if kind == "float" and n > 10:
        return "regression"
    return "binary" if n <= 2 else "multiclass"


def _replace_section(text: str, name: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(name + ":"))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_]", lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def _scalar(value: str) -> str:
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


def _comment(value: str) -> str:
    return os.path.basename(os.path.normpath(value)).replace("\n", " ")
