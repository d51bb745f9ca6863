"""``mlmon perf`` (model performance per window) and ``mlmon labels`` (label delay)."""

from __future__ import annotations

import argparse
from typing import Any, Dict, Optional

from mlmon.cli.common import add_common, add_history, check_output_paths, csv_list, emit, history_store
from mlmon.errors import MlmonError


def _add_roles(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="COL", help="the label column (in PREDICTIONS or in --labels)")
    p.add_argument("--timestamp", metavar="COL", help="when each prediction was made; windows are cut on it")
    p.add_argument("--label-timestamp", metavar="COL", help="when each label arrived (label delay)")
    p.add_argument("--labels", metavar="FILE", help="labels in a separate file, joined on --join-on")
    p.add_argument("--join-on", metavar="ID", help="id column shared by PREDICTIONS and --labels")
    p.add_argument("--window", metavar="W", help="time window width: 1h, 1D, 7D, ... (needs --timestamp)")
    p.add_argument("--chunk-size", metavar="N", type=int, help="windows of N rows instead of time windows")
    p.add_argument("--config", metavar="FILE", help="monitoring config (column roles, task, costs, tiers); flags override it")
    p.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")


def register(sub) -> None:
    p = sub.add_parser("perf", help="model performance per window, against a baseline",
                       description="Realized metrics per window where labels exist (with 95%% intervals), "
                                   "estimated ones (CBPE) where they do not yet, degradation against a "
                                   "reference baseline, and label delay.")
    p.add_argument("predictions", metavar="PREDICTIONS", help="predictions (parquet file or directory, .csv, .jsonl)")
    add_common(p)
    p.add_argument("--task", choices=["binary", "multiclass", "regression"], help="model task (or model.task in --config)")
    p.add_argument("--prediction", metavar="COL", help="predicted class or value")
    p.add_argument("--proba", metavar="COLS", type=csv_list,
                   help="binary: probability of the positive class; multiclass: one column per class, classes sorted")
    _add_roles(p)
    p.add_argument("--reference", metavar="FILE", help="labeled baseline period")
    p.add_argument("--estimate", action="store_true", help="estimate binary metrics without labels (CBPE; needs --reference)")
    p.add_argument("--positive-label", metavar="V", help="binary: the positive class (default 1/True, else the larger label)")
    p.add_argument("--threshold", metavar="T", type=float, help="binary: proba >= T predicts positive when no --prediction (default 0.5)")
    p.add_argument("--fp-cost", metavar="C", type=float, help="cost of one false positive (default 1)")
    p.add_argument("--fn-cost", metavar="C", type=float, help="cost of one false negative (default 1)")
    p.add_argument("--quantile", metavar="Q", type=float, help="regression: quantile that quantile_loss scores (0-1)")
    p.add_argument("--lower", metavar="COL", help="regression: prediction interval lower bound column")
    p.add_argument("--upper", metavar="COL", help="regression: prediction interval upper bound column")
    p.add_argument("--under-cost", metavar="C", type=float, help="regression: cost per unit under-predicted (business_value_captured)")
    p.add_argument("--over-cost", metavar="C", type=float, help="regression: cost per unit over-predicted (business_value_captured)")
    p.add_argument("--baseline", choices=["reference", "previous_window"],
                   help="what a drop is measured against (default reference; config performance.baseline)")
    p.add_argument("--primary", metavar="METRICS", type=csv_list, help="metrics severity watches (comma-separated)")
    p.add_argument("--warning-drop", metavar="X", type=float, help="relative drop that makes a window degraded (default 0.05)")
    p.add_argument("--critical-drop", metavar="X", type=float, help="relative drop that makes a window critical (default 0.15)")
    p.add_argument("--min-labeled-share", metavar="S", type=float,
                   help="windows with fewer labels than this share are sparsely labeled (default 0.5)")
    p.add_argument("--model", metavar="NAME", help="model name recorded in the history")
    p.add_argument("--model-version", metavar="V", help="model version recorded in the history")
    p.add_argument("--fail-on", choices=["degraded", "critical"], help="exit 1 when a window is at least this severe")
    add_history(p)
    p.set_defaults(func=run_perf)

    lab = sub.add_parser("labels", help="label delay and the share of each window still unlabeled",
                         description="How late labels arrive (median, p95) and how much of each window is still unlabeled.")
    lab.add_argument("predictions", metavar="PREDICTIONS", help="predictions (parquet file or directory, .csv, .jsonl)")
    add_common(lab)
    _add_roles(lab)
    lab.set_defaults(func=run_labels)


def _from_config(path: Optional[str]) -> Dict[str, Any]:
    """Settings a monitoring config gives a performance run (flags override them)."""
    if not path:
        return {}
    from mlmon.services.config import load_config
    from mlmon.services.performance import settings_from_config

    return settings_from_config(load_config(path).as_dict())


