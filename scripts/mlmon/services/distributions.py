"""Binned summaries of each drift-tested column, for the HTML page: computed only when a page is
asked for, so the JSON-only run pays nothing for them.

Values are cleaned as the drift pipeline cleans them (:mod:`mlmon.services.drift.sources`:
missing and infinite values out, categories over one sorted list), so the counts a page shows are
the counts the test saw.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional

import numpy as np

from mlmon.jsonsafe import bounded, strict_json
from mlmon.stats import binning

#: Categories a page draws per column (the rest are summed as "other").
TOP_CATEGORIES = 12
#: Categories named as having moved most.
MOVED_CATEGORIES = 5


def drift_distributions(result: Dict[str, Any], reference_frame, current_frame,
                        counted: Optional[Dict[str, Any]] = None) -> Dict[str, Dict[str, Any]]:
    """Per column of a drift result (features, target, prediction): histogram bins and counts with
    mean and quantiles for numerical columns, shares of the largest categories and those that
    moved most for categorical ones. ``counted``: numerical columns already summarized during the
    drift run (see :func:`sorted_summary`), used as they are."""
    presorted = counted or {}
    cols = dict(result.get("columns") or {})
    for key in ("target_drift", "prediction_drift"):
        if result.get(key):
            cols[result[key]["column"]] = result[key]
    names = [n for n in cols if n in reference_frame.columns and n in current_frame.columns]

    def one(name):
        if cols[name]["type"] == "numerical" and name in presorted:
            return presorted[name]
        ref, cur = reference_frame[name], current_frame[name]
        return _numerical(ref, cur) if cols[name]["type"] == "numerical" else _categorical(ref, cur)

    workers = min(len(names), os.cpu_count() or 1)
    if workers > 1:  # numpy sorts without the GIL: columns in parallel, as the drift run does
        with ThreadPoolExecutor(max_workers=workers) as pool:
            found = list(pool.map(one, names))
    else:
        found = [one(n) for n in names]
    return strict_json(dict(zip(names, found)))


def _numerical(ref, cur) -> Dict[str, Any]:
    from mlmon.services.drift.sources import _finite, _series_numbers

    r, _, _ = _finite(_series_numbers(ref))  # fresh arrays (copies of the column), ours to sort in place
    c, _, _ = _finite(_series_numbers(cur))
    edges, rs, cs, rc, cc = binning.numeric_bins(r.astype(np.float64, copy=False), c.astype(np.float64, copy=False),
                                                 owned=True)
    return {
        "type": "numerical",
        "edges": edges.tolist(),
        "reference": _side(rs, rc, edges),
        "current": _side(cs, cc, edges),
    }


def sorted_summary(ref: np.ndarray, cur: np.ndarray) -> Dict[str, Any]:
    """A numerical column's page summary from both sides' cleaned values, already sorted (the
    drift run calls it while it holds them: ``run_two_files(on_sorted=...)``)."""
    edges, rs, cs, rc, cc = binning.numeric_bins(ref.astype(np.float64, copy=False), cur.astype(np.float64, copy=False),
                                                 presorted=True)
    return strict_json({"type": "numerical", "edges": edges.tolist(), "reference": _side(rs, rc, edges),
                        "current": _side(cs, cc, edges)})


def _side(summary: binning.SampleSummary, counts: np.ndarray, edges: np.ndarray) -> Dict[str, Any]:
    return {
        "n": summary.n,
        "mean": summary.mean,
        "quantiles": summary.named_quantiles(),
        "counts": counts.tolist(),
        "density": binning.densities(counts, edges).tolist(),
    }


def _categorical(ref, cur) -> Dict[str, Any]:
    from mlmon.services.drift.sources import _categorical as codes_of

    rcodes, ccodes, cats, _, _, _ = codes_of(ref, cur)
    k = len(cats)
    rcount, ccount = np.bincount(rcodes, minlength=k), np.bincount(ccodes, minlength=k)
    shares = binning.category_shares(rcount, ccount, TOP_CATEGORIES, MOVED_CATEGORIES)
    shown = shares.shown
    return {
        "type": "categorical",
        "n_categories": k,
        "categories": [bounded(cats[i]) for i in shown],
        "reference": {"n": int(rcount.sum()), "counts": rcount[shown].tolist(),
                      "share": shares.reference_share[shown].tolist(),
                      "other_share": float(1 - shares.reference_share[shown].sum()) if rcount.sum() else 0.0},
        "current": {"n": int(ccount.sum()), "counts": ccount[shown].tolist(),
                    "share": shares.current_share[shown].tolist(),
                    "other_share": float(1 - shares.current_share[shown].sum()) if ccount.sum() else 0.0},
        "moved": [{"category": bounded(cats[i]), "reference_share": float(shares.reference_share[i]),
                   "current_share": float(shares.current_share[i])} for i in shares.moved],
    }
