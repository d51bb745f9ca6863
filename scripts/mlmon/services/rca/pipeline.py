"""Pipeline faults: a feature whose scale jumped by a power of ten, a spike of missing values or
of one default value, a schema change."""

from __future__ import annotations

from typing import Dict, List

import numpy as np

from mlmon.services.rca.evidence import ALPHA, Evidence, fmt, pct, pvalue_strength, ratio_strength
from mlmon.services.rca.inputs import Context
from mlmon.stats.scale_jump import scale_jump
from mlmon.stats.value_spike import default_spike, share_increase

MIN_SPIKE = 0.10        # absolute rise of one value's share that counts as a default fill
MIN_NULL_RISE = 0.05    # absolute rise of the missing share
DEFAULT_TOKENS = {"", "unknown", "none", "null", "nan", "n/a", "na", "missing", "default", "other", "-1", "0", "?", "-"}


def pipeline_evidence(ctx: Context, weights: Dict[str, float]) -> List[Evidence]:
    out: List[Evidence] = []
    for c in ctx.only_reference:
        out.append(Evidence("pipeline", "schema_change", f"column {c} is missing from the current data", 0.8, column=c))
    for c in ctx.only_current:
        out.append(Evidence("pipeline", "schema_change", f"column {c} appears only in the current data", 0.6, column=c))
    kinds_r, kinds_c = ctx.inputs.reference.kinds, ctx.inputs.current.kinds
    for c in ctx.features:
        kr, kc = kinds_r.get(c), kinds_c.get(c)
        numeric = {"float", "int", "bool"}
        if kr and kc and (kr in numeric) != (kc in numeric):
            out.append(Evidence("pipeline", "schema_change", f"{c} changed type from {kr} to {kc}", 0.8,
                                column=c, details={"reference_kind": kr, "current_kind": kc}))
    for c in ctx.features:
        w = 0.6 + 0.4 * weights.get(c, 1.0)
        ref, cur = ctx.ref[c], ctx.cur[c]
        out += _nulls(c, ref, cur, w)
        if c in ctx.numerical:
            r = ref.to_numpy(dtype=float, na_value=np.nan)
            k = cur.to_numpy(dtype=float, na_value=np.nan)
            j = scale_jump(r, k)
            if j.jumped:
                out.append(Evidence(
                    "pipeline", "scale_jump",
                    f"{c} changed scale by a factor of {fmt(10 ** j.log10_ratio)} (median |x| {fmt(np.nanmedian(np.abs(r)))}"
                    f" -> {fmt(np.nanmedian(np.abs(k)))}), close to x{fmt(j.factor)}: a unit change upstream",
                    0.9 * w, column=c, value=10 ** j.log10_ratio, threshold=10 ** 0.8,
                    details={"log10_ratio": round(j.log10_ratio, 4), "spread_log10_ratio": _r(j.spread_log10_ratio),
                             "factor": j.factor}))
            continuous = ref.nunique() > 20 and ref.value_counts(normalize=True, dropna=True).max() < 0.05
            if continuous:
                out += _default(c, r, k, w)
        else:
            counts = cur.value_counts(dropna=True)
            # only a default-looking token can be a fill: test nothing else (cheap on wide data)
            if len(counts) and str(counts.index[0]).strip().lower() in DEFAULT_TOKENS:
                out += _default(c, ref.astype(object).to_numpy(), cur.astype(object).to_numpy(), w, tokens=True)
    return out


def _nulls(c, ref, cur, w) -> List[Evidence]:
    kr, kc = int(ref.isna().sum()), int(cur.isna().sum())
    s = share_increase(kr, len(ref), kc, len(cur))
    if s.difference < MIN_NULL_RISE or s.p_value > ALPHA:
        return []
    strength = min(pvalue_strength(s.p_value), ratio_strength(s.difference / MIN_NULL_RISE)) * w
    return [Evidence("pipeline", "null_spike",
                     f"{c} is missing in {pct(s.current_share)} of current rows against {pct(s.reference_share)} "
                     f"in the reference (one-sided z {fmt(s.z)}, p {fmt(s.p_value)})",
                     strength, column=c, value=s.current_share, baseline=s.reference_share,
                     threshold=MIN_NULL_RISE, p_value=s.p_value)]


def _default(c, ref, cur, w, tokens: bool = False) -> List[Evidence]:
    d = default_spike(ref, cur)
    if d.value is None:
        return []
    if tokens and str(d.value).strip().lower() not in DEFAULT_TOKENS:
        return []
    rise = d.current_share - d.reference_share
    if rise < MIN_SPIKE or d.p_value > ALPHA:
        return []
    strength = min(pvalue_strength(d.p_value), ratio_strength(rise / MIN_SPIKE)) * w
    value = d.value if not isinstance(d.value, float) else fmt(d.value)
    return [Evidence("pipeline", "default_spike",
                     f"{c} holds the single value {value!r} in {pct(d.current_share)} of current rows against "
                     f"{pct(d.reference_share)} in the reference: filled with a default upstream?",
                     strength, column=c, value=d.current_share, baseline=d.reference_share, threshold=MIN_SPIKE,
                     p_value=d.p_value, details={"default_value": d.value if not isinstance(d.value, float) else float(d.value)})]


def _r(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 4)
