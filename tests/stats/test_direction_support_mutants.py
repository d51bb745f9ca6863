"""Which way each metric is better (stats/direction.py) and where the reference can speak for the
current rows (stats/support.py), checked against hand computation, including the cases a
flipped sign, a dropped ``abs`` or an inclusive bound would get wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmon.stats.direction import LOWER_IS_BETTER, lower_is_better, relative_drop, value_at_drop
from mlmon.stats.support import outside_range, share_per_window

# Losses and costs: a larger value is worse. Everything else (scores, rates, value) is better higher.
WORSE_HIGHER = ["log_loss", "false_positive_cost", "false_negative_cost", "rmse", "mae", "mape", "quantile_loss"]
BETTER_HIGHER = ["accuracy", "precision", "recall", "f1_score", "roc_auc", "r2", "interval_coverage",
                 "business_value"]


def test_the_lower_is_better_metrics_are_exactly_the_losses_and_costs():
    assert LOWER_IS_BETTER == frozenset(WORSE_HIGHER)
    assert [lower_is_better(m) for m in WORSE_HIGHER] == [True] * len(WORSE_HIGHER)
    assert [lower_is_better(m) for m in BETTER_HIGHER] == [False] * len(BETTER_HIGHER)


@pytest.mark.parametrize("metric", WORSE_HIGHER)
def test_a_loss_drops_when_it_rises(metric):
    # hand: (2.5 - 2) / 2 = 0.25 worse; (1.5 - 2) / 2 = -0.25 (better)
    assert relative_drop(metric, 2.0, 2.5) == 0.25
    assert relative_drop(metric, 2.0, 1.5) == -0.25
    assert value_at_drop(metric, 2.0, 0.25) == 2.5


@pytest.mark.parametrize("metric", BETTER_HIGHER)
def test_a_score_drops_when_it_falls(metric):
    # hand: (0.8 - 0.6) / 0.8 = 0.25 worse; value 0.8 - 0.8 * 0.25 = 0.6
    assert relative_drop(metric, 0.8, 0.6) == pytest.approx(0.25, abs=1e-15)
    assert relative_drop(metric, 0.8, 1.0) == pytest.approx(-0.25, abs=1e-15)
    assert value_at_drop(metric, 0.8, 0.25) == pytest.approx(0.6, abs=1e-15)


def test_a_negative_base_is_scaled_by_its_magnitude():
    # business value -4 -> -5 is 25 % worse: (-4 - -5) / |-4|; R² -0.5 -> -1.0 is 100 % worse
    assert relative_drop("business_value", -4.0, -5.0) == 0.25
    assert relative_drop("r2", -0.5, -1.0) == 1.0
    assert value_at_drop("business_value", -4.0, 0.25) == -5.0
    assert value_at_drop("r2", -0.5, 1.0) == -1.0
    # a cost can be negative (a credit): -2 -> -1 is 50 % worse
    assert relative_drop("false_positive_cost", -2.0, -1.0) == 0.5
    assert value_at_drop("false_positive_cost", -2.0, 0.5) == -1.0


@pytest.mark.parametrize("metric, base, value", [("accuracy", 0.9, 0.72), ("rmse", 3.0, 4.2), ("r2", -0.2, -0.5),
                                                 ("mae", -1.0, 0.5)])
def test_value_at_drop_inverts_relative_drop(metric, base, value):
    assert value_at_drop(metric, base, relative_drop(metric, base, value)) == pytest.approx(value, abs=1e-12)


def test_outside_range_is_strict_at_both_ends_and_per_column():
    ref = np.array([[0.0, 10.0], [2.0, 20.0], [1.0, 15.0]])
    cur = np.array([[0.0, 20.0],      # both ends exactly: inside
                    [-1e-9, 10.0],    # just below column 0's minimum
                    [2.0 + 1e-9, 9.0],  # above column 0's max, below column 1's min
                    [1.0, 21.0]])
    assert outside_range(ref, cur).tolist() == [[False, False], [True, False], [True, True], [False, True]]


def test_outside_range_one_dimensional_missing_values_and_empty_columns():
    # a 1-D reference is one column; NaN is never outside; NaN in the reference is skipped
    got = outside_range(np.array([np.nan, 3.0, 5.0]), np.array([3.0, 5.0, 2.0, 6.0, np.nan]))
    assert got.shape == (5, 1)
    assert got[:, 0].tolist() == [False, False, True, True, False]
    # a reference column with no value at all: every present current value is outside
    ref = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    cur = np.array([[0.0, 1.5], [np.nan, 1.5], [-5.0, 3.0]])
    assert outside_range(ref, cur).tolist() == [[True, False], [False, False], [True, True]]


def test_share_per_window_counts_each_window_and_leaves_empty_ones_nan():
    flag = np.array([True, False, True, True, False])
    groups = np.array([0, 0, 0, 2, 2])
    got = share_per_window(flag, groups, 4)  # windows 1 and 3 are empty
    assert got.shape == (4,)
    assert got[0] == 2 / 3 and got[2] == 0.5
    assert math.isnan(got[1]) and math.isnan(got[3])
