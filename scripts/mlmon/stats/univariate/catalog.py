"""Every drift test, declared once, without importing numpy.

One :class:`TestSpec` per test: Evidently's id, the name reports show, the column types it
accepts, its default threshold, whether its score is a p-value or a distance, the comparison
that means drift, the module that computes it, what it can compute from a profile's
summaries instead of rows, and whether its score depends on the data's unit. Everything that lists tests asks this catalog: the registry
(:mod:`mlmon.stats.univariate`), the config validator, ``assets/schema.json``'s enums, ``mlmon
methods`` and the set of tests a profile can answer. Adding a test is its module, one entry
here, its tests and the guide.

Summaries a profile keeps (see :mod:`mlmon.profiles`):

- ``counts``: exact counts per category, or per value for numbers with few distinct values;
- ``fine_bins``: a fine histogram of numbers (bins within about 0.1 % of a value);
- ``sketch``: a KLL quantile sketch (rank error about 0.67 % at the default size).

``summaries`` maps each summary a test can use to how exactly: ``exact`` (the row score, to
the last digit) or ``approximate`` (a score with an error bound that holds, reported as
``approximate: true``). A test with no summaries needs the rows.

>>> [t.id for t in CATALOG if t.summaries]
['chisquare', 'g_test', 'hellinger', 'jensenshannon', 'kl_div', 'ks', 'psi', 'wasserstein', 'z']
>>> get("ks").drift_rule, get("z").drift_rule, get("psi").drift_rule
('<=', '<', '>=')
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, NamedTuple, Tuple

NUMERICAL = "numerical"
CATEGORICAL = "categorical"
EMBEDDING = "embedding"  # a fixed-length vector per row, tested as one column
COLUMN_TYPES = (CATEGORICAL, NUMERICAL)
EXACT = "exact"
APPROXIMATE = "approximate"
SUMMARY_KINDS = ("counts", "fine_bins", "sketch")

_NUM = frozenset({NUMERICAL})
_CAT = frozenset({CATEGORICAL})
_BOTH = frozenset({NUMERICAL, CATEGORICAL})
_EMB = frozenset({EMBEDDING})
_COUNTS = {"counts": EXACT}
_BINNED = {"counts": EXACT, "fine_bins": APPROXIMATE}
_CDF = {"counts": EXACT, "fine_bins": APPROXIMATE, "sketch": APPROXIMATE}


class TestSpec(NamedTuple):
    """One drift test's declaration (the computation lives in ``module``)."""

    id: str
    display_name: str
    column_types: FrozenSet[str]
    default_threshold: float
    score_kind: str  # "p_value" or "distance"
    module: str
    drift_rule: str  # drift when ``score <rule> threshold``
    summaries: Tuple[Tuple[str, str], ...] = ()  # (summary kind, exact|approximate)
    #: the score does not depend on the data's unit (values times a power of two score the same;
    #: Wasserstein's floor of 0.001 on a near-constant reference aside): such a column may be
    #: taken in a smaller unit where its values would overflow
    unit_free: bool = True


def _t(id, name, types, threshold, kind, module=None, rule=None, summaries=None, unit_free=True) -> TestSpec:
    """A test's entry; the drift rule defaults to "p-value below" / "distance at or above"."""
    rule = rule or ("<" if kind == "p_value" else ">=")
    return TestSpec(id, name, types, threshold, kind, module or id, rule, tuple((summaries or {}).items()), unit_free)


#: every test, in the order ``mlmon methods`` lists them (ids sorted case-insensitively)
CATALOG: Tuple[TestSpec, ...] = tuple(sorted((
    _t("anderson", "Anderson-Darling", _NUM, 0.1, "p_value"),
    _t("chisquare", "chi-square p_value", _CAT, 0.05, "p_value", summaries=_COUNTS),
    _t("chisquare_pooled", "chi-square p_value (sparse categories pooled)", _CAT, 0.05, "p_value"),
    _t("cramer_von_mises", "Cramer-von Mises", _NUM, 0.1, "p_value", rule="<="),
    _t("domain_classifier", "Domain classifier (held-out AUC) p_value", _EMB, 0.05, "p_value", module="embedding_tests"),
    _t("ed", "Energy-distance", _NUM, 0.1, "distance", rule=">", unit_free=False),  # a distance in the data's unit
    _t("empirical_mmd", "empirical_mmd", _NUM, 0.1, "p_value"),
    _t("es", "Epps-Singleton", _NUM, 0.05, "p_value"),
    _t("fisher_exact", "Fisher's Exact test", _CAT, 0.1, "p_value"),
    _t("g_test", "g_test", _CAT, 0.1, "p_value", summaries=_COUNTS),
    _t("hellinger", "Hellinger distance", _BOTH, 0.1, "distance", summaries=_BINNED),
    _t("jensenshannon", "Jensen-Shannon distance", _BOTH, 0.1, "distance", summaries=_BINNED),
    _t("kl_div", "Kullback-Leibler divergence", _BOTH, 0.1, "distance", summaries=_BINNED),
    _t("ks", "K-S p_value", _NUM, 0.05, "p_value", rule="<=", summaries=_CDF),
    _t("mannw", "Mann-Whitney U-rank test", _NUM, 0.05, "p_value"),
    _t("mmd", "MMD p_value (permutation)", _EMB, 0.05, "p_value", module="embedding_tests"),
    _t("mmd_linear", "Linear-time MMD p_value", _EMB, 0.05, "p_value", module="embedding_tests"),
    _t("psi", "PSI", _BOTH, 0.1, "distance", summaries=_BINNED),
    _t("psi_quantile", "PSI (reference deciles)", _NUM, 0.1, "distance"),
    _t("t_test", "t_test", _NUM, 0.05, "p_value"),
    _t("TVD", "Total-Variation-Distance", _CAT, 0.1, "p_value", module="tvd"),
    _t("wasserstein", "Wasserstein distance (normed)", _NUM, 0.1, "distance", summaries=_CDF),
    _t("z", "Z-test p_value", _CAT, 0.05, "p_value", summaries=_COUNTS),
), key=lambda t: t.id.lower()))

BY_ID: Dict[str, TestSpec] = {t.id: t for t in CATALOG}


def get(test_id: str) -> TestSpec:
    return BY_ID[test_id]


def ids() -> List[str]:
    """Every test id, sorted case-insensitively (the order of the schema's enums)."""
    return [t.id for t in CATALOG]


def profile_ids() -> List[str]:
    """The tests a profile can answer: those declaring at least one summary."""
    return [t.id for t in CATALOG if t.summaries]


def column_types() -> Dict[str, Tuple[str, ...]]:
    """Test id -> the column types it accepts, sorted (what the config validator checks)."""
    return {t.id: tuple(sorted(t.column_types)) for t in CATALOG}
