"""Estimated performance where labels have not arrived yet: CBPE calibrated on a labeled
reference (:mod:`mlmon.stats.cbpe`), with the reasons an estimate may not be trusted."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from mlmon.errors import MlmonError, option
from mlmon.services.performance.encoding import Encoded
from mlmon.services.performance.windows import Windows
from mlmon.stats import classification as cls

#: CBPE is flagged unreliable when the (calibrated) reference ECE exceeds this ...
ECE_UNRELIABLE = 0.05
#: ... or when more than this share of a window's scores lie where the reference had none
UNSEEN_UNRELIABLE = 0.10
MIN_REFERENCE_FOR_ESTIMATE = 100


def estimate(cur: Encoded, ref: Optional[Encoded], win: Windows
             ) -> Tuple[Dict[str, Any], cls.WindowMetrics, Dict[str, Any]]:
    """CBPE estimates per window, the estimation summary and what each window's reliability needs."""
    from mlmon.stats import cbpe

    if ref is None:
        raise MlmonError(f"{option('estimate')} needs a labeled reference to calibrate on", option("estimate"),
                         f"pass {option('reference')} FILE")
    rl = ref.labeled
    if rl.sum() < MIN_REFERENCE_FOR_ESTIMATE:
        raise MlmonError(f"only {int(rl.sum())} labeled reference rows", option("reference"),
                         f"CBPE needs at least {MIN_REFERENCE_FOR_ESTIMATE} labeled reference rows")
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
    unseen = cbpe.unseen_share(ref_p, score, groups, win.count)
    warnings = []
    calibrated_ok = ece <= ECE_UNRELIABLE
    if not calibrated_ok:
        warnings.append(f"estimated performance is unreliable: the model's probabilities are not calibrated on the "
                        f"reference even after isotonic calibration (ECE {ece:.3f} > {ECE_UNRELIABLE})")
    info = {
        "method": "cbpe",
        "calibration": "isotonic" if choice.calibrate else "none",
        "ece_raw": choice.ece_raw,
        "ece_calibrated": choice.ece_calibrated,
        "ece_threshold": ECE_UNRELIABLE,
        "calibrated": bool(calibrated_ok),
        "reference_rows": int(rl.sum()),
        "warnings": warnings,
    }
    return info, est, {"unseen": unseen, "calibrated": calibrated_ok}

