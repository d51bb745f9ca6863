"""Univariate two-sample drift tests, one per module, with Evidently 0.7's definitions.

Every test is a pure function over numpy arrays::

    func(reference, current, column_type, threshold, *, presorted=False) -> StatTestResult

``reference`` / ``current`` hold only finite, non-missing values:

- numerical columns: ``float64`` values (``presorted=True`` promises both are sorted
  ascending, so tests that need order statistics skip their own sort);
- categorical columns: ``int64`` codes ``0..K-1`` into one category list shared by both
  sides, ordered as the sorted category values (so code 0 is the smallest category, as in
  Evidently's ``sorted(keys)[0]``).

The registry maps Evidently's test ids (``ks``, ``psi``, ``jensenshannon``, ...) to a
:class:`StatTest` describing which column types it accepts, its default threshold and
whether its score is a p-value (drift when below the threshold) or a distance (drift when
at or above it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Literal, Optional

import numpy as np

NUMERICAL = "numerical"
CATEGORICAL = "categorical"
ColumnType = Literal["numerical", "categorical"]


@dataclass(frozen=True)
class StatTestResult:
    """What one test found on one column.

    ``score`` is Evidently's ``drift_score``: a p-value for hypothesis tests, a distance
    otherwise. ``statistic`` is the underlying test statistic where it differs from the
    score (the KS ``D`` when the score is its p-value), else ``None``.
    """

    score: float
    drifted: bool
    statistic: Optional[float] = None


StatTestFunc = Callable[..., StatTestResult]


@dataclass(frozen=True)
class StatTest:
    id: str
    display_name: str
    column_types: FrozenSet[str]
    default_threshold: float
    score_kind: Literal["p_value", "distance"]
    func: StatTestFunc

    def __call__(
        self,
        reference: np.ndarray,
        current: np.ndarray,
        column_type: str,
        threshold: Optional[float] = None,
        *,
        presorted: bool = False,
    ) -> StatTestResult:
        t = self.default_threshold if threshold is None else threshold
        return self.func(reference, current, column_type, t, presorted=presorted)


REGISTRY: Dict[str, StatTest] = {}


def register(test: StatTest) -> StatTest:
    REGISTRY[test.id] = test
    return test


def get(test_id: str) -> StatTest:
    _load_all()
    try:
        return REGISTRY[test_id]
    except KeyError:
        raise KeyError(test_id) from None


def available() -> Dict[str, StatTest]:
    _load_all()
    return dict(REGISTRY)


def default_method(n_reference: int, n_unique: int, column_type: str) -> str:
    """Evidently 0.7's automatic choice (``_get_default_stattest``).

    ``n_reference`` is the reference size after dropping missing and infinite values;
    ``n_unique`` the number of distinct values across both sides.

    >>> default_method(500, 40, "numerical"), default_method(5000, 40, "numerical")
    ('ks', 'wasserstein')
    >>> default_method(500, 2, "categorical"), default_method(500, 3, "categorical")
    ('z', 'chisquare')
    >>> default_method(5000, 4, "numerical"), default_method(5000, 4, "categorical")
    ('jensenshannon', 'jensenshannon')
    """
    if n_reference <= 1000:
        if column_type == NUMERICAL and n_unique > 5:
            return "ks"
        return "chisquare" if n_unique > 2 else "z"
    if column_type == NUMERICAL and n_unique > 5:
        return "wasserstein"
    return "jensenshannon"


_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _LOADED = True
