"""The z test (Evidently ``z``) reports its statistic, the pooled two-proportion z, as
statsmodels' ``proportions_ztest`` computes it, and a column with one category is no drift."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportions_ztest

from mlmon.stats import univariate as U


def test_z_statistic_and_p_value_equal_statsmodels():
    ref = np.array([0] * 60 + [1] * 40)
    cur = np.array([0] * 45 + [1] * 55)
    # share of rows outside the smallest category (code 0), reference minus current
    stat, p = proportions_ztest([40, 55], [100, 100])
    result = U.get("z")(ref, cur, U.CATEGORICAL)
    assert result.statistic == pytest.approx(stat, abs=1e-12)
    assert result.score == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("threshold, drifted", [(0.05, False), (1.0, False), (1.5, True)])
def test_one_category_on_both_sides_has_p_one_and_statistic_zero(threshold, drifted):
    result = U.get("z")(np.zeros(30, dtype=np.int64), np.zeros(20, dtype=np.int64), U.CATEGORICAL, threshold)
    assert (result.score, result.statistic, result.drifted) == (1.0, 0.0, drifted)
