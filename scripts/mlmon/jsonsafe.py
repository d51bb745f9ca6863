"""Results as strict JSON: NaN and infinities become null, numpy scalars Python ones.

Every result's ``to_dict()`` ends with :func:`strict_json`, so ``json.dumps(..., allow_nan=False)``
never meets a value JSON cannot hold. Imports no data library: numpy scalars can only exist when
numpy is loaded, so the module looks for it there.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Optional


def finite(x: Any) -> Optional[float]:
    """``float(x)``, or None for NaN and infinities.

    >>> finite(0.25), finite(float("nan")), finite(float("-inf"))
    (0.25, None, None)
    """
    x = float(x)
    return x if math.isfinite(x) else None


TEXT_LIMIT = 1_000  # characters of one text value from the data kept in JSON output


def bounded(text: Any, limit: int = TEXT_LIMIT) -> str:
    """Text from the data (a category value, a warning quoting one) kept whole up to ``limit``
    characters, then cut with a marker: JSON keeps values, but a 1 MB category is not one.

    >>> bounded("abc"), bounded("x" * 12, 10)
    ('abc', 'xxxxxxxxx…')
    """
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def strict_json(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None, numpy scalars by Python ones and tuples
    by lists, through nested dicts and lists (keys are kept as they are).

    >>> strict_json({"a": [1.5, float("nan")], "b": (float("inf"), True, None)})
    {'a': [1.5, None], 'b': [None, True, None]}
    """
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, float):
        return finite(obj)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return finite(obj)
    return obj
