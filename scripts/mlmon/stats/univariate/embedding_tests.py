"""The embedding tests (:mod:`mlmon.stats.embedding`) as drift tests of one column of vectors:
``reference`` and ``current`` are ``(rows, dimension)`` arrays, the score is the p-value."""

from __future__ import annotations

from mlmon.stats.embedding import METHODS, embedding_test
from mlmon.stats.univariate import StatTestResult, implement


def _test(method: str):
    def run(reference, current, column_type, threshold, *, presorted=False) -> StatTestResult:
        r = embedding_test(reference, current, method, alpha=threshold)
        return StatTestResult(r.p_value, bool(r.p_value < threshold), r.statistic)

    run.__name__ = method
    return run


for _method in METHODS:
    implement(_method, _test(_method))
