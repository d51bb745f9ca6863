"""The monitoring config as typed, frozen objects, parsed once at the edge.

:func:`from_dict` turns a validated ``monitoring.yaml`` (a dict) into a :class:`Config`:
frozen dataclasses whose fields are the schema's properties, with the schema's ``default``
filled in wherever the file is silent. The defaults live in one place, ``assets/schema.json``;
the dataclasses say only what each section holds (a test keeps the two field for field equal).

Lists become tuples and mappings read-only, so a config cannot be changed by a command that
reads it. :meth:`Config.given` tells whether the *file* set a value (as opposed to a default
filled in), which is what a result needs to say where a threshold came from.

>>> c = from_dict({"version": 1, "model": {"name": "fraud"}, "drift": {"threshold": 0.2}})
>>> c.model.name, c.model.task, c.drift.threshold, c.drift.drift_share, c.alerts.cooldown
('fraud', 'binary', 0.2, 0.5, '1h')
>>> c.given("drift", "threshold"), c.given("drift", "drift_share")
(True, False)
>>> c.alerts.tier("critical").response_time, c.performance.windows
('15m', ('1h', '1d', '7d'))
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from dataclasses import dataclass, field, fields, is_dataclass
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple, Union, get_origin, get_type_hints

Names = Tuple[str, ...]


@dataclass(frozen=True)
class Model:
    name: Optional[str]
    version: Optional[str]
    task: str


@dataclass(frozen=True)
class Source:
    path: Optional[str]
    format: Optional[str]
    date_format: Optional[str]


@dataclass(frozen=True)
class Columns:
    target: Optional[str]
    prediction: Optional[str]
    prediction_proba: Union[str, Names, None]
    timestamp: Optional[str]
    id: Optional[str]
    numerical: Names
    categorical: Names
    exclude: Names

    @property
    def proba_columns(self) -> Names:
        """The probability column(s) as a tuple, whichever form the file used."""
        p = self.prediction_proba
        return () if p is None else (p,) if isinstance(p, str) else tuple(p)


@dataclass(frozen=True)
class Labels:
    """``data.labels``: late ground truth in files of its own (``path`` None: labels, if any,
    sit in the current data)."""
    path: Optional[str]
    format: Optional[str]
    date_format: Optional[str]
    join_on: Optional[str]
    timestamp: Optional[str]


@dataclass(frozen=True)
class Data:
    format: str
    reference: Source
    current: Source
    labels: Labels
    columns: Columns


@dataclass(frozen=True)
class Multivariate:
    enabled: bool
    method: str


@dataclass(frozen=True)
class Calibration:
    enabled: bool
    false_alarm_rate: float


@dataclass(frozen=True)
class Drift:
    method: Optional[str]
    threshold: Optional[float]
    column_methods: Mapping[str, str]
    column_thresholds: Mapping[str, float]
    drift_share: float
    fdr: Optional[float]
    multivariate: Multivariate
    calibration: Calibration
    window: str


@dataclass(frozen=True)
class Segments:
    by: Names
    min_rows: int
    false_discovery_rate: float


@dataclass(frozen=True)
class Business:
    false_positive_cost: float
    false_negative_cost: float


@dataclass(frozen=True)
class Classification:
    primary: Names
    secondary: Names
    business: Business


@dataclass(frozen=True)
class Regression:
    primary: Names
    secondary: Names
    quantile: float
    under_prediction_cost: float
    over_prediction_cost: float
    business: Tuple[Any, ...]


@dataclass(frozen=True)
class Performance:
    baseline: str
    windows: Names
    label_delay: str
    classification: Classification
    regression: Regression


@dataclass(frozen=True)
class Conditions:
    accuracy_drop: Optional[float]
    latency_p99: Optional[str]
    latency_p95: Optional[str]
    error_rate: Optional[float]
    drift_score: Optional[float]
    feature_distribution_shift: bool
    traffic_pattern_change: bool
    new_category_detected: bool


@dataclass(frozen=True)
class Tier:
    response_time: str
    conditions: Conditions
    notify: Names


@dataclass(frozen=True)
class Alerts:
    consecutive_failures: int
    cooldown: str
    resolve_after: int
    on_estimated: bool
    runbook_url: Optional[str]
    critical: Tier
    warning: Tier
    info: Tier

    def tier(self, name: str) -> Tier:
        return getattr(self, name)


@dataclass(frozen=True)
class Guardrails:
    latency_p99_max: str
    error_rate_max: float


@dataclass(frozen=True)
class Experiments:
    minimum_detectable_effect: float
    power: float
    significance: float
    traffic_split: Mapping[str, float]
    guardrails: Guardrails


@dataclass(frozen=True)
class Storage:
    history_url: Optional[str]
    history_url_env: Optional[str]
    retention_days: Optional[int]


@dataclass(frozen=True)
class Prometheus:
    enabled: bool
    port: int
    path: str
    url: Optional[str]


@dataclass(frozen=True)
class Grafana:
    enabled: bool
    url: str
    api_token_env: Optional[str]
    dashboard_uid: str


@dataclass(frozen=True)
class Integrations:
    prometheus: Prometheus
    grafana: Grafana


@dataclass(frozen=True)
class Config:
    """A whole monitoring config. ``notifications`` maps each configured channel to its section
    (defaults filled): channels are declared by their own modules, so their keys are not fixed here."""

    version: int
    model: Model
    data: Data
    drift: Drift
    segments: Segments
    performance: Performance
    alerts: Alerts
    notifications: Mapping[str, Mapping[str, Any]]
    experiments: Experiments
    storage: Storage
    integrations: Integrations
    path: Optional[str] = field(default=None, compare=False)
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def given(self, *keys: str) -> bool:
        """Whether the file itself set ``keys`` (a path like ``"drift", "threshold"``)."""
        node: Any = self.raw
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return False
            node = node[key]
        return True

    def channel(self, name: str) -> Optional[Mapping[str, Any]]:
        return self.notifications.get(name)

    def as_dict(self) -> Dict[str, Any]:
        """The file's own values as a plain, mutable dict (lists as lists, defaults not filled):
        for code that hands the config on as data, e.g. to a JSON report."""
        return _thaw(self.raw)


# names that are not schema properties
_NOT_IN_SCHEMA = {"path", "raw"}


def from_dict(data: Optional[Mapping[str, Any]], path: Optional[str] = None, schema: Optional[Mapping] = None) -> Config:
    """A :class:`Config` from a *validated* config dict, the schema's defaults filled in."""
    if schema is None:
        from mlmon.services.config import load_schema

        schema = load_schema()
    data = data or {}
    built = _build(Config, data, schema, schema)
    return dataclasses.replace(built, path=path, raw=_freeze(copy.deepcopy(dict(data))))


