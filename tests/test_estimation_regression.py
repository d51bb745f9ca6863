"""Regression error estimation (DLE): the kernel against a hand computation, κ against the
normal distribution's moments, the fit's repeatability, and the service against realized errors
(inputs, a categorical one included, that drive the error)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimation_data import REG, regression_frame
from mlmon.services.performance import PerfOptions, compute_performance
from mlmon.stats import dle


def test_window_estimates_and_bands_equal_the_hand_computation():
    a, q = np.array([1.0, 2.0, 3.0, 2.0]), np.array([1.5, 5.0, 10.0, 5.5])
    r = np.array([0.1, 0.2, 0.3, 0.4])
    est = dle.estimate_regression(a, q, r, np.array([0, 0, 1, 1]), 2, dle.Kappa(0.5, 2.0, 1.0))
    # window 0: MAE (1+2)/2 = 1.5, se sqrt(0.5*(1+4))/2; MSE (1.5+5)/2 = 3.25, se sqrt(2*(2.25+25))/2
    se_mae = math.sqrt(0.5 * 5) / 2
    se_mse = math.sqrt(2 * 27.25) / 2
    assert est.values["mae"][0] == 1.5 and est.upper["mae"][0] == pytest.approx(1.5 + 1.959964 * se_mae, abs=1e-6)
    assert est.lower["mae"][0] == 0.0  # 1.5 - 1.96·0.79 < 0: an error is never negative
    assert est.values["rmse"][0] == pytest.approx(math.sqrt(3.25), abs=1e-15)
    assert est.upper["rmse"][0] == pytest.approx(math.sqrt(3.25 + 1.959964 * se_mse), abs=1e-6)
    assert est.lower["rmse"][0] == pytest.approx(math.sqrt(max(3.25 - 1.959964 * se_mse, 0)), abs=1e-6)
    assert est.values["mape"].tolist() == pytest.approx([0.15, 0.35], abs=1e-15)


def test_kappa_recovers_the_normal_moments_when_the_error_model_is_exact():
    # e ~ N(0, s²): E|e| = s sqrt(2/pi), Var|e| = s²(1 - 2/pi) -> kappa_abs = pi/2 - 1; Var(e²) = 2 s⁴ -> kappa_sq = 2
    rng = np.random.default_rng(40)
    s = rng.uniform(0.5, 3.0, 200_000)
    y = rng.normal(0, s)
    pred = dle.PredictedErrors(s * math.sqrt(2 / math.pi), s * s, None)
    k = dle.kappa(pred, y, np.zeros_like(y))
    assert k.abs == pytest.approx(math.pi / 2 - 1, rel=0.02)
    assert k.sq == pytest.approx(2.0, rel=0.05)


def test_the_error_model_repeats_exactly():
    ref = regression_frame(1500, seed=41)
    cur = regression_frame(1500, seed=42, days=3)
    runs = [compute_performance(cur.assign(y=np.nan), PerfOptions(**REG, estimate=True), ref).to_dict()
            for _ in range(2)]
    assert runs[0]["windows"] == runs[1]["windows"]
    assert runs[0]["estimation"]["error_model_settings"]["random_state"] == 0
    assert runs[0]["estimation"]["error_model_settings"]["early_stopping"] is False


def test_estimates_follow_realized_errors_and_use_the_categorical_input():
    ref = regression_frame(8000, seed=43)
    cur = regression_frame(12000, seed=44, shift=0.5, days=6)
    est = compute_performance(cur.assign(y=np.nan), PerfOptions(**REG, estimate=True), ref).to_dict()
    real = compute_performance(cur, PerfOptions(**REG), ref).to_dict()
    assert est["estimation"]["method"] == "dle" and est["estimation"]["features"] == ["x1", "x2", "region"]
    for e, r in zip(est["windows"], real["windows"]):
        assert e["estimated"]["mae"] == pytest.approx(r["metrics"]["mae"], rel=0.06)
        assert e["estimated"]["rmse"] == pytest.approx(r["metrics"]["rmse"], rel=0.06)
    # the north region's larger noise is learnt from the category: rows there get a larger estimate
    north = cur[cur["region"] == "north"].assign(y=np.nan)
    south = cur[cur["region"] == "south"].assign(y=np.nan)
    one = {**REG, "window": None, "timestamp": None}
    mae_n = compute_performance(north, PerfOptions(**one, estimate=True), ref).to_dict()["windows"][0]["estimated"]["mae"]
    mae_s = compute_performance(south, PerfOptions(**one, estimate=True), ref).to_dict()["windows"][0]["estimated"]["mae"]
    real_n = np.abs(cur.loc[cur.region == "north", "y"] - cur.loc[cur.region == "north", "yhat"]).mean()
    real_s = np.abs(cur.loc[cur.region == "south", "y"] - cur.loc[cur.region == "south", "yhat"]).mean()
    assert mae_n == pytest.approx(real_n, rel=0.06) and mae_s == pytest.approx(real_s, rel=0.06)
    assert mae_n > 1.4 * mae_s


def test_mape_is_left_out_when_the_reference_target_touches_zero():
    ref = regression_frame(1000, seed=45)
    ref.loc[ref.index[:3], "y"] = 0.0
    d = compute_performance(regression_frame(500, seed=46).assign(y=np.nan), PerfOptions(**REG, estimate=True),
                            ref).to_dict()
    assert "mape" not in d["windows"][0]["estimated"]
    assert "mape is not estimated: the reference target is zero on some rows" in d["warnings"]
