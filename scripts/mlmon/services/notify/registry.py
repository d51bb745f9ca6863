"""Every notification channel, found by looking for the modules of this package that declare
``CHANNEL``: adding a channel is adding its module. The validator, the schema test,
``generate alertmanager`` and :func:`mlmon.services.notify.deliver` all ask here."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, Optional, Tuple

from mlmon.services.notify.channel import Channel

_NOT_CHANNELS = {"channel", "registry", "transport"}


def _discover() -> Dict[str, Channel]:
    import mlmon.services.notify as package

    found: Dict[str, Channel] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        if module.startswith("_") or module in _NOT_CHANNELS:
            continue
        declared = getattr(importlib.import_module(f"{package.__name__}.{module}"), "CHANNEL", None)
        if isinstance(declared, Channel):
            if declared.name in found:
                raise RuntimeError(f"two notification channels are named {declared.name!r}")
            found[declared.name] = declared
    return found


REGISTRY: Dict[str, Channel] = _discover()
CHANNELS: Tuple[str, ...] = tuple(REGISTRY)  # sorted by name


def get(name: str) -> Optional[Channel]:
    return REGISTRY.get(name)
