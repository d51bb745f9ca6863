"""Markdown for ``mlmon perf`` and ``mlmon labels``: verdict first, then one line per window."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from mlmon.render.markdown import _num
from mlmon.render.text import cell, code, prose

MAX_ROWS = 40
_RANK = {"healthy": 0, "degraded": 1, "critical": 2}


def _pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "n/a"
    s = abs(seconds)
    sign = "-" if seconds < 0 else ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{sign}{s / size:.1f} {unit}"
    return f"{sign}{s:.0f} s"


def _value(values: Optional[Dict[str, Any]], intervals: Optional[Dict[str, Any]], metric: str,
           too_small: Optional[List[str]] = None) -> str:
    v = (values or {}).get(metric)
    if v is None:
        return "n/a"
    if metric in (too_small or ()):
        return f"{_num(v)} (too few labels)"
    iv = (intervals or {}).get(metric) or {}
    if iv.get("lower") is None or iv.get("upper") is None:
        return _num(v)
    return f"{_num(v)} [{_num(iv['lower'])}, {_num(iv['upper'])}]"


def _verdict(d: Dict[str, Any]) -> str:
    windows = d["windows"]
    counts = {s: sum(1 for w in windows if w["severity"] == s) for s in _RANK}
    head = f"**Performance: {d['severity'].upper()}**"
    if d["baseline"] is None and d.get("baseline_kind") != "previous_window":
        return head + f" (no baseline given) — {len(windows)} window(s), {d['labeled_rows']:,} of {d['rows']:,} rows labeled"
    worst = None
    for w in windows:
        for m, drop in (w.get("drops") or {}).items():
            if drop is not None and (worst is None or drop > worst[2]):
                worst = (w["start"], m, drop)
    parts = [f"{counts['critical']} critical", f"{counts['degraded']} degraded", f"{counts['healthy']} healthy"]
    text = f"{head} — {len(windows)} window(s): {', '.join(parts)}"
    if worst is not None and worst[2] > 0:
        text += f"; largest drop: {worst[1]} {worst[2]:.1%} worse than baseline in the window from {worst[0]}"
    return text


def _estimated_metric(d: Dict[str, Any]) -> str:
    return "mae" if d.get("task") == "regression" else "accuracy"


def _estimation_line(est: Dict[str, Any]) -> str:
    """How the estimates were made and whether the estimator held on the reference."""
    check = est.get("held_back") or {}
    held = ""
    if check:
        held = (f"; on {check['rows']:,} held-back reference rows estimated {check['metric']} {_num(check['estimated'])} "
                f"vs realized {_num(check['realized'])}" + ("" if check["held"] else " — DID NOT HOLD"))
    if est.get("method") == "dle":
        fitted = est["reference_rows"] - check.get("rows", 0)
        return (f"Estimation: DLE (error model on {len(est.get('features') or [])} input column(s) plus the prediction, "
                f"fitted on the first {fitted:,} of {est['reference_rows']:,} labeled reference rows){held}.")
    return (f"Estimation: CBPE, calibration {est['calibration']} (reference ECE raw {_num(est['ece_raw'])}, "
            f"calibrated {_num(est['ece_calibrated'])}){'' if est['calibrated'] else ' — UNRELIABLE: model not calibrated'}"
            f"{held}.")


def perf_report(d: Dict[str, Any]) -> str:
    """Render a performance result dict (``PerfResult.to_dict()``)."""
    out: List[str] = [_verdict(d), ""]
    primary = [m for m in d["primary"]]
    metrics_line = ", ".join(f"{m} {_num(v)}" for m, v in ((d["baseline"] or {}).get("metrics") or {}).items()
                             if m in primary)
    tiers = f"Tiers: relative drop > {d['tiers']['warning']:.0%} degraded, > {d['tiers']['critical']:.0%} critical."
    if d.get("baseline_kind") == "previous_window":
        out.append(f"Baseline: each window against the previous window with metrics. {tiers}")
    elif d["baseline"]:
        out.append(f"Baseline ({d['baseline']['n_labeled']:,} labeled reference rows): {metrics_line}. {tiers}")
    if d.get("labels_join"):
        j = d["labels_join"]
        out.append(f"Labels joined on {code(j['on'])}: {j['matched']:,} of {j['predictions']:,} predictions matched "
                   f"({j['unmatched_labels']:,} labels matched no prediction).")
    est = d.get("estimation")
    if est:
        out.append(_estimation_line(est))
        judged = [w for w in d["windows"] if w.get("estimation")]
        shaky = [w for w in judged if not w["estimation"]["reliable"]]
        if shaky:
            counts: Dict[str, int] = {}
            for w in shaky:
                for reason in w["estimation"]["reasons"]:
                    counts[reason] = counts.get(reason, 0) + 1
            why = "; ".join(f"{prose(r)} ({c} window{'s' if c > 1 else ''})" for r, c in counts.items())
            out.append(f"**Estimates unreliable in {len(shaky)} of {len(judged)} window(s)**: {why}.")
    delay = d.get("label_delay")
    if delay:
        out.append(f"Label delay: median {_duration(delay['median_seconds'])}, p95 {_duration(delay['p95_seconds'])}; "
                   f"{_pct(delay.get('unlabeled_share'))} of rows still unlabeled.")
    out.append("")
    shown = d["windows"][-MAX_ROWS:]
    if len(d["windows"]) > MAX_ROWS:
        out.append(f"Latest {MAX_ROWS} of {len(d['windows'])} windows (all of them are in `--format json`).")
        out.append("")
    shown_est = _estimated_metric(d) if est else None
    cols = ["window start", "rows", "labeled"] + primary + ([f"estimated {shown_est}"] if est else []) + ["severity", "notes"]
    out.append("| " + " | ".join(cols) + " |")
    out.append("|" + "---|" * len(cols))
    for w in shown:
        cells = [w["start"], f"{w['n']:,}", f"{w['n_labeled']:,}"]
        cells += [_value(w["metrics"], w["intervals"], m, w.get("too_small")) for m in primary]
        if est:
            e = _value(w.get("estimated"), w.get("estimated_intervals"), shown_est)
            if w.get("estimation") and not w["estimation"]["reliable"]:
                e += " (unreliable)"  # the reasons are listed once above the table
            cells.append(e)
        sev = w["severity"] + (f" ({w['severity_basis']})" if w.get("severity_basis") == "estimated" else "")
        cells += [sev, cell("; ".join(w.get("notes") or []), 200)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("Brackets are 95% intervals. All metrics per window: `--format json`.")
    for warning in d.get("warnings") or []:
        out.append(f"- warning: {prose(warning)}")
    if d.get("segmentation") is not None:
        seg = d["segmentation"]
        out += ["", f"## Segments by {', '.join(cell(b) for b in seg['by'])}", ""]
        for w in seg["worst"]:
            beyond = "beyond its interval" if w["beyond_interval"] else "within its interval"
            out.append(f"- {cell(w['segment'])}: {w['metric']} dropped {100 * w['drop']:.1f} % ({beyond}; "
                       f"{w['rows']:,} rows, {w['severity']})")
        if not seg["worst"]:
            out.append("- no segment's primary metric dropped")
        if seg["not_tested"]:
            out.append("- not computed (too few rows): " + ", ".join(cell(n) for n in seg["not_tested"]))
    return "\n".join(out) + "\n"


def labels_report(d: Dict[str, Any]) -> str:
    """Render ``mlmon labels`` (``LabelsResult.to_dict()``)."""
    out: List[str] = []
    delay = d.get("label_delay")
    head = f"**Labels: {d['labeled_rows']:,} of {d['rows']:,} rows labeled ({_pct(d.get('unlabeled_share'))} unlabeled)**"
    if delay:
        head += f" — delay median {_duration(delay['median_seconds'])}, p95 {_duration(delay['p95_seconds'])}"
    out += [head, ""]
    if d.get("join"):
        j = d["join"]
        out += [f"Joined on {code(j['on'])}: {j['matched']:,} of {j['predictions']:,} predictions matched.", ""]
    has_delay = any("mean_delay_seconds" in w for w in d["windows"])
    if len(d["windows"]) > MAX_ROWS:
        out += [f"Latest {MAX_ROWS} of {len(d['windows'])} windows (all of them are in `--format json`).", ""]
    cols = ["window start", "rows", "labeled", "unlabeled"] + (["mean delay"] if has_delay else [])
    out.append("| " + " | ".join(cols) + " |")
    out.append("|" + "---|" * len(cols))
    for w in d["windows"][-MAX_ROWS:]:
        cells = [w["start"], f"{w['n']:,}", f"{w['n_labeled']:,}", _pct(w["unlabeled_share"])]
        if has_delay:
            cells.append(_duration(w.get("mean_delay_seconds")))
        out.append("| " + " | ".join(cells) + " |")
    for warning in d.get("warnings") or []:
        out.append(f"- warning: {prose(warning)}")
    return "\n".join(out) + "\n"
