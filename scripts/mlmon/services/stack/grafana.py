"""The Grafana dashboard and its provisioning files (datasource, dashboards provider)."""

from __future__ import annotations

import json
import string
from typing import Dict, Optional

from mlmon.services.stack.common import (DASHBOARD_FILE, DASHBOARDS_PROVIDER_FILE, DATASOURCE_FILE, StackOptions,
                                         template)



def grafana_files(config, options: Optional[StackOptions] = None) -> Dict[str, str]:
    options = options or StackOptions()
    model = config.model
    replacements = {"__DATASOURCE_UID__": options.datasource_uid,
                    "__DASHBOARD_UID__": str(config.integrations.grafana.dashboard_uid or "mlmon"),
                    "__TITLE__": f"ML monitoring: {model.name or 'model'} {model.version or ''}".strip()}

    def fill(node):
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return replacements.get(node, node) if isinstance(node, str) else node

    dashboard = fill(json.loads(template("grafana-dashboard.json")))
    fields = {"datasource_uid": options.datasource_uid, "prometheus_url": options.prometheus_url,
              "dashboards_path": "/var/lib/grafana/dashboards"}
    return {
        DATASOURCE_FILE: string.Template(template("grafana-datasource.yml")).substitute(fields),
        DASHBOARDS_PROVIDER_FILE: string.Template(template("grafana-dashboards.yml")).substitute(fields),
        DASHBOARD_FILE: json.dumps(dashboard, indent=2) + "\n",
    }
