"""``assets/schema.json``: hand-written, except the lists that declarations elsewhere own.

The schema's structure, descriptions and defaults are written by hand in the committed file;
the enums that list what the code knows are filled here from their one declaration:

- drift test ids (``$defs.method``, ``drift.method``) from :mod:`mlmon.stats.univariate.catalog`;
- notification channels (``alerts.<tier>.notify`` and the sections ``notifications.<name>``) from
  :mod:`mlmon.services.notify.registry`, each section being its channel module's own schema.

``python -m mlmon.services.config.schema`` exits 1 when the committed file differs from the
generated one; ``--write`` rewrites it. A test runs the same comparison.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any, Dict, Optional

from mlmon.services.config import SCHEMA_PATH
from mlmon.stats.univariate import catalog

ALERT_TIERS = ("critical", "warning", "info")


def build_schema(base: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The schema: ``base`` (default: the committed file) with its generated enums filled in."""
    schema = copy.deepcopy(base if base is not None else _committed())
    ids = catalog.ids()
    schema["$defs"]["method"]["enum"] = list(ids)
    schema["properties"]["drift"]["properties"]["method"]["enum"] = list(ids) + [None]
    _fill_channels(schema)
    return schema


def _fill_channels(schema: Dict[str, Any]) -> None:
    """``alerts.<tier>.notify.items.enum`` and ``notifications.<name>`` from the channel registry."""
    from mlmon.services.notify.registry import REGISTRY

    alerts = schema["properties"]["alerts"]["properties"]
    for tier in ALERT_TIERS:
        alerts[tier]["properties"]["notify"]["items"]["enum"] = list(REGISTRY)
    sections = schema["properties"]["notifications"]["properties"]
    sections.clear()
    sections.update({name: copy.deepcopy(channel.schema) for name, channel in REGISTRY.items()})


def render(schema: Dict[str, Any]) -> str:
    """The file's text: two-space JSON with a final newline (as committed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _committed() -> Dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        committed = fh.read()
    generated = render(build_schema(json.loads(committed)))
    if "--write" in argv:
        if generated != committed:
            with open(SCHEMA_PATH, "w", encoding="utf-8") as fh:
                fh.write(generated)
        return 0
    if generated != committed:
        print("assets/schema.json differs from the generated schema; run: "
              "python -m mlmon.services.config.schema --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
