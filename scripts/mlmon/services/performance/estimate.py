"""Estimated performance where labels have not arrived yet, for every task, with the reasons an
estimate may not be trusted.

- binary and multiclass: confidence-based estimation (CBPE, :mod:`mlmon.stats.cbpe`) from the
  model's probabilities, calibrated on the labeled reference (per class for multiclass);
- regression: direct loss estimation (DLE, :mod:`mlmon.stats.dle`), a model of the error fitted
  on the reference's features and predictions.

Each window's ``estimation`` says whether it is ``reliable`` and, if not, why:

- the probabilities are not calibrated on the reference even after calibration (ECE above
  :data:`ECE_UNRELIABLE`);
- the estimator, fitted on the reference's first three quarters, did not hold on its last
  quarter (:func:`held_back_check`);
- more than :data:`UNSEEN_UNRELIABLE` of the window's scores fall where the reference had
  almost none, or more than :data:`OUTSIDE_UNRELIABLE` of its rows have an input outside the
  reference's support (a number outside its range, a category it never held);
- once labels arrive, the realized value has left the estimate's band on the same side for
  several windows in a row (:mod:`mlmon.services.performance.disagreement`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError, option
from mlmon.services.performance.encoding import Encoded
from mlmon.services.performance.features import Features, encode_features
from mlmon.services.performance.options import PerfOptions
from mlmon.services.performance.windows import Windows
from mlmon.stats import classification as cls
from mlmon.stats.intervals import Z95
from mlmon.stats.support import outside_range, share_per_window

#: CBPE is flagged unreliable when the (calibrated) reference ECE exceeds this ...
ECE_UNRELIABLE = 0.05
#: ... or when more than this share of a window's scores lie where the reference had none
UNSEEN_UNRELIABLE = 0.10
#: ... or when more than this share of a window's rows have an input outside the reference's support
OUTSIDE_UNRELIABLE = 0.10
MIN_REFERENCE_FOR_ESTIMATE = 100
#: Probability rows off 1 by more than this are refused (a class's column is missing or the
#: columns are scores); off by more than :data:`PROBA_SUM_WARN`, a warning (they are renormalised).
PROBA_SUM_ERROR = 0.05
PROBA_SUM_WARN = 0.001
#: The held-back check: share of the reference held out of the fit, and when a gap between the
#: estimate and the realized value on it counts (beyond ~3.29 standard errors, a 0.1 % false
#: alarm rate, and larger than the smallest gap worth reporting).
HELD_BACK = 0.25
Z_HELD_BACK = 3.2905
MIN_HELD_BACK_GAP = {"accuracy": 0.01, "mae": 0.05}   # absolute for accuracy, relative for mae

Reliability = List[Dict[str, Any]]


def estimate(cur: Encoded, ref: Optional[Encoded], win: Windows, o: Optional[PerfOptions] = None,
             cur_frame: Optional[pd.DataFrame] = None, ref_frame: Optional[pd.DataFrame] = None,
             ) -> Tuple[Dict[str, Any], cls.WindowMetrics, Reliability]:
    """Estimates per window, the estimation summary (``warnings`` inside, for the caller to move)
    and each window's reliability (``reliable``, ``reasons``, shares)."""
    if ref is None:
        raise MlmonError(f"{option('estimate')} needs a labeled reference to calibrate on", option("estimate"),
                         f"pass {option('reference')} FILE")
    o = o or PerfOptions(task="binary")
    feats = encode_features(o, ref_frame, cur_frame) if ref_frame is not None and cur_frame is not None else None
    if o.task == "regression":
        info, est, flags = _regression(cur, ref, win, feats)
    elif o.task == "multiclass":
        info, est, flags = _multiclass(cur, ref, win)
    else:
        info, est, flags = _binary(cur, ref, win)
    if feats is not None:
        info["features"] = feats.names
        if feats.dropped:
            info["warnings"].append(f"input column(s) left out of the estimate's support check"
                                    f"{' and error model' if o.task == 'regression' else ''}: {', '.join(feats.dropped[:6])}; "
                                    f"encode them as numbers or name the inputs with {option('features')}")
    info["outside_threshold"] = OUTSIDE_UNRELIABLE
    return info, est, _reliability(info, flags, feats, win)


# -- classification -------------------------------------------------------------------------

