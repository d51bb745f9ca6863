"""Why an estimated window may not be trusted, word for word: the reasons every window shares
(calibration, the held-back check), the scores the reference never saw, the inputs outside its
support with the three worst columns named; the held-back split and check at their edges; the
probability sums (found by mutation testing:
``scripts/mutation scripts/mlmon/services/performance/estimate.py``).

Shares are counted by hand on the small windows built here (rows flagged / rows in the window)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mlmon.errors import MlmonError, option
from mlmon.services.performance.estimate import (HELD_BACK, MIN_HELD_BACK_GAP, OUTSIDE_UNRELIABLE, UNSEEN_UNRELIABLE,
                                                 Z_HELD_BACK, _check_sums, _reliability, _split, held_back_check)

HELD = {"metric": "accuracy", "estimated": 0.8, "realized": 0.8, "rows": 250, "se": 0.01, "held": True}
NOT_HELD = {"metric": "accuracy", "estimated": 0.8, "realized": 0.85, "rows": 1234, "se": 0.01, "held": False}

# two windows of ten rows each
WIN = SimpleNamespace(count=2, groups=np.repeat([0, 1], 10))


def _flags(rows):
    flag = np.zeros(20, dtype=bool)
    flag[list(rows)] = True
    return flag


def _features(**outside_rows):
    return SimpleNamespace(names=list(outside_rows),
                           outside=np.column_stack([_flags(r) for r in outside_rows.values()]))


def test_the_thresholds():
    assert (UNSEEN_UNRELIABLE, OUTSIDE_UNRELIABLE, HELD_BACK, Z_HELD_BACK, MIN_HELD_BACK_GAP) == (
        0.10, 0.10, 0.25, 3.2905, {"accuracy": 0.01, "mae": 0.05})


def test_a_calibrated_estimate_that_held_with_few_unseen_scores_is_reliable():
    info = {"method": "cbpe", "calibrated": True}
    out = _reliability(info, {"held_back": HELD, "unseen": np.array([0.1, 0.0])}, None, WIN)
    assert out[0] == {"unseen_share": 0.1, "outside_share": pytest.approx(np.nan, nan_ok=True), "reliable": True,
                      "reasons": []}
    assert list(out[0]) == ["unseen_share", "outside_share", "reliable", "reasons"]
    assert out[1]["reliable"] is True and out[1]["unseen_share"] == 0.0 and np.isnan(out[1]["outside_share"])


def test_every_reason_a_classification_estimate_may_not_be_trusted():
    info = {"method": "cbpe", "calibrated": False}
    # window 0: one row of ten outside (10 %, not above); window 1: a on 5 rows, b on 2, c on 3, d on 1
    feats = _features(a=[0, 10, 11, 12, 13, 14], b=[10, 11], c=[15, 16, 17], d=[19])
    out = _reliability(info, {"held_back": NOT_HELD, "unseen": np.array([0.1, 0.25])}, feats, WIN)
    shared = ["model not calibrated on the reference",
              "calibration did not hold on held-back reference data: estimated accuracy 0.800, realized 0.850 "
              "on 1,234 rows"]
    assert out[0] == {"unseen_share": 0.1, "outside_share": 0.1, "reliable": False, "reasons": shared}
    assert out[1] == {"unseen_share": 0.25, "outside_share": 0.9, "reliable": False, "reasons": shared + [
        "25% of the window's scores fall where the reference had almost none",
        "90% of the window's rows have inputs outside the reference's support (a 50%, c 30%, b 20%; above 10%)"]}


def test_only_columns_with_rows_outside_are_named_and_the_prediction_counts_as_one():
    info = {"method": "dle"}
    feats = _features(a=[10, 11], b=[])
    flags = {"held_back": dict(NOT_HELD, metric="mae", estimated=1.0, realized=1.1, rows=50),
             "prediction_outside": _flags([12, 13, 14])}
    out = _reliability(info, flags, feats, WIN)
    assert out[0] == {"outside_share": 0.0, "reliable": False, "reasons": [
        "the error model did not hold on held-back reference data: estimated mae 1.000, realized 1.100 on 50 rows"]}
    assert out[1]["outside_share"] == 0.5
    assert out[1]["reasons"][1] == ("50% of the window's rows have inputs outside the reference's support "
                                    "(prediction 30%, a 20%; above 10%)")


def test_a_regression_estimate_that_held_within_the_support_is_reliable_without_unseen_shares():
    out = _reliability({"method": "dle"}, {"held_back": HELD, "prediction_outside": _flags([])}, None, WIN)
    assert out == [{"outside_share": 0.0, "reliable": True, "reasons": []}] * 2


@pytest.mark.parametrize("n, held", [(0, 0), (1, 0), (3, 1), (6, 2), (8, 2), (10, 2), (14, 4)])
def test_the_last_quarter_of_the_reference_is_held_back(n, held):
    split = _split(n)
    assert split.dtype == bool and split.tolist() == [False] * (n - held) + [True] * held


def test_the_held_back_check_reports_its_numbers_as_plain_python():
    out = held_back_check(np.float64(0.8), np.float64(0.85), np.float64(0.01), "accuracy", np.int64(1000))
    assert out == {"metric": "accuracy", "estimated": 0.8, "realized": 0.85, "rows": 1000, "se": 0.01, "held": False}
    assert [type(out[k]) for k in ("estimated", "realized", "rows", "se", "held")] == [float, float, int, float, bool]


def test_the_held_back_gap_must_pass_both_the_standard_errors_and_the_floor():
    # accuracy's floor is 0.01 absolute: a gap of 1/64 passes it, 1/128 does not
    assert held_back_check(0.5, 0.515625, 0.001, "accuracy", 100)["held"] is False
    assert held_back_check(0.5, 0.4921875, 0.001, "accuracy", 100)["held"] is True
    # the gap below the estimate counts the same
    assert held_back_check(0.515625, 0.5, 0.001, "accuracy", 100)["held"] is False
    # mae's floor is 5 % of the realized value: 0.03125 on 0.625, a gap equal to it holds
    assert held_back_check(0.59375, 0.625, 1e-6, "mae", 100)["held"] is True
    assert held_back_check(0.5625, 0.625, 1e-6, "mae", 100)["held"] is False
    # relative to the realized value, not absolute: 5 % of 4.0 is 0.2, so a gap of 0.125 holds
    assert held_back_check(3.875, 4.0, 1e-6, "mae", 100)["held"] is True
    assert held_back_check(3.75, 4.0, 1e-6, "mae", 100)["held"] is False
    # a gap of exactly 3.2905 standard errors holds (the product is exact for se = 1/8)
    assert held_back_check(0.0, Z_HELD_BACK * 0.125, 0.125, "accuracy", 100)["held"] is True
    # the standard errors: a gap of 0.5 against 3.2905 se
    assert held_back_check(0.5, 1.0, 0.5 / Z_HELD_BACK * 1.000001, "accuracy", 100)["held"] is True
    assert held_back_check(0.5, 1.0, 0.5 / Z_HELD_BACK * 0.999999, "accuracy", 100)["held"] is False


def test_probability_rows_far_from_one_are_refused_counting_them():
    proba = np.array([[0.5, 0.6], [0.5, 0.5], [0.2, 0.2], [np.nan, 1.0]])
    with pytest.raises(MlmonError) as info:
        _check_sums(proba, "reference", {"warnings": []})
    assert (info.value.what, info.value.where, info.value.todo) == (
        "the probability columns do not sum to 1 on 2 reference rows (e.g. 0.400)", f"reference, {option('proba')}",
        "give one probability column for every class (not scores or logits)")


def test_probability_rows_slightly_off_one_are_warned_about_once():
    info = {"warnings": []}
    _check_sums(np.array([[0.5, 0.501953125], [0.5, 0.5], [0.25, 0.7421875], [np.nan, 3.0]]), "current", info)
    assert info["warnings"] == ["the probability columns sum to between 0.9922 and 1.0078 on some current rows; "
                                "each row is rescaled to sum to 1"]
    info = {"warnings": []}
    _check_sums(np.array([[0.5, 0.5009765625], [np.nan, np.nan]]), "current", info)
    _check_sums(np.full((2, 2), np.nan), "current", info)
    assert info["warnings"] == []


# ---------------------------------------------------------------------------- a binary run's estimate


def _binary_frames(n_ref=200, dates=0):
    import pandas as pd

    rng = np.random.default_rng(5)
    ref_p, cur_p = rng.uniform(0.05, 0.95, n_ref), rng.uniform(0.05, 0.95, 50)
    extra = {f"d{i}": pd.Timestamp("2024-01-01") for i in range(dates)}
    ref = pd.DataFrame({"p": ref_p, "yhat": (ref_p >= 0.5).astype(int), "y": (rng.random(n_ref) < ref_p).astype(int),
                        "x": rng.normal(size=n_ref), **extra})
    cur = pd.DataFrame({"p": cur_p, "yhat": (cur_p >= 0.5).astype(int), "x": rng.normal(size=50), **extra})
    return ref, cur


def _estimate_run(ref, cur, **kw):
    from mlmon.services.performance import PerfOptions, compute_performance

    return compute_performance(cur, PerfOptions(task="binary", target="y", prediction="yhat", proba="p", estimate=True,
                                                **kw), ref).to_dict()


def test_estimating_without_a_reference_says_to_pass_one():
    from mlmon.services.performance import PerfOptions, compute_performance

    _, cur = _binary_frames()
    with pytest.raises(MlmonError) as info:
        compute_performance(cur, PerfOptions(task="binary", prediction="yhat", proba="p", estimate=True))
    assert (info.value.what, info.value.where, info.value.todo) == (
        f"{option('estimate')} needs a labeled reference to calibrate on", option("estimate"),
        f"pass {option('reference')} FILE")


def test_a_reference_of_exactly_100_labeled_rows_is_enough_for_cbpe():
    ref, cur = _binary_frames(n_ref=100)
    e = _estimate_run(ref, cur)["estimation"]
    assert (e["reference_rows"], e["held_back"]["rows"]) == (100, 25)


def test_the_estimate_names_its_inputs_and_the_first_six_it_left_out():
    ref, cur = _binary_frames(dates=7)
    d = _estimate_run(ref, cur)
    assert (d["estimation"]["features"], d["estimation"]["outside_threshold"]) == (["x"], 0.1)
    assert [w for w in d["warnings"] if "left out" in w] == [
        "input column(s) left out of the estimate's support check: "
        + ", ".join(f"d{i} (a date or duration)" for i in range(6))
        + f"; encode them as numbers or name the inputs with {option('features')}"]


def test_without_both_frames_the_estimate_uses_no_inputs():
    from mlmon.services.performance import PerfOptions
    from mlmon.services.performance.encoding import Encoder
    from mlmon.services.performance.estimate import estimate
    from mlmon.services.performance.windows import perf_windows

    ref, cur = _binary_frames()
    o = PerfOptions(task="binary", target="y", prediction="yhat", proba="p", estimate=True)
    enc = Encoder(o)
    c, r = enc.encode(cur, "current"), enc.encode(ref, "reference", need_labels=True)
    win, _ = perf_windows(cur, None, None, None)
    whole = _estimate_run(ref, cur)["windows"][0]["estimated"]["accuracy"]
    for frames in ({}, {"cur_frame": cur}, {"ref_frame": ref}):
        info, est, reliability = estimate(c, r, win, o, **frames)
        assert "features" not in info and info["outside_threshold"] == 0.1
        assert np.isnan(reliability[0]["outside_share"])
        assert est.values["accuracy"][0] == whole  # the inputs only check support; the estimate is the same


# ---------------------------------------------------------------------------- a regression run's estimate


def _regression_parts(ref, cur, frames=True):
    from estimation_data import REG
    from mlmon.services.performance import PerfOptions
    from mlmon.services.performance.encoding import Encoder
    from mlmon.services.performance.estimate import estimate
    from mlmon.services.performance.windows import perf_windows

    o = PerfOptions(**{**REG, "window": None, "timestamp": None}, estimate=True)
    enc = Encoder(o)
    c, r = enc.encode(cur, "current"), enc.encode(ref, "reference", need_labels=True)
    win, _ = perf_windows(cur, None, None, None)
    return estimate(c, r, win, o, **({"cur_frame": cur, "ref_frame": ref} if frames else {}))


def test_regression_estimation_without_scikit_learn_says_what_to_install(monkeypatch):
    import sys

    from estimation_data import regression_frame

    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)  # the import fails as if it were missing
    with pytest.raises(MlmonError) as info:
        _regression_parts(regression_frame(600, seed=1), regression_frame(50, seed=2))
    assert (info.value.what, info.value.where, info.value.todo) == (
        "regression estimation needs scikit-learn, which is not installed", option("estimate"),
        "install scikit-learn >= 1.4 into mlmon's environment")


def test_the_error_model_needs_500_labeled_reference_rows_with_a_prediction():
    from estimation_data import regression_frame

    ref, cur = regression_frame(501, seed=3), regression_frame(50, seed=4)
    ref.loc[ref.index[0], "yhat"] = np.nan  # a label without a prediction teaches the error model nothing
    info, _, _ = _regression_parts(ref, cur)
    assert (info["reference_rows"], info["held_back"]["rows"]) == (500, 125)
    ref.loc[ref.index[1], "y"] = np.nan
    with pytest.raises(MlmonError) as err:
        _regression_parts(ref, cur)
    assert (err.value.what, err.value.where, err.value.todo) == (
        "only 499 labeled reference rows for the error model", option("reference"),
        "regression estimation needs at least 500 labeled reference rows (a quarter is held back to check the model)")


def test_a_regression_estimate_without_inputs_models_the_error_from_the_prediction_alone():
    from estimation_data import regression_frame

    ref, cur = regression_frame(800, seed=5), regression_frame(300, seed=6)
    cur.loc[cur.index[:30], "yhat"] = ref.yhat.max() + 1.0  # a tenth of the predictions beyond the reference's
    info, est, reliability = _regression_parts(ref, cur, frames=False)
    assert "features" not in info and info["warnings"] == []
    with_inputs, est_inputs, _ = _regression_parts(ref, cur)
    assert with_inputs["features"] == ["x1", "x2", "region"]
    # both estimate every error metric, mape too (the target never touches zero); the inputs change the figures
    assert sorted(est.values) == sorted(est_inputs.values) == ["mae", "mape", "rmse"]
    assert all(np.isfinite(est.values[m][0]) for m in est.values)
    assert est.values["mae"][0] != est_inputs.values["mae"][0]
    assert reliability[0]["outside_share"] == 0.1


def test_the_regression_estimate_is_the_error_model_fitted_on_three_quarters_and_checked_on_the_last():
    from estimation_data import regression_frame
    from mlmon.stats import dle

    ref, cur = regression_frame(800, seed=5), regression_frame(300, seed=6)
    info, est, _ = _regression_parts(ref, cur, frames=False)
    # the same steps by hand, without inputs: the error model sees the prediction only
    y, yhat = ref.y.to_numpy(), ref.yhat.to_numpy()
    held = _split(y.size)
    part = dle.fit_error_models(np.zeros((600, 0)), y[~held], yhat[~held], np.zeros(0, dtype=bool), True)
    pred_b = dle.predict_errors(part, np.zeros((200, 0)), yhat[held])
    err_b = np.abs(y[held] - yhat[held])
    kap = dle.kappa(pred_b, y[held], yhat[held])
    assert info["held_back"] == held_back_check(pred_b.abs.mean(), err_b.mean(),
                                                float(np.std(err_b - pred_b.abs) / np.sqrt(200)), "mae", 200)
    assert (info["method"], info["error_model"], info["kappa"]) == ("dle", "HistGradientBoostingRegressor",
                                                                    kap._asdict())
    pred = dle.predict_errors(part, np.zeros((300, 0)), cur.yhat.to_numpy())
    want = dle.estimate_regression(pred.abs, pred.sq, pred.ape, np.zeros(300, dtype=np.int64), 1, kap,
                                   reference=dle.reference_error(pred_b, y[held], yhat[held]))
    for m in ("mae", "rmse", "mape"):
        assert (est.values[m][0], est.lower[m][0], est.upper[m][0]) == (
            want.values[m][0], want.lower[m][0], want.upper[m][0]), m
    # the reference's own uncertainty widens the band beyond the window's
    alone = dle.estimate_regression(pred.abs, pred.sq, pred.ape, np.zeros(300, dtype=np.int64), 1, kap)
    assert est.upper["mae"][0] > alone.upper["mae"][0]


# ---------------------------------------------------------------------------- a multiclass run's estimate


def _classes_frame(n, classes, labels, seed):
    """``n`` rows over ``classes``: Dirichlet probabilities, the argmax as prediction, labels drawn from ``labels``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(len(classes), 2.0), n)
    frame = pd.DataFrame({"y": rng.choice(labels, n), "yhat": np.array(classes)[p.argmax(axis=1)]})
    for j, c in enumerate(classes):
        frame[f"proba_{c}"] = p[:, j]
    return frame


