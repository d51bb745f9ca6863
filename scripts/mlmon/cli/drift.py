"""``mlmon drift`` and ``mlmon methods``."""

from __future__ import annotations

import argparse
import json

from mlmon.cli.common import add_common, add_history, add_html, check_output_paths, csv_list, emit, record, write, write_html


def _column_method(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected COLUMN=METHOD, got {text!r}")
    col, method = text.rsplit("=", 1)
    if not col or not method:
        raise argparse.ArgumentTypeError(f"expected COLUMN=METHOD, got {text!r}")
    return col, method


def register(sub) -> None:
    d = sub.add_parser("drift", help="data drift between a reference and a current dataset",
                       description="Per-column and dataset drift between REFERENCE and CURRENT "
                                   "(parquet file or directory, .csv, .jsonl, or a .mlprofile from `mlmon profile`).")
    d.add_argument("reference", metavar="REFERENCE")
    d.add_argument("current", metavar="CURRENT")
    add_common(d)
    add_html(d)
    d.add_argument("--evidently-html", metavar="FILE", help="also write Evidently's interactive HTML drift report "
                                                             "(re-runs Evidently: slow on large data)")
    d.add_argument("--target", metavar="COL", help="target column (drift reported separately)")
    d.add_argument("--prediction", metavar="COL", help="prediction column (drift reported separately)")
    d.add_argument("--numerical", metavar="COLS", type=csv_list, default=[], help="force columns numerical (comma-separated)")
    d.add_argument("--categorical", metavar="COLS", type=csv_list, default=[], help="force columns categorical")
    d.add_argument("--exclude", metavar="COLS", type=csv_list, default=[], help="leave columns out")
    d.add_argument("--method", metavar="ID", help="drift test for every column it applies to (see `mlmon methods`)")
    d.add_argument("--column-method", metavar="COL=ID", type=_column_method, action="append", default=[],
                   help="drift test for one column (repeatable)")
    d.add_argument("--threshold", metavar="X", type=float, help="threshold for every column (default: the test's own)")
    d.add_argument("--config", metavar="FILE", help="monitoring config (column roles, methods, thresholds); flags override it")
    d.add_argument("--drift-share", metavar="S", type=float, default=None,
                   help="share of drifted features that makes dataset drift (default 0.5)")
    d.add_argument("--fdr", metavar="Q", type=float,
                   help="control the false discovery rate of p-value tests at Q (Benjamini-Hochberg)")
    d.add_argument("--multivariate", choices=["mmd"], help="also test the joint distribution of numerical features")
    d.add_argument("--mmd-gamma", metavar="G", type=float, help="RBF kernel gamma for MMD (default: median heuristic)")
    d.add_argument("--timestamp", metavar="COL", help="timestamp column: windows are cut on it (never drift-tested)")
    d.add_argument("--window", metavar="DURATION",
                   help="drift per calendar window of the current data, in its own time zone: 6h, 1D, 1W, 1M (needs --timestamp)")
    d.add_argument("--chunk-size", metavar="N", type=int, help="drift per chunk of N current rows (in timestamp order with --timestamp)")
    d.add_argument("--timezone", metavar="TZ", help="time zone that calendar windows follow (IANA name; default: the data's own)")
    d.add_argument("--calibrate", action=argparse.BooleanOptionalAction, default=None,
                   help="thresholds from the score's distribution under no change at the window's size, estimated on "
                        "the reference (default: on with --window/--chunk-size, off for two files)")
    d.add_argument("--false-alarm-rate", metavar="R", type=float,
                   help="calibrated thresholds: chance a stable window flags a column (default 0.01)")
    d.add_argument("--embedding", metavar="PREFIX", type=csv_list, default=None,
                   help="columns sharing this prefix are one embedding, tested as one vector column "
                        "(parquet list<float> columns are found without it)")
    d.add_argument("--text", metavar="COLS", type=csv_list, default=None,
                   help="test these text columns through descriptors: length, share of non-letters, share of words "
                        "outside the reference's vocabulary")
    d.add_argument("--segment-by", metavar="COLS", type=csv_list, default=None,
                   help="also check drift inside every segment of these columns (COL, or COL:TOP20 for the 20 most "
                        "frequent values, the rest pooled); false discoveries controlled across segments x columns")
    d.add_argument("--segment-min-rows", metavar="N", type=int,
                   help="segments with fewer rows on a side are reported, not tested (default 100)")
    d.add_argument("--segment-fdr", metavar="Q", type=float,
                   help="false discovery rate across (segment, column) pairs (default 0.05)")
    d.add_argument("--fail-on", choices=["drift", "critical"],
                   help="exit 1 on dataset drift / critical severity (for CI gates)")
    d.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")
    from mlmon.cli.profile import add_engine_flags

    add_engine_flags(d)
    add_history(d)
    d.set_defaults(func=run_drift)

    m = sub.add_parser("methods", help="list the drift tests", description="List the drift tests mlmon knows.")
    add_common(m)
    m.set_defaults(func=run_methods)


def _render(data: dict) -> str:
    from mlmon.render.markdown import drift_report

    return drift_report(data)


def run_drift(args) -> int:
    from mlmon.io.tables import read_table
    from mlmon.profiles.magic import is_profile_path  # the first bytes: imports no profile machinery
    from mlmon.services.drift.windowed import run_two_files, run_windowed

    check_output_paths(args, [args.reference, args.current], flags=OUTPUT_FLAGS)
    from mlmon.cli.profile import engine_options

    # a profile on either side, or --engine: compare profiles (data streamed, memory bounded)
    if is_profile_path(args.reference) or is_profile_path(args.current) or engine_options(args).asked:
        from mlmon.cli.profile import run_profile_drift

        if args.segment_by or args.text:
            from mlmon.errors import MlmonError

            raise MlmonError("segments and text descriptors need rows, not profiles or an engine", "command line",
                             "compare the data files to use --segment-by or --text")
        if args.window or args.chunk_size is not None or args.calibrate:
            from mlmon.errors import MlmonError

            raise MlmonError("windows and calibrated thresholds need rows, not profiles or an engine", "command line",
                             "compare the data files, or drop --window/--chunk-size/--calibrate")

        return run_profile_drift(args, lambda columns: _drift_options(args, columns))
    reference = read_table(args.reference, encoding=args.encoding, role="reference")
    current = read_table(args.current, encoding=args.encoding, role="current")
    options, config_warnings = _drift_options(args, both_sides(reference.columns, current.columns))
    if options.text:
        from mlmon.services.drift.text import with_text_descriptors

        reference, current = with_text_descriptors(reference, current, options.text)
    if options.segment_by:
        from mlmon.services.drift.segments import check_not_windowed, check_segment_options

        check_not_windowed(options)
        check_segment_options(options)
    counted: dict = {}  # a page's histograms, counted on each column while the run holds it sorted
    if options.windowed:
        result = run_windowed(reference, current, options)
    else:
        result = run_two_files(reference, current, options, on_sorted=_counter(counted) if args.html else None)
    if options.segment_by:
        from mlmon.services.drift.segments import run_segments

        result = run_segments(reference, current, options, result)
    data = result.to_dict()
    data["warnings"].extend(config_warnings)
    if args.evidently_html:
        from mlmon.render.html.evidently import write_evidently_html

        write_evidently_html(reference, current, data, args.evidently_html)
    pictures = None
    if args.html:  # binned summaries only for a page: the JSON-only run never computes them
        from mlmon.services.distributions import drift_distributions

        pictures = lambda: drift_distributions(data, reference.frame, current.frame, counted)  # noqa: E731
    return report_drift(data, args, distributions=pictures)


def _counter(counted: dict):
    from mlmon.services.distributions import sorted_summary

    def count(name, reference, current):
        counted[name] = sorted_summary(reference, current)
    return count


#: The files ``mlmon drift`` may write.
OUTPUT_FLAGS = ("--output", "--html", "--evidently-html")


def report_drift(data: dict, args, render=_render, distributions=None) -> int:
    """Record a drift result, print it, write its page (``--html``), and choose the exit code (1
    only when ``--fail-on`` trips); the same for drift from rows and drift from profiles.
    ``distributions()`` gives the page's binned summaries (None: a page without them)."""
    from mlmon.services.recording import record_drift

    record(data, args, record_drift)
    if getattr(args, "html", None):
        write_page(data, args, distributions() if distributions else None)
    emit(data, args, render)
    fail_on = getattr(args, "fail_on", None)
    if fail_on == "drift" and data["dataset_drift"]:
        return 1
    if fail_on == "critical" and data["severity"] == "critical":
        return 1
    return 0


def write_page(data: dict, args, distributions=None) -> None:
    from mlmon.render.html.drift import drift_page

    write_html(data, args, lambda d: drift_page(d, distributions))


def both_sides(reference_columns, current_columns) -> list:
    """The columns of either side: a config's target or exclusion the reference alone holds still
    counts (labels arrive after predictions; an extra reference column is left out by name)."""
    return list(current_columns) + [c for c in reference_columns if c not in set(current_columns)]


def _drift_options(args, columns):
    """DriftOptions from the config (if any) and the flags, for data with ``columns``."""
    from mlmon.services.drift import DriftOptions

    config = None
    if args.config:
        from mlmon.services.config import load_config

        config = load_config(args.config)
    options = DriftOptions.from_config(config, columns)
    flags = {
        "method": args.method,
        "threshold": args.threshold,
        "drift_share": args.drift_share,
        "fdr": args.fdr,
        "multivariate": args.multivariate,
        "mmd_gamma": args.mmd_gamma,
        "target": args.target,
        "prediction": args.prediction,
        "timestamp": getattr(args, "timestamp", None),
        "window": getattr(args, "window", None),
        "chunk_size": getattr(args, "chunk_size", None),
        "timezone": getattr(args, "timezone", None),
        "calibrate": getattr(args, "calibrate", None),
        "false_alarm_rate": getattr(args, "false_alarm_rate", None),
        "segment_by": getattr(args, "segment_by", None) or None,
        "embedding": getattr(args, "embedding", None) or None,
        "text": getattr(args, "text", None) or None,
        "segment_min_rows": getattr(args, "segment_min_rows", None),
        "segment_fdr": getattr(args, "segment_fdr", None),
    }
    lists = {"numerical": list(options.numerical), "categorical": list(options.categorical)}
    for key, given in (("numerical", args.numerical), ("categorical", args.categorical), ("exclude", args.exclude)):
        if given:  # a flag list replaces the config's, and takes its columns out of the other lists
            lists[key] = list(given)
            for other in ("numerical", "categorical"):
                if other != key and lists[other]:
                    lists[other] = [c for c in lists[other] if c not in given]
    if args.numerical or args.categorical or args.exclude:
        flags.update(lists)
    if args.column_method:
        flags["column_methods"] = {**options.column_methods, **dict(args.column_method)}
    return options.override(**flags), list(options.config_warnings)


def run_methods(args) -> int:
    from mlmon.stats.univariate import catalog  # the declarations: listing imports no test

    rows = [
        {
            "id": t.id,
            "name": t.display_name,
            "column_types": sorted(t.column_types),
            "default_threshold": t.default_threshold,
            "score_kind": t.score_kind,
            "drift_rule": t.drift_rule,
            "from_profile": dict(t.summaries),
        }
        for t in catalog.CATALOG
    ]
    if args.format == "json":
        text = json.dumps({"schema_version": 1, "methods": rows}, indent=2) + "\n"
    else:
        from mlmon.render.markdown import methods_table

        text = methods_table(rows)
    write(text, args.output)
    return 0
