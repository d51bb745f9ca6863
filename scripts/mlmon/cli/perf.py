"""``mlmon perf`` (model performance per window) and ``mlmon labels`` (label delay)."""

from __future__ import annotations

import argparse
from typing import Any, Dict, Optional

from mlmon.cli.common import add_common, add_history, add_html, check_output_paths, csv_list, emit, record, write_html
from mlmon.errors import MlmonError


def _add_roles(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="COL", help="the label column (in PREDICTIONS or in --labels)")
    p.add_argument("--timestamp", metavar="COL", help="when each prediction was made; windows are cut on it")
    p.add_argument("--label-timestamp", metavar="COL", help="when each label arrived (label delay)")
    p.add_argument("--labels", metavar="FILE", help="labels in a separate file, joined on --join-on")
    p.add_argument("--join-on", metavar="ID", help="id column shared by PREDICTIONS and --labels")
    p.add_argument("--window", metavar="W", help="calendar window in the data's time zone: 1h, 1D, 1W, 1M, ... (needs --timestamp)")
    p.add_argument("--chunk-size", metavar="N", type=int, help="windows of N rows instead of time windows")
    p.add_argument("--config", metavar="FILE", help="monitoring config (column roles, task, costs, tiers); flags override it")
    p.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")


def register(sub) -> None:
    p = sub.add_parser("perf", help="model performance per window, against a baseline",
                       description="Realized metrics per window where labels exist (with 95% intervals), "
                                   "estimated ones where they do not yet, degradation against a "
                                   "reference baseline, and label delay.")
    p.add_argument("predictions", metavar="PREDICTIONS", help="predictions (parquet file or directory, .csv, .jsonl)")
    add_common(p)
    add_html(p)
    p.add_argument("--task", choices=["binary", "multiclass", "regression"], help="model task (or model.task in --config)")
    p.add_argument("--prediction", metavar="COL", help="predicted class or value")
    p.add_argument("--proba", metavar="COLS", type=csv_list,
                   help="binary: probability of the positive class; multiclass: one column per class, matched by name "
                        "(proba_cat, p_dog, dog_probability) or else in the classes' sorted order")
    _add_roles(p)
    p.add_argument("--reference", metavar="FILE", help="labeled baseline period")
    p.add_argument("--estimate", action="store_true", default=None,
                   help="estimate metrics without labels (needs --reference): classification from calibrated "
                        "probabilities (CBPE), regression from an error model (DLE); each window says if it is reliable")
    p.add_argument("--features", metavar="COLS", type=csv_list,
                   help="--estimate: the model's input columns (default: every column without a role)")
    p.add_argument("--positive-label", metavar="V", help="binary: the positive class (default 1/True, else the larger label)")
    p.add_argument("--threshold", metavar="T", type=float, help="binary: proba >= T predicts positive when no --prediction (default 0.5)")
    # dests are PerfOptions' field names, so flags map onto options (and errors name them) by name
    p.add_argument("--fp-cost", metavar="C", type=float, dest="false_positive_cost",
                   help="cost of one false positive (default 1)")
    p.add_argument("--fn-cost", metavar="C", type=float, dest="false_negative_cost",
                   help="cost of one false negative (default 1)")
    p.add_argument("--quantile", metavar="Q", type=float, help="regression: quantile that quantile_loss scores (0-1)")
    p.add_argument("--lower", metavar="COL", help="regression: prediction interval lower bound column")
    p.add_argument("--upper", metavar="COL", help="regression: prediction interval upper bound column")
    p.add_argument("--under-cost", metavar="C", type=float, dest="under_prediction_cost",
                   help="regression: cost per unit under-predicted (business_value_captured)")
    p.add_argument("--over-cost", metavar="C", type=float, dest="over_prediction_cost",
                   help="regression: cost per unit over-predicted (business_value_captured)")
    p.add_argument("--baseline", choices=["reference", "previous_window"],
                   help="what a drop is measured against (default reference; config performance.baseline)")
    p.add_argument("--primary", metavar="METRICS", type=csv_list, help="metrics severity watches (comma-separated)")
    p.add_argument("--warning-drop", metavar="X", type=float, help="relative drop that makes a window degraded (default 0.05)")
    p.add_argument("--critical-drop", metavar="X", type=float, help="relative drop that makes a window critical (default 0.15)")
    p.add_argument("--min-labeled-share", metavar="S", type=float,
                   help="windows with fewer labels than this share are sparsely labeled (default 0.5)")
    p.add_argument("--model", metavar="NAME", help="model name recorded in the history")
    p.add_argument("--model-version", metavar="V", dest="version", help="model version recorded in the history")
    p.add_argument("--segment-by", metavar="COLS", type=csv_list,
                   help="also compute the metrics inside every segment of these columns (COL, or COL:TOP20)")
    p.add_argument("--segment-min-rows", metavar="N", type=int,
                   help="segments with fewer rows are reported, not computed (default 100)")
    p.add_argument("--fail-on", choices=["degraded", "critical"], help="exit 1 when a window is at least this severe")
    add_history(p)
    p.set_defaults(func=run_perf)

    lab = sub.add_parser("labels", help="label delay and the share of each window still unlabeled",
                         description="How late labels arrive (median, p95) and how much of each window is still unlabeled.")
    lab.add_argument("predictions", metavar="PREDICTIONS", help="predictions (parquet file or directory, .csv, .jsonl)")
    add_common(lab)
    _add_roles(lab)
    lab.set_defaults(func=run_labels)


