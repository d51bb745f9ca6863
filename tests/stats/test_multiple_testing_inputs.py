"""Input handling of the p-value adjustments: float32 p-values adjusted in float64 (as statsmodels
does) and the wording of the errors for malformed input."""

from __future__ import annotations

import numpy as np
import pytest

from mlmon.stats.multiple_testing import benjamini_hochberg, holm

multitest = pytest.importorskip("statsmodels.stats.multitest")


def test_float32_p_values_are_adjusted_in_float64_like_statsmodels():
    # m/i * p in float32 would be off by up to 6e-7 (relative) from statsmodels' float64 figures
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.011, 0.37, 0.013], dtype=np.float32)
    for ours, method in ((benjamini_hochberg, "fdr_bh"), (holm, "holm")):
        adjusted = ours(p)
        assert adjusted.dtype == np.float64
        expected = multitest.multipletests(p.astype(np.float64), method=method)[1]
        np.testing.assert_allclose(adjusted, expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("adjust", [benjamini_hochberg, holm])
def test_errors_say_what_is_wrong(adjust):
    with pytest.raises(ValueError, match=r"^p_values must be one-dimensional$"):
        adjust([[0.1, 0.2]])
    with pytest.raises(ValueError, match=r"^p-values must lie in \[0, 1\]$"):
        adjust([0.1, 1.5])
