"""The Grafana dashboard and its provisioning files (datasource, dashboards provider).

The dashboard has a ``model`` variable (the ``model`` label's values, the config's model first)
and every per-model query selects ``model="$model"``. The template holds one "primary metric"
panel (its texts say ``__METRIC__``): it becomes one panel per primary metric of the config's task,
its realized and estimated values beside the baseline and the alert tiers' thresholds. Panels
are laid out here, left to right in rows of 24 columns, so the template gives sizes only.
"""

from __future__ import annotations

import copy
import json
import string
from typing import Any, Dict, List, Optional

from mlmon.services.stack.common import (DASHBOARD_FILE, DASHBOARDS_PROVIDER_FILE, DATASOURCE_FILE, StackOptions,
                                         primary_metrics, template)

METRIC_PLACEHOLDER = "__METRIC__"
GRID_COLUMNS = 24


def grafana_files(config, options: Optional[StackOptions] = None) -> Dict[str, str]:
    options = options or StackOptions()
    model = config.model
    replacements = {"__DATASOURCE_UID__": options.datasource_uid,
                    "__DASHBOARD_UID__": str(config.integrations.grafana.dashboard_uid or "mlmon"),
                    "__TITLE__": f"ML monitoring: {model.name or 'model'} {model.version or ''}".strip(),
                    "__MODEL__": str(model.name or "model")}

    def fill(node):
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return replacements.get(node, node) if isinstance(node, str) else node

    dashboard = fill(json.loads(template("grafana-dashboard.json")))
    higher, lower = primary_metrics(config)
    dashboard["panels"] = layout(per_metric(dashboard["panels"], [*higher, *lower]))
    fields = {"datasource_uid": options.datasource_uid, "prometheus_url": options.prometheus_url,
              "dashboards_path": "/var/lib/grafana/dashboards"}
    return {
        DATASOURCE_FILE: string.Template(template("grafana-datasource.yml")).substitute(fields),
        DASHBOARDS_PROVIDER_FILE: string.Template(template("grafana-dashboards.yml")).substitute(fields),
        DASHBOARD_FILE: json.dumps(dashboard, indent=2) + "\n",
    }


def per_metric(panels: List[Dict[str, Any]], metrics: List[str]) -> List[Dict[str, Any]]:
    """Each panel whose title names ``__METRIC__``, once per metric (in PromQL the name sits in a
    ``metric="..."`` matcher: metric names are identifiers, nothing to escape)."""
    out: List[Dict[str, Any]] = []
    for panel in panels:
        if METRIC_PLACEHOLDER not in str(panel.get("title", "")):
            out.append(panel)
            continue
        for metric in metrics:
            out.append(_replace(copy.deepcopy(panel), metric))
    return out


def _replace(node: Any, metric: str) -> Any:
    if isinstance(node, dict):
        return {k: _replace(v, metric) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, metric) for v in node]
    return node.replace(METRIC_PLACEHOLDER, metric) if isinstance(node, str) else node


def layout(panels: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Number the panels and place them: a row starts a new line, a panel goes right of the
    previous one while it fits in the 24 columns, else on the next line.

    >>> p = lambda w, h=8: {"type": "timeseries", "gridPos": {"w": w, "h": h}}
    >>> [(x["id"], x["gridPos"]["x"], x["gridPos"]["y"]) for x in layout(
    ...     [{"type": "row", "gridPos": {"w": 24, "h": 1}}, p(12), p(12), p(16, 4), p(16)])]
    [(1, 0, 0), (2, 0, 1), (3, 12, 1), (4, 0, 9), (5, 0, 13)]
    """
    x = y = line_height = 0
    out = []
    for number, panel in enumerate(panels, start=1):
        grid = dict(panel["gridPos"])
        if panel.get("type") == "row" or x + grid["w"] > GRID_COLUMNS:
            x, y, line_height = 0, y + line_height, 0
        grid.update(x=x, y=y)
        if panel.get("type") == "row":
            y += grid["h"]
        else:
            x += grid["w"]
            line_height = max(line_height, grid["h"])
        out.append({**panel, "id": number, "gridPos": {"h": grid["h"], "w": grid["w"], "x": grid["x"], "y": grid["y"]}})
    return out