def _read(path: Optional[str], args, role: str):
    if not path:
        return None
    from mlmon.io.tables import read_table

    return read_table(path, encoding=args.encoding, role=role).frame


def run_perf(args) -> int:
    from mlmon.services.performance import PerfOptions, compute_performance

    check_output_paths(args, [args.predictions, args.reference, args.labels], flags=("--output",))
    settings = _from_config(args.config)
    flags = {
        "task": args.task, "target": args.target, "prediction": args.prediction,
        "proba": (args.proba[0] if len(args.proba) == 1 else args.proba) if args.proba else None,
        "timestamp": args.timestamp, "label_timestamp": args.label_timestamp, "window": args.window,
        "chunk_size": args.chunk_size, "join_on": args.join_on, "positive_label": args.positive_label,
        "threshold": args.threshold, "false_positive_cost": args.fp_cost, "false_negative_cost": args.fn_cost,
        "quantile": args.quantile, "lower": args.lower, "upper": args.upper,
        "under_prediction_cost": args.under_cost, "over_prediction_cost": args.over_cost,
        "primary": args.primary, "baseline": args.baseline, "warning_drop": args.warning_drop, "critical_drop": args.critical_drop,
        "min_labeled_share": args.min_labeled_share, "model": args.model, "version": args.model_version,
    }
    settings.update({k: v for k, v in flags.items() if v is not None})
    if isinstance(settings.get("proba"), list) and len(settings["proba"]) == 1:
        settings["proba"] = settings["proba"][0]
    if not settings.get("task"):
        raise MlmonError("no task given", "command line", "pass --task binary|multiclass|regression or model.task in --config")
    if args.labels and not settings.get("join_on"):
        raise MlmonError("a labels file needs the id column that joins it", "--labels", "pass --join-on ID")
    current = _read(args.predictions, args, "predictions")
    reference = _read(args.reference, args, "reference")
    labels = _read(args.labels, args, "labels")
    if args.labels is None:
        settings.pop("join_on", None)
    options = PerfOptions(estimate=args.estimate, **settings)
    data = compute_performance(current, options, reference, labels=labels).to_dict()
    _record(data, args)
    emit(data, args, _render)
    rank = {"healthy": 0, "degraded": 1, "critical": 2}
    if args.fail_on and rank[data["severity"]] >= rank[args.fail_on]:
        return 1
    return 0


def _record(data: Dict[str, Any], args) -> None:
    """All of a run's rows in one transaction; a failure is a warning, the result stands."""
    from mlmon.services.performance import metric_rows

    store = history_store(args)
    if store is None:
        return
    try:
        with store.transaction():
            store.append_metrics(data, metric_rows(data), reference_path=args.reference, current_path=args.predictions,
                                 reference_rows=(data["baseline"] or {}).get("n"), current_rows=data["rows"],
                                 severity=data["severity"])
    except Exception as exc:
        data.setdefault("warnings", []).append(
            f"history not recorded ({store.path}: {exc}); pass --history PATH or --no-history")


def _render(data: Dict[str, Any]) -> str:
    from mlmon.render.perf import perf_report

    return perf_report(data)


def run_labels(args) -> int:
    from mlmon.services.labels import compute_labels

    check_output_paths(args, [args.predictions, args.labels], flags=("--output",))
    settings = _from_config(args.config)
    target = args.target or settings.get("target")
    timestamp = args.timestamp or settings.get("timestamp")
    join_on = args.join_on or settings.get("join_on")
    if not timestamp:
        raise MlmonError("no timestamp column", "command line", "pass --timestamp COL (or data.columns.timestamp in --config)")
    current = _read(args.predictions, args, "predictions")
    join, warnings = None, []
    if args.labels:
        from mlmon.services.labels import join_labels

        if not join_on:
            raise MlmonError("a labels file needs the id column that joins it", "--labels", "pass --join-on ID")
        labels = _read(args.labels, args, "labels")
        take = [c for c in (target, args.label_timestamp) if c and c in labels.columns]
        if not take:
            raise MlmonError("the labels file has neither the target nor the label timestamp column", args.labels,
                             "pass --target and/or --label-timestamp naming its columns")
        current, join, warnings = join_labels(current, labels, join_on, take)
    result = compute_labels(current, timestamp, args.label_timestamp, target if target in current.columns else None,
                            args.window, args.chunk_size)
    result.join = join
    result.warnings = warnings + result.warnings
    emit(result.to_dict(), args, _render_labels)
    return 0


def _render_labels(data: Dict[str, Any]) -> str:
    from mlmon.render.perf import labels_report

    return labels_report(data)