def typed(config: Union[Config, Mapping[str, Any], None]) -> Config:
    """``config`` as a :class:`Config`: a typed one as it is, a validated config dict (from code
    that still holds one) typed here."""
    return config if isinstance(config, Config) else from_dict(config or {})


def _resolve(node: Mapping, root: Mapping) -> Mapping:
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    if not ref:
        return node or {}
    target: Any = root
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    merged = dict(_resolve(target, root))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _build(cls, data: Mapping[str, Any], node: Mapping, root: Mapping):
    node = _resolve(node, root)
    props = node.get("properties") or {}
    hints = get_type_hints(cls, vars(sys.modules[cls.__module__]))
    kwargs: Dict[str, Any] = {}
    for f in fields(cls):
        if cls is Config and f.name in _NOT_IN_SCHEMA:
            continue
        sub = _resolve(props.get(f.name) or {}, root)
        hint = hints[f.name]
        if f.name in data and data[f.name] is not None:
            value = data[f.name]
        elif "default" in sub:
            value = copy.deepcopy(sub["default"])
        else:
            value = None
        if is_dataclass(hint):
            kwargs[f.name] = _build(hint, value if isinstance(value, Mapping) else {}, sub, root)
        elif cls is Config and f.name == "notifications":
            kwargs[f.name] = _channels(value or {}, sub, root)
        else:
            kwargs[f.name] = _freeze(_collection(value, hint))
    return cls(**kwargs)


def _channels(value: Mapping[str, Any], node: Mapping, root: Mapping) -> Mapping[str, Mapping[str, Any]]:
    props = node.get("properties") or {}
    out = {}
    for name, section in value.items():
        if not isinstance(section, Mapping):
            continue
        filled = {}
        for key, sub in (_resolve(props.get(name) or {}, root).get("properties") or {}).items():
            sub = _resolve(sub, root)
            if "default" in sub:
                filled[key] = copy.deepcopy(sub["default"])
        filled.update(section)
        out[name] = filled
    return _freeze(out)


def _collection(value: Any, hint: Any) -> Any:
    """An empty tuple or mapping for a missing collection field, so readers never test for None."""
    if value is not None:
        return value
    origin = get_origin(hint)
    if origin in (tuple, Tuple):
        return ()
    if origin in (Mapping, dict) or hint is Mapping:
        return {}
    if origin is Union:
        return None
    return None


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def schema_fields(cls=Config, node: Optional[Mapping] = None, root: Optional[Mapping] = None, prefix: str = ""):
    """(dotted path, dataclass field names, schema property names) for every typed section:
    what the test that keeps this module and the schema equal compares."""
    if root is None:
        from mlmon.services.config import load_schema

        root = node = load_schema()
    node = _resolve(node, root)
    props = node.get("properties") or {}
    hints = get_type_hints(cls, vars(sys.modules[cls.__module__]))
    names = {f.name for f in fields(cls)} - (_NOT_IN_SCHEMA if cls is Config else set())
    yield prefix or "(root)", names, set(props)
    for f in fields(cls):
        hint = hints[f.name]
        if is_dataclass(hint):
            yield from schema_fields(hint, props.get(f.name) or {}, root, f"{prefix}.{f.name}" if prefix else f.name)