def _config(path: Optional[str]):
    if not path:
        return None
    from mlmon.services.config import load_config

    return load_config(path)


def _read(path: Optional[str], args, role: str):
    if not path:
        return None
    from mlmon.io.tables import read_table

    return read_table(path, encoding=args.encoding, role=role).frame


def perf_options(args):
    """The run's options: the config's, then the flags the user gave (the same names)."""
    from dataclasses import fields

    from mlmon.services.performance import PerfOptions

    config = _config(args.config)
    options = PerfOptions.from_config(config) if config is not None else PerfOptions()
    if getattr(args, "chunk_size", None) and options.source("window") == "config":
        options = PerfOptions.from_config(config, chunks=True)  # row chunks asked for: not the config's window
    flags = {f.name: getattr(args, f.name, None) for f in fields(PerfOptions)}
    if getattr(args, "proba", None):  # one column is the positive class's; several are one per class
        flags["proba"] = args.proba[0] if len(args.proba) == 1 else list(args.proba)
    return options.override(**flags)


def run_perf(args) -> int:
    from mlmon.services.performance import compute_performance
    from mlmon.services.recording import record_performance

    from mlmon.services.performance.options import check_options

    options = perf_options(args)
    check_output_paths(args, [args.predictions, options.reference, args.labels], flags=("--output", "--html"))
    check_options(options)
    if args.labels and not options.join_on:
        raise MlmonError("a labels file needs the id column that joins it", "--labels", "pass --join-on ID")
    current = _read(args.predictions, args, "predictions")
    reference = _read(options.reference, args, "reference")
    labels = _read(args.labels, args, "labels")
    data = compute_performance(current, options, reference, labels=labels).to_dict()
    if options.segment_by:
        from mlmon.services.performance.segments import add_segments

        add_segments(data, current, options, reference, labels,
                     wheres=(args.predictions, options.reference or "reference"))
    record(data, args, lambda store, d: record_performance(store, d, options.reference, args.predictions))
    write_html(data, args, _page)
    emit(data, args, _render)
    rank = {"healthy": 0, "degraded": 1, "critical": 2}
    if args.fail_on and rank[data["severity"]] >= rank[args.fail_on]:
        return 1
    return 0


def _page(data: Dict[str, Any]):
    from mlmon.render.html.perf import perf_page

    return perf_page(data)


def _render(data: Dict[str, Any]) -> str:
    from mlmon.render.perf import perf_report

    return perf_report(data)


def run_labels(args) -> int:
    from mlmon.services.labels import compute_labels

    check_output_paths(args, [args.predictions, args.labels], flags=("--output",))
    options = perf_options(args)
    target, timestamp, join_on = options.target, options.timestamp, options.join_on
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
