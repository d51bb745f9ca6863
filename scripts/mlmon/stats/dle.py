"""Direct loss estimation (DLE) for regression models, before labels arrive.

A second model learns, on the labeled reference (its first three quarters; the last is held
out to check it), how large the deployed model's error is for
given inputs: one gradient-boosted regressor for the absolute error ``|y - ŷ|``, one for the
squared error ``(y - ŷ)²`` and, where the reference target is never zero, one for the absolute
percentage error ``|y - ŷ| / |y|``. Each takes the features and the prediction ``ŷ``. For a window
without labels the estimates are

- ``MAE ≈ mean_i â(x_i, ŷ_i)``, ``RMSE ≈ sqrt(mean_i q̂(x_i, ŷ_i))``, ``MAPE ≈ mean_i r̂(x_i, ŷ_i)``.

This is NannyML's DLE (NannyML documentation, "Direct Loss Estimation"), with scikit-learn's
``HistGradientBoostingRegressor`` in place of LightGBM, its settings fixed
(:data:`BOOSTING`: no early stopping, a fixed ``random_state``) so a run repeats exactly.

It assumes what CBPE assumes: the relation between inputs and the error has not changed (no
concept drift), and the current inputs lie where the reference had data (the booster cannot
extrapolate: outside the reference's range it repeats the error of the nearest edge).

Sampling bands (95 %): given the inputs, a window's realized MAE is the mean of independent
row errors around ``â_i``; their variance is taken proportional to the square of the predicted
level, ``Var(|e_i|) = κ·â_i²`` (for a normal error ``κ = π/2 - 1``), with ``κ`` measured on
reference rows held out of the fit, so the band carries the error model's own imprecision.
The same holds for ``e²`` (band on MSE, mapped through the square root for RMSE) and the
percentage error. Added in quadrature: the error model's own uncertainty, the standard error of
its mean gap on the held-out rows as a share of the level (:func:`reference_error`), since the
reference cannot rule out a bias below it. The bands do not show concept drift.

Examples
--------
>>> import numpy as np
>>> a, q = np.array([1.0, 2.0, 3.0, 2.0]), np.array([1.5, 5.0, 10.0, 5.5])
>>> est = estimate_regression(a, q, None, np.array([0, 0, 1, 1]), 2, Kappa(0.57, 2.0, None))
>>> est.values["mae"].tolist(), [round(float(v), 4) for v in est.values["rmse"]]
([1.5, 2.5], [1.8028, 2.7839])
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from mlmon.stats.classification import WindowMetrics, _div
from mlmon.stats.intervals import Z95

#: The error models' settings: fixed so two runs on the same data give the same estimates.
BOOSTING = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20, l2_regularization=0.0,
                early_stopping=False, random_state=0)
#: Labeled reference rows the error models need: a quarter is held back to check them and to
#: measure the bands' spread, and each booster leaf holds at least 20 rows.
MIN_REFERENCE_ROWS = 500
#: Share of the reference held back from the first fit (the check and κ come from it).
HELD_BACK = 0.25
#: A target this close to zero makes the percentage error undefined (MAPE is then not estimated).
MAPE_EPS = 1e-12


class Kappa(NamedTuple):
    """Row-error variance over the squared predicted level, per loss (None: not estimated)."""

    abs: float
    sq: float
    ape: Optional[float]


class ErrorModels(NamedTuple):
    """The fitted boosters (absolute, squared and, if defined, percentage error)."""

    abs: object
    sq: object
    ape: Optional[object]


def _booster(categorical):
    from sklearn.ensemble import HistGradientBoostingRegressor

    mask = np.asarray(categorical, dtype=bool)
    return HistGradientBoostingRegressor(categorical_features=mask if mask.any() else None, **BOOSTING)


def _design(X, y_pred) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64).reshape(len(y_pred), -1)
    return np.column_stack([X, np.asarray(y_pred, dtype=np.float64)])


def mape_defined(y_true) -> bool:
    """Whether the percentage error is defined on every row (no target at zero)."""
    return bool(np.all(np.abs(np.asarray(y_true, dtype=np.float64)) > MAPE_EPS))


def fit_error_models(X, y_true, y_pred, categorical, with_ape: bool) -> ErrorModels:
    """Fit the boosters on ``[X, ŷ]`` for ``|e|``, ``e²`` and (``with_ape``) ``|e|/|y|``.

    ``X`` (n, d) are the encoded features (categories as codes ``0..253``, NaN for missing),
    ``categorical`` (d,) says which columns are codes."""
    y = np.asarray(y_true, dtype=np.float64)
    yhat = np.asarray(y_pred, dtype=np.float64)
    design = _design(X, yhat)
    cat = list(np.asarray(categorical, dtype=bool)) + [False]
    err = np.abs(y - yhat)
    models = [_booster(cat).fit(design, err), _booster(cat).fit(design, err * err)]
    models.append(_booster(cat).fit(design, err / np.abs(y)) if with_ape else None)
    return ErrorModels(*models)


class PredictedErrors(NamedTuple):
    abs: np.ndarray
    sq: np.ndarray
    ape: Optional[np.ndarray]


def predict_errors(models: ErrorModels, X, y_pred) -> PredictedErrors:
    """Each row's expected absolute, squared and percentage error (clipped at zero: a booster
    can undershoot a non-negative target)."""
    design = _design(X, y_pred)
    a = np.maximum(models.abs.predict(design), 0.0)
    q = np.maximum(models.sq.predict(design), 0.0)
    r = np.maximum(models.ape.predict(design), 0.0) if models.ape is not None else None
    return PredictedErrors(a, q, r)


def kappa(predicted: PredictedErrors, y_true, y_pred) -> Kappa:
    """``κ = mean((loss_i - predicted_i)²) / mean(predicted_i²)`` per loss, on rows the models
    were not fitted on.

    >>> p = PredictedErrors(np.array([1.0, 1.0]), np.array([1.0, 1.0]), None)
    >>> kappa(p, np.array([0.0, 0.0]), np.array([0.5, 1.5]))
    Kappa(abs=0.25, sq=1.0625, ape=None)
    """
    y = np.asarray(y_true, dtype=np.float64)
    err = np.abs(y - np.asarray(y_pred, dtype=np.float64))

    def k(loss, pred):
        return float(_div(np.mean((loss - pred) ** 2), np.mean(pred * pred), 0.0))

    ape = k(err / np.abs(y), predicted.ape) if predicted.ape is not None else None
    return Kappa(k(err, predicted.abs), k(err * err, predicted.sq), ape)


def reference_error(predicted: PredictedErrors, y_true, y_pred) -> Kappa:
    """Per loss, the standard error of the mean gap ``loss - predicted`` on held-out reference
    rows, relative to the mean predicted loss: how closely the reference can vouch for the error
    model's level (a bias below it is one the reference cannot rule out).

    >>> p = PredictedErrors(np.array([1.0, 1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 1.0]), None)
    >>> reference_error(p, np.zeros(4), np.array([0.5, 1.5, 0.5, 1.5]))
    Kappa(abs=0.25, sq=0.5, ape=None)
    """
    y = np.asarray(y_true, dtype=np.float64)
    err = np.abs(y - np.asarray(y_pred, dtype=np.float64))

    def rel(loss, pred):
        return float(_div(np.std(loss - pred) / np.sqrt(loss.size), np.mean(pred), 0.0))

    ape = rel(err / np.abs(y), predicted.ape) if predicted.ape is not None else None
    return Kappa(rel(err, predicted.abs), rel(err * err, predicted.sq), ape)


def estimate_regression(pred_abs, pred_sq, pred_ape, groups, n_groups: int, kap: Kappa,
                        z: float = Z95, reference: Optional[Kappa] = None) -> WindowMetrics:
    """Estimated ``mae``, ``rmse`` and (where ``pred_ape`` is given) ``mape`` per window, with
    the bands of the module docstring; ``reference`` (:func:`reference_error`) adds, in
    quadrature, the error model's own uncertainty as a share of each window's level."""
    groups = np.asarray(groups, dtype=np.int64)
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)

    def mean_and_se(pred, k, rel):
        pred = np.asarray(pred, dtype=np.float64)
        mean = _div(np.bincount(groups, weights=pred, minlength=n_groups), n)
        var = _div(k * np.bincount(groups, weights=pred * pred, minlength=n_groups), n * n)
        return mean, np.sqrt(var + (rel * mean) ** 2 if rel else var)

    ref = reference or Kappa(0.0, 0.0, 0.0)
    values, lower, upper = {}, {}, {}
    mae, se = mean_and_se(pred_abs, kap.abs, ref.abs)
    values["mae"], lower["mae"], upper["mae"] = mae, np.maximum(mae - z * se, 0.0), mae + z * se
    mse, se = mean_and_se(pred_sq, kap.sq, ref.sq)
    values["rmse"] = np.sqrt(mse)
    lower["rmse"], upper["rmse"] = np.sqrt(np.maximum(mse - z * se, 0.0)), np.sqrt(mse + z * se)
    if pred_ape is not None and kap.ape is not None:
        mape, se = mean_and_se(pred_ape, kap.ape, ref.ape)
        values["mape"], lower["mape"], upper["mape"] = mape, np.maximum(mape - z * se, 0.0), mape + z * se
    return WindowMetrics(values, lower, upper, n)