def _reference_rows(ref: Encoded, what: str) -> np.ndarray:
    rl = ref.labeled
    if rl.sum() < MIN_REFERENCE_FOR_ESTIMATE:
        raise MlmonError(f"only {int(rl.sum())} labeled reference rows", option("reference"),
                         f"{what} needs at least {MIN_REFERENCE_FOR_ESTIMATE} labeled reference rows")
    return rl


def _split(n: int) -> np.ndarray:
    """True for the rows held back from the first fit: the reference's last quarter in its own
    row order (a reference is usually in time order, so this asks whether what was learnt on
    the earlier part still held at its end)."""
    held = np.zeros(n, dtype=bool)
    held[n - int(round(HELD_BACK * n)):] = True
    return held


def held_back_check(estimated: float, realized: float, se: float, metric: str, rows: int) -> Dict[str, Any]:
    """Whether the estimator, fitted on part of the reference, reproduces the realized ``metric``
    on the rest: it did not hold when the gap exceeds ``Z_HELD_BACK`` standard errors and the
    smallest gap worth reporting (absolute for accuracy, relative to the realized value for MAE).

    >>> held_back_check(0.80, 0.85, 0.01, "accuracy", 1000)["held"]
    False
    >>> held_back_check(0.80, 0.805, 0.01, "accuracy", 1000)["held"]
    True
    """
    gap = realized - estimated
    floor = MIN_HELD_BACK_GAP[metric] * (abs(realized) if metric == "mae" else 1.0)
    held = not (abs(gap) > Z_HELD_BACK * se and abs(gap) > floor)
    return {"metric": metric, "estimated": float(estimated), "realized": float(realized), "rows": int(rows),
            "se": float(se), "held": bool(held)}


def _binary(cur: Encoded, ref: Encoded, win: Windows):
    from mlmon.stats import cbpe

    rl = _reference_rows(ref, "CBPE")
    ref_p, ref_y = ref.proba[rl], ref.y[rl]
    if np.unique(ref_y).size < 2:
        raise MlmonError("the reference labels hold one class only", option("reference"),
                         "calibration needs both classes")
    choice = cbpe.choose_calibration(ref_p, ref_y)
    ece = choice.ece_calibrated if choice.calibrate else choice.ece_raw
    usable = ~np.isnan(cur.proba) & (cur.yhat >= 0)
    groups = win.groups[usable]
    score = cur.proba[usable]
    p = choice.fit(score) if choice.calibrate else score
    est = cbpe.estimate_binary(p, cur.yhat[usable], score, groups, win.count)
    # held-back: calibration chosen and fitted on three quarters, accuracy checked on the rest
    held = _split(ref_p.size)
    part = cbpe.choose_calibration(ref_p[~held], ref_y[~held])
    ph = part.fit(ref_p[held]) if part.calibrate else ref_p[held]
    yhat_ref = ref.yhat[rl][held].astype(bool)
    p_correct = np.where(yhat_ref, ph, 1 - ph)
    check = held_back_check(p_correct.mean(), float((yhat_ref == ref_y[held].astype(bool)).mean()),
                            np.sqrt((p_correct * (1 - p_correct)).sum()) / ph.size, "accuracy", ph.size)
    info = {
        "method": "cbpe",
        "calibration": "isotonic" if choice.calibrate else "none",
        "ece_raw": choice.ece_raw,
        "ece_calibrated": choice.ece_calibrated,
        "ece_threshold": ECE_UNRELIABLE,
        "calibrated": bool(ece <= ECE_UNRELIABLE),
        "reference_rows": int(rl.sum()),
        "held_back": check,
        "warnings": [],
    }
    unseen = cbpe.unseen_share(ref_p, score, groups, win.count)
    _calibration_warning(info, ece)
    return info, est, {"unseen": unseen, "held_back": check}


def _calibration_warning(info: Dict[str, Any], ece: float) -> None:
    if not info["calibrated"]:
        info["warnings"].append(f"estimated performance is unreliable: the model's probabilities are not calibrated on "
                                f"the reference even after isotonic calibration (ECE {ece:.3f} > {ECE_UNRELIABLE})")