def _multiclass_run(ref, cur, classes):
    from mlmon.services.performance import PerfOptions, compute_performance

    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=[f"proba_{c}" for c in classes],
                    estimate=True)
    return compute_performance(cur, o, ref).to_dict()


def test_classes_predicted_now_but_never_labeled_are_named_the_first_five():
    classes = [f"c{j}" for j in range(8)]
    ref, cur = _classes_frame(400, classes, ["c0", "c1"], 1), _classes_frame(400, classes, classes, 2)
    assert cur.yhat.nunique() == 8
    with pytest.raises(MlmonError) as err:
        _multiclass_run(ref, cur, classes)
    assert (err.value.what, err.value.where, err.value.todo) == (
        "class(es) c2, c3, c4, c5, c6 appear in the current data but never in the reference's labels: their "
        "probabilities cannot be calibrated", option("reference"),
        "use a reference period whose labels hold every class the model predicts")


def test_a_class_never_labeled_is_no_obstacle_until_one_current_row_predicts_it():
    classes = ["a", "b", "c"]
    ref, cur = _classes_frame(400, classes, ["a", "b"], 3), _classes_frame(60, classes, classes, 4)
    cur = cur[cur.yhat != "c"].reset_index(drop=True)  # the last class: never labeled, never predicted
    assert _multiclass_run(ref, cur, classes)["estimation"]["method"] == "cbpe"
    one = cur.copy()
    one.loc[0, ["proba_a", "proba_b", "proba_c", "yhat"]] = [0.1, 0.1, 0.8, "c"]
    with pytest.raises(MlmonError) as err:
        _multiclass_run(ref, one, classes)
    assert err.value.what.startswith("class(es) c appear in the current data but never in the reference's labels")


def test_current_rows_with_a_missing_probability_are_left_out_of_the_multiclass_estimate():
    classes = ["a", "b", "c"]
    ref, cur = _classes_frame(400, classes, classes, 5), _classes_frame(80, classes, classes, 6)
    gap = cur.copy()
    gap.loc[[3, 40], "proba_b"] = np.nan
    whole = _multiclass_run(ref, cur.drop(index=[3, 40]), classes)["windows"][0]["estimated"]
    assert _multiclass_run(ref, gap, classes)["windows"][0]["estimated"] == whole
    assert np.isfinite(whole["accuracy"])


def test_the_error_model_is_told_which_inputs_are_categories(monkeypatch):
    from estimation_data import regression_frame
    from mlmon.stats import dle

    seen = []
    real = dle.fit_error_models

    def spy(X, y_true, y_pred, categorical, with_ape):
        seen.append(np.asarray(categorical).tolist())
        return real(X, y_true, y_pred, categorical, with_ape)

    monkeypatch.setattr(dle, "fit_error_models", spy)
    info, _, _ = _regression_parts(regression_frame(600, seed=7), regression_frame(60, seed=8))
    assert info["features"] == ["x1", "x2", "region"] and seen == [[False, False, True]]
