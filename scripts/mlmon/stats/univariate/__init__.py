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
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, Literal, Optional

from mlmon.stats.univariate import catalog
from mlmon.stats.univariate.catalog import CATEGORICAL, NUMERICAL

if TYPE_CHECKING:  # the registry itself needs no numpy: listing tests stays cheap
    import numpy as np

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
    #: ``from_summary(reference, current, column_type, threshold) -> SummaryResult`` for the
    #: summaries the catalog declares (see :mod:`mlmon.stats.univariate._summary`), or None
    from_summary: Optional[Callable[..., object]] = None

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

# test id -> module: lets a run import only the tests it uses (several need scipy.stats, whose
# import alone costs about a second); derived from the catalog
MODULES: Dict[str, str] = {t.id: t.module for t in catalog.CATALOG}

# how a score is compared with its threshold, where a test departs from the usual
# "p-value below" / "distance at or above" (as Evidently's functions do)
DRIFT_RULES: Dict[str, str] = {t.id: t.drift_rule for t in catalog.CATALOG
                                if t.drift_rule != ("<" if t.score_kind == "p_value" else ">=")}


def drift_rule(test: "StatTest") -> str:
    """The comparison that means drift: ``score <rule> threshold``.

    >>> drift_rule(get("ks")), drift_rule(get("z")), drift_rule(get("psi")), drift_rule(get("ed"))
    ('<=', '<', '>=', '>')
    """
    return catalog.get(test.id).drift_rule


def register(test: StatTest) -> StatTest:
    REGISTRY[test.id] = test
    return test


def implement(test_id: str, func: StatTestFunc, from_summary=None) -> StatTest:
    """Register ``func`` (and ``from_summary``) as the computation of the catalog's ``test_id``."""
    spec = catalog.get(test_id)
    return register(StatTest(id=spec.id, display_name=spec.display_name, column_types=spec.column_types,
                             default_threshold=spec.default_threshold, score_kind=spec.score_kind,
                             func=func, from_summary=from_summary))


def known_ids() -> list:
    """Every test id, without importing any test."""
    return catalog.ids()


def get(test_id: str) -> StatTest:
    if test_id not in REGISTRY:
        if test_id not in MODULES:
            raise KeyError(test_id)
        import importlib

        importlib.import_module(f"{__name__}.{MODULES[test_id]}")
    return REGISTRY[test_id]


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

    for module in sorted(set(MODULES.values())):
        importlib.import_module(f"{__name__}.{module}")
    _LOADED = True