def _check_sums(proba: np.ndarray, where: str, info: Dict[str, Any]) -> None:
    rows = proba[~np.isnan(proba).any(axis=1)]
    if not rows.size:
        return
    off = np.abs(rows.sum(axis=1) - 1.0)
    worst = int(off.argmax())
    if off[worst] > PROBA_SUM_ERROR:
        bad = int((off > PROBA_SUM_ERROR).sum())
        raise MlmonError(f"the probability columns do not sum to 1 on {bad} {where} rows "
                         f"(e.g. {rows[worst].sum():.3f})", f"{where}, {option('proba')}",
                         "give one probability column for every class (not scores or logits)")
    if off[worst] > PROBA_SUM_WARN:
        info["warnings"].append(f"the probability columns sum to between {1 - off.max():.4f} and "
                                f"{1 + off.max():.4f} on some {where} rows; each row is rescaled to sum to 1")


def _multiclass(cur: Encoded, ref: Encoded, win: Windows):
    from mlmon.stats import cbpe

    rl = _reference_rows(ref, "CBPE")
    k = len(cur.classes or [])
    info: Dict[str, Any] = {"warnings": []}
    for e, where in ((ref, "reference"), (cur, "current")):
        _check_sums(e.proba, where, info)
    ref_p, ref_y = ref.proba[rl], ref.y[rl].astype(np.int64)
    usable = ~np.isnan(cur.proba).any(axis=1) & (cur.yhat >= 0)
    labeled_classes = np.bincount(ref_y, minlength=k)
    predicted = np.bincount(cur.yhat[usable], minlength=k)
    never = [str(cur.classes[j]) for j in range(k) if labeled_classes[j] == 0 and predicted[j] > 0]
    if never:
        raise MlmonError(f"class(es) {', '.join(never[:5])} appear in the current data but never in the reference's "
                         "labels: their probabilities cannot be calibrated", option("reference"),
                         "use a reference period whose labels hold every class the model predicts")
    cal = cbpe.choose_multiclass_calibration(ref_p, ref_y, k)
    raw = cur.proba[usable]
    P = cal(raw)
    groups = win.groups[usable]
    yhat = cur.yhat[usable].astype(np.int64)
    eces = [c.ece_calibrated if c.calibrate else c.ece_raw for c in cal.choices]
    ece = float(np.nanmax(eces))  # a multiclass task has classes: k >= 2
    # held-back: per-class calibration chosen and fitted on three quarters, accuracy on the rest
    held = _split(ref_y.size)
    part = cbpe.choose_multiclass_calibration(ref_p[~held], ref_y[~held], k)
    ph = part(ref_p[held])
    yhat_ref = ref.yhat[rl][held].astype(np.int64)
    p_correct = ph[np.arange(ph.shape[0]), yhat_ref]
    check = held_back_check(p_correct.mean(), float((yhat_ref == ref_y[held]).mean()),
                            np.sqrt((p_correct * (1 - p_correct)).sum()) / ph.shape[0], "accuracy", ph.shape[0])
    est = cbpe.estimate_multiclass(P, yhat, raw, groups, win.count, reference_se=check["se"])
    info.update({
        "method": "cbpe",
        "calibration": "isotonic per class" if any(cal.calibrated) else "none",
        "calibrated_classes": [str(c) for c, keep in zip(cur.classes, cal.calibrated) if keep],
        "ece_raw": float(np.nanmax([c.ece_raw for c in cal.choices])),
        "ece_calibrated": ece,
        "ece_threshold": ECE_UNRELIABLE,
        "calibrated": bool(ece <= ECE_UNRELIABLE),
        "reference_rows": int(rl.sum()),
        "held_back": check,
    })
    _calibration_warning(info, ece)
    confidence_ref = ref_p[np.arange(ref_p.shape[0]), ref.yhat[rl].astype(np.int64)]
    unseen = cbpe.unseen_share(confidence_ref, raw[np.arange(raw.shape[0]), yhat], groups, win.count)
    return info, est, {"unseen": unseen, "held_back": check}


# -- regression -----------------------------------------------------------------------------

