"""What every generated artifact shares: the options, the result, the file names, the
templates in ``assets/stack/``, durations in Prometheus' form, and writing the files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from mlmon.errors import MlmonError, option
from mlmon.services.config import parse_duration
from mlmon.stats.direction import lower_is_better

_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
STACK_DIR = os.path.normpath(os.path.join(_ROOT, "assets", "stack"))
TOOLKIT_DIR = os.path.normpath(_ROOT)  # the repository: compose mounts it to run mlmon serve
ARTIFACTS = ("prometheus-rules", "alertmanager", "grafana", "compose")
TIERS = ("critical", "warning", "info")
# the whole stack runs beside `mlmon run`, which alerts on the batch conditions itself: compose
# gives Prometheus only the serving ones, so no alert is sent twice; rules alone get them all
DEFAULT_CONDITIONS = {"compose": "serving"}


def prometheus_literal(text: str) -> str:
    """``text`` as a literal inside a Prometheus (Go) template: labels and annotations of an
    alerting rule are templates, so a model named ``{{ $value }}`` would be expanded.

    >>> prometheus_literal("fraud {{ $value }}")
    'fraud {{ "{{" }} $value {{ "}}" }}'
    """
    return re.sub(r"\{\{|\}\}", lambda m: '{{ "%s" }}' % m.group(0), text)

def promql_string(text: str) -> str:
    r"""``text`` as a PromQL string literal (Go's double-quoted escapes), e.g. a label matcher's value.

    >>> print(promql_string('fraud "eu"\\v2'))
    "fraud \"eu\"\\v2"
    """
    out = ['"']
    for ch in str(text):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def model_matcher(config) -> str:
    """The label matcher selecting a typed config's model: ``model="NAME"``."""
    return f"model={promql_string(config.model.name or 'model')}"


RULES_FILE = "prometheus/rules/mlmon.rules.yml"
RULES_TEST_FILE = "prometheus/rules/mlmon.rules.test.yml"
PROMETHEUS_FILE = "prometheus/prometheus.yml"
ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"
DATASOURCE_FILE = "grafana/provisioning/datasources/mlmon.yml"
DASHBOARDS_PROVIDER_FILE = "grafana/provisioning/dashboards/mlmon.yml"
DASHBOARD_FILE = "grafana/dashboards/mlmon.json"
COMPOSE_FILE = "compose.yaml"


@dataclass
class StackOptions:
    evaluation_interval: str = "1m"
    scrape_interval: str = "15s"
    rate_window: str = "5m"
    secrets_dir: str = "/run/secrets"
    serve_target: str = "mlmon:9108"
    alertmanager_target: str = "alertmanager:9093"
    prometheus_url: str = "http://prometheus:9090"
    datasource_uid: str = "mlmon-prometheus"
    # "all", or "serving": rules only for SERVING_CONDITIONS; None: by artifact (DEFAULT_CONDITIONS)
    conditions: Optional[str] = None


@dataclass
class GeneratedStack:
    artifact: str
    files: Dict[str, str]
    warnings: List[str] = field(default_factory=list)
    written: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # what a default chose, said once

    def to_dict(self) -> Dict[str, Any]:
        return {"schema_version": 1, "artifact": self.artifact, "files": sorted(self.files),
                "written": list(self.written), "warnings": list(self.warnings), "notes": list(self.notes)}


def prometheus_duration(seconds: float) -> str:
    """The shortest exact Prometheus duration for ``seconds``.

    >>> prometheus_duration(180), prometheus_duration(3600), prometheus_duration(0.5), prometheus_duration(90)
    ('3m', '1h', '500ms', '90s')
    """
    ms = int(round(seconds * 1000))
    for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def seconds(text: str, where: str) -> float:
    value = parse_duration(text)
    if value is None or value <= 0:
        raise MlmonError(f"invalid duration: {text}", where, "use a number and a unit, e.g. 30s, 1m, 5m")
    return value


def number(value: Any) -> str:
    return repr(float(value)) if not isinstance(value, bool) else str(int(value))


def template(name: str) -> str:
    with open(os.path.join(STACK_DIR, name), encoding="utf-8") as fh:
        return fh.read()


def yaml_text(data: Any, header: str) -> str:
    import yaml

    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-") or "model"


def primary_metrics(config) -> Tuple[List[str], List[str]]:
    """The task's primary metrics (a typed config's), split into (higher is better, lower is better)."""
    performance = config.performance
    section = performance.regression if config.model.task == "regression" else performance.classification
    primary = [str(m) for m in section.primary]
    return [m for m in primary if not lower_is_better(m)], [m for m in primary if lower_is_better(m)]


def write_stack(stack: GeneratedStack, out_dir: str, force: bool = False) -> List[str]:
    """Write every file atomically; refuse (before writing anything) to replace a file that
    exists unless ``force``. Returns the paths written."""
    import tempfile

    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise MlmonError("output path is not a directory", f"{option('out')} {out_dir}", "give a directory")
    targets = [(os.path.join(out_dir, *rel.split("/")), text) for rel, text in sorted(stack.files.items())]
    existing = [p for p, _ in targets if os.path.exists(p)]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise MlmonError("file already exists", existing[0] + more,
                         f"pass {option('force')} to overwrite, or {option('out')} another directory")
    written = []
    for path, text in targets:
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError as exc:
            raise MlmonError(f"cannot write: {exc.strerror or exc}", path,
                             f"choose a writable {option('out')} directory") from exc
        written.append(path)
    stack.written = written
    return written
