"""float32 columns: Evidently computes on them as stored, so the normed Wasserstein's norm is a
float32 standard deviation there; ours must match to 1e-9 all the same."""

import numpy as np
import pandas as pd
import pytest
from evidently.legacy.calculations.stattests import wasserstein_stat_test
from evidently.legacy.core import ColumnType

from mlmon.stats.univariate import get


@pytest.mark.parametrize("seed", range(5))
def test_wasserstein_on_float32_matches_evidently(seed):
    rng = np.random.default_rng(seed)
    ref = rng.gamma(2.0, 2.0, 3000 + 500 * seed).astype(np.float32)
    cur = rng.gamma(2.1, 2.0, 300 + 50 * seed).astype(np.float32)
    expected = wasserstein_stat_test(pd.Series(ref), pd.Series(cur), ColumnType.Numerical, None).drift_score
    got = get("wasserstein")(np.sort(ref), np.sort(cur), "numerical", presorted=True).score
    assert got == pytest.approx(expected, abs=1e-12, rel=1e-12)