def _regression(cur: Encoded, ref: Encoded, win: Windows, feats: Optional[Features]):
    from mlmon.stats import dle

    try:
        import sklearn.ensemble  # noqa: F401  (a dependency of evidently, so normally present)
    except ImportError:
        raise MlmonError("regression estimation needs scikit-learn, which is not installed", option("estimate"),
                         "install scikit-learn >= 1.4 into mlmon's environment") from None
    rl = ref.labeled  # a target and a prediction on the row (encoding)
    if rl.sum() < dle.MIN_REFERENCE_ROWS:
        raise MlmonError(f"only {int(rl.sum())} labeled reference rows for the error model", option("reference"),
                         f"regression estimation needs at least {dle.MIN_REFERENCE_ROWS} labeled reference rows "
                         f"(a quarter is held back to check the model)")
    Xr = feats.reference[rl] if feats is not None else np.zeros((int(rl.sum()), 0))
    cat = feats.categorical if feats is not None else np.zeros(0, dtype=bool)
    y, yhat_ref = ref.y[rl], ref.yhat[rl]
    with_ape = dle.mape_defined(y)
    held = _split(y.size)
    part = dle.fit_error_models(Xr[~held], y[~held], yhat_ref[~held], cat, with_ape)
    pred_b = dle.predict_errors(part, Xr[held], yhat_ref[held])
    kap = dle.kappa(pred_b, y[held], yhat_ref[held])
    err_b = np.abs(y[held] - yhat_ref[held])
    check = held_back_check(pred_b.abs.mean(), err_b.mean(), float(np.std(err_b - pred_b.abs) / np.sqrt(err_b.size)),
                            "mae", err_b.size)
    # the models checked on the held-back quarter are the ones that estimate: what the check and
    # the bands say is about them, and each loss is fitted once
    usable = ~np.isnan(cur.yhat)
    Xc = feats.current[usable] if feats is not None else np.zeros((int(usable.sum()), 0))
    pred = dle.predict_errors(part, Xc, cur.yhat[usable])
    est = dle.estimate_regression(pred.abs, pred.sq, pred.ape, win.groups[usable], win.count, kap,
                                  reference=dle.reference_error(pred_b, y[held], yhat_ref[held]))
    info = {
        "method": "dle",
        "error_model": "HistGradientBoostingRegressor",
        "error_model_settings": dict(dle.BOOSTING),
        "reference_rows": int(rl.sum()),
        "kappa": kap._asdict(),
        "held_back": check,
        "warnings": [],
    }
    if not with_ape:
        info["warnings"].append("mape is not estimated: the reference target is zero on some rows")
    pred_outside = outside_range(yhat_ref, cur.yhat)[:, 0]
    return info, est, {"held_back": check, "prediction_outside": pred_outside}


# -- reliability ----------------------------------------------------------------------------

def _reliability(info: Dict[str, Any], flags: Dict[str, Any], feats: Optional[Features], win: Windows) -> Reliability:
    G = win.count
    check = flags["held_back"]
    shared = []
    if "calibrated" in info and not info["calibrated"]:
        shared.append("model not calibrated on the reference")
    if not check["held"]:
        what = "calibration" if info["method"] == "cbpe" else "the error model"
        shared.append(f"{what} did not hold on held-back reference data: estimated {check['metric']} "
                      f"{check['estimated']:.3f}, realized {check['realized']:.3f} on {check['rows']:,} rows")
    outside_cols: List[Tuple[str, np.ndarray]] = []
    if feats is not None:
        outside_cols = [(name, feats.outside[:, j]) for j, name in enumerate(feats.names)]
    if "prediction_outside" in flags:
        outside_cols.append(("prediction", flags["prediction_outside"]))
    any_outside = np.zeros(win.groups.shape[0], dtype=bool)
    per_col = []
    for name, flag in outside_cols:
        any_outside |= flag
        per_col.append((name, share_per_window(flag, win.groups, G)))
    outside = share_per_window(any_outside, win.groups, G) if outside_cols else np.full(G, np.nan)
    unseen = flags.get("unseen")
    out: Reliability = []
    for w in range(G):
        reasons = list(shared)
        row: Dict[str, Any] = {}
        if unseen is not None:
            u = float(unseen[w])
            row["unseen_share"] = u
            if u > UNSEEN_UNRELIABLE:
                reasons.append(f"{u:.0%} of the window's scores fall where the reference had almost none")
        o = float(outside[w])
        row["outside_share"] = o
        if o > OUTSIDE_UNRELIABLE:
            worst = sorted(((float(s[w]), n) for n, s in per_col if s[w] > 0), reverse=True)[:3]
            named = ", ".join(f"{n} {s:.0%}" for s, n in worst)
            reasons.append(f"{o:.0%} of the window's rows have inputs outside the reference's support ({named}; "
                           f"above {OUTSIDE_UNRELIABLE:.0%})")
        row.update({"reliable": not reasons, "reasons": reasons})
        out.append(row)
    return out
