"""Options of a command: the config's values, then the flags the user gave, in that order.

Every service's options dataclass (drift, performance, A/B, ...) mixes in :class:`Options`
and builds itself as ``XOptions.from_config(config).override(**flags)``, so the precedence rule
(a flag over the config over the default) is written here once, and every field knows where its
value came from (``default``, ``config`` or ``flag``), which results report (e.g. a drift
threshold's ``threshold_source``).

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(Options):
...     threshold: float = 0.1
...     method: str = "auto"
>>> d = Demo().from_fields(threshold=0.2).override(method="psi", threshold=None)
>>> d.threshold, d.method, d.source("threshold"), d.source("method")
(0.2, 'psi', 'config', 'flag')
>>> Demo().source("threshold")
'default'
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Mapping

_SOURCES = "_mlmon_sources"


class Options:
    """Mixin for option dataclasses (frozen or not): ``from_fields`` for config values,
    ``override`` for flags; a value of ``None`` means "not given" and changes nothing."""

    def from_fields(self, **values: Any):
        """A copy with the values a config gave (``None`` skipped), marked ``config``."""
        return self._with(values, "config")

    def override(self, **flags: Any):
        """A copy with the flags the user gave (``None`` skipped), marked ``flag``."""
        return self._with(flags, "flag")

    def source(self, name: str) -> str:
        """Where field ``name`` got its value: ``default``, ``config`` or ``flag``."""
        return self.sources().get(name, "default")

    def sources(self) -> Dict[str, str]:
        return dict(getattr(self, _SOURCES, {}))

    def _with(self, values: Mapping[str, Any], origin: str):
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no option {', '.join(unknown)}")
        given = {k: v for k, v in values.items() if v is not None}
        out = dataclasses.replace(self, **given)  # type: ignore[type-var]
        sources = self.sources()
        sources.update({k: origin for k in given})
        object.__setattr__(out, _SOURCES, sources)
        return out
