"""The command line: parse argv, call a service, render the result, choose the exit code.

Exit codes: 0 the command did its job (whatever it found); 1 only when the user asked for it
with ``--fail-on``; 2 usage or input errors, reported as one line on stderr (``--debug`` shows
the traceback instead).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
import warnings
from typing import Dict, List, Optional, Sequence

from mlmon import __version__
from mlmon.errors import MlmonError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        raise MlmonError(message, self.prog, f"see `{self.prog} --help`")


def _csv_list(text: str) -> List[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _column_method(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected COLUMN=METHOD, got {text!r}")
    col, method = text.rsplit("=", 1)
    if not col or not method:
        raise argparse.ArgumentTypeError(f"expected COLUMN=METHOD, got {text!r}")
    return col, method


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["md", "json"], default="md", help="report format (default: md)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlmon", description="Production ML model monitoring toolkit.")
    parser.add_argument("--version", action="version", version=f"mlmon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("drift", help="data drift between a reference and a current dataset",
                       description="Per-column and dataset drift between REFERENCE and CURRENT "
                                   "(parquet file or directory, .csv, .jsonl).")
    d.add_argument("reference", metavar="REFERENCE")
    d.add_argument("current", metavar="CURRENT")
    _common(d)
    d.add_argument("--html", metavar="FILE", help="also write Evidently's interactive HTML drift report")
    d.add_argument("--target", metavar="COL", help="target column (drift reported separately)")
    d.add_argument("--prediction", metavar="COL", help="prediction column (drift reported separately)")
    d.add_argument("--numerical", metavar="COLS", type=_csv_list, default=[], help="force columns numerical (comma-separated)")
    d.add_argument("--categorical", metavar="COLS", type=_csv_list, default=[], help="force columns categorical")
    d.add_argument("--exclude", metavar="COLS", type=_csv_list, default=[], help="leave columns out")
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
    d.add_argument("--fail-on", choices=["drift", "critical"],
                   help="exit 1 on dataset drift / critical severity (for CI gates)")
    d.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")
    d.add_argument("--history", metavar="PATH", help="history database (default .mlmon/history.db)")
    d.add_argument("--no-history", action="store_true", help="do not record this run")

    demo = sub.add_parser("demo", help="run a drift check on built-in demo data",
                          description="Write a demo reference and a drifted current dataset, then run the drift check on them.")
    _common(demo)
    demo.add_argument("--out-dir", metavar="DIR", default=os.path.join(".mlmon", "demo"),
                      help="where the demo parquet files go (default .mlmon/demo)")
    demo.add_argument("--no-history", action="store_true", help="do not record this run")

    m = sub.add_parser("methods", help="list the drift tests", description="List the drift tests mlmon knows.")
    _common(m)

    v = sub.add_parser("validate", help="check monitoring config files",
                       description="Check monitoring configs against the schema and the semantic rules. "
                                   "Each problem is one line FILE:LINE:COL: path.to.key: message; exit 2 when any "
                                   "file has an error.")
    v.add_argument("files", metavar="FILE", nargs="+")
    v.add_argument("--format", choices=["md", "json"], default="md", help="md: one line per problem (default)")
    v.add_argument("--debug", action="store_true", help="show tracebacks for errors")

    i = sub.add_parser("init", help="write a starter monitoring config",
                       description="Write an annotated starter monitoring.yaml; with --data, the column roles "
                                   "are inferred from a sample of your data.")
    i.add_argument("--data", metavar="SAMPLE_FILE", help="sample data file (parquet, csv, jsonl) to infer columns from")
    i.add_argument("--output", metavar="FILE", default="monitoring.yaml", help="where to write (default monitoring.yaml)")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    i.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = parser.parse_args(argv)
            if not args.command:
                parser.print_help()
                return 0
            commands = {"drift": _cmd_drift, "demo": _cmd_demo, "methods": _cmd_methods,
                        "validate": _cmd_validate, "init": _cmd_init}
            return commands[args.command](args)
    except MlmonError as exc:
        if debug:
            traceback.print_exc()
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlmon: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(
                f"mlmon: error: internal error: {type(exc).__name__}: {exc} (mlmon {__version__}); "
                "rerun with --debug and report the traceback",
                file=sys.stderr,
            )
        return 2


# ---------------------------------------------------------------------------- commands


def _cmd_drift(args) -> int:
    from mlmon.io.tables import read_table
    from mlmon.services.drift import DriftOptions, compute_drift

    _check_output_paths(args)
    reference = read_table(args.reference, encoding=args.encoding, role="reference")
    current = read_table(args.current, encoding=args.encoding, role="current")
    settings: Dict[str, object] = {}
    config_warnings: List[str] = []
    if args.config:
        from mlmon.services.config import load_config
        from mlmon.services.drift import options_from_config

        settings, config_warnings = options_from_config(load_config(args.config), current.columns)
    flags = {
        "method": args.method,
        "threshold": args.threshold,
        "drift_share": args.drift_share,
        "fdr": args.fdr,
        "multivariate": args.multivariate,
        "target": args.target,
        "prediction": args.prediction,
    }
    settings.update({k: v for k, v in flags.items() if v is not None})
    for key, given in (("numerical", args.numerical), ("categorical", args.categorical), ("exclude", args.exclude)):
        if given:  # a flag list replaces the config's, and takes its columns out of the other lists
            settings[key] = list(given)
            for other in ("numerical", "categorical"):
                if other != key and settings.get(other):
                    settings[other] = [c for c in settings[other] if c not in given]
    column_methods = dict(settings.pop("column_methods", {}) or {})
    column_methods.update({col: method for col, method in args.column_method})
    options = DriftOptions(column_methods=column_methods, mmd_gamma=args.mmd_gamma, **settings)
    result = compute_drift(reference, current, options)
    data = result.to_dict()
    data["warnings"].extend(config_warnings)
    if args.html:
        from mlmon.render.html import write_evidently_html

        write_evidently_html(reference, current, data, args.html)
    _record(data, args)
    _emit(data, args, kind="drift")
    if args.fail_on == "drift" and data["dataset_drift"]:
        return 1
    if args.fail_on == "critical" and data["severity"] == "critical":
        return 1
    return 0


def _cmd_demo(args) -> int:
    from mlmon.io.tables import read_table
    from mlmon.services.demo import DEMO_PREDICTION, DEMO_TARGET, write_demo_data
    from mlmon.services.drift import DriftOptions, compute_drift

    ref_path, cur_path = write_demo_data(args.out_dir)
    reference = read_table(ref_path, role="reference")
    current = read_table(cur_path, role="current")
    result = compute_drift(reference, current, DriftOptions(target=DEMO_TARGET, prediction=DEMO_PREDICTION))
    data = result.to_dict()
    _record(data, args)
    _emit(data, args, kind="drift")
    return 0


def _cmd_methods(args) -> int:
    from mlmon.stats import univariate

    rows = [
        {
            "id": t.id,
            "name": t.display_name,
            "column_types": sorted(t.column_types),
            "default_threshold": t.default_threshold,
            "score_kind": t.score_kind,
            "drift_rule": univariate.drift_rule(t),
        }
        for t in sorted(univariate.available().values(), key=lambda t: t.id.lower())
    ]
    if args.format == "json":
        text = json.dumps({"schema_version": 1, "methods": rows}, indent=2) + "\n"
    else:
        from mlmon.render.markdown import methods_table

        text = methods_table(rows)
    _write(text, args.output)
    return 0


def _cmd_validate(args) -> int:
    from mlmon.services.config import validate_file

    results = [(path, validate_file(path)) for path in args.files]
    valid = all(p.severity != "error" for _, problems in results for p in problems)
    if args.format == "json":
        files = [
            {"file": path, "valid": all(p.severity != "error" for p in problems),
             "problems": [p.to_dict() for p in problems]}
            for path, problems in results
        ]
        _write(json.dumps({"schema_version": 1, "valid": valid, "files": files}, indent=2) + "\n", None)
    else:
        _write("".join(p.format() + "\n" for _, problems in results for p in problems), None)
        for path, problems in results:
            if all(p.severity != "error" for p in problems):
                print(f"mlmon: {path}: valid", file=sys.stderr)
    return 0 if valid else 2


def _cmd_init(args) -> int:
    from mlmon.services.config import starter_config, validate_text

    if os.path.exists(args.output) and not args.force:
        raise MlmonError("file already exists", args.output, "pass --force to overwrite it, or --output another name")
    if os.path.isdir(args.output):
        raise MlmonError("output path is a directory", f"--output {args.output}", "give a file name")
    text = starter_config(args.data)
    errors = [p for p in validate_text(text, args.output) if p.severity == "error"]
    if errors:  # column names the config cannot hold; say so rather than write a broken file
        raise MlmonError(f"the starter config would not validate: {errors[0].path}: {errors[0].message}",
                         args.data or "default config", "rename the column or write the config by hand")
    _write(text, args.output)
    return 0


# ---------------------------------------------------------------------------- helpers


def _record(data: dict, args) -> None:
    if getattr(args, "no_history", False):
        return
    from mlmon.store.history import DEFAULT_PATH, HistoryStore

    path = getattr(args, "history", None) or DEFAULT_PATH
    try:
        HistoryStore(path).append_drift(data)
    except Exception as exc:  # the drift result stands even when it cannot be recorded
        data["warnings"].append(f"history not recorded ({path}: {exc}); pass --history PATH or --no-history")


def _emit(data: dict, args, kind: str) -> None:
    if args.format == "json":
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    else:
        from mlmon.render.markdown import drift_report

        text = drift_report(data)
    _write(text, args.output)


def _check_output_paths(args) -> None:
    for flag, path in (("--output", args.output), ("--html", getattr(args, "html", None))):
        if not path:
            continue
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise MlmonError("output directory does not exist", f"{flag} {path}", "create the directory first")
        if os.path.isdir(path):
            raise MlmonError("output path is a directory", f"{flag} {path}", "give a file name")
        for inp in (args.reference, args.current):
            if os.path.exists(path) and os.path.exists(inp) and os.path.samefile(path, inp):
                raise MlmonError("output would overwrite an input file", f"{flag} {path}", "choose another file name")


def _write(text: str, path: Optional[str]) -> None:
    """Write atomically: a failed run never leaves a half-written or emptied file behind."""
    if not path:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise MlmonError(f"cannot write the report: {exc.strerror or exc}", path, "choose a writable location") from exc
    print(f"mlmon: wrote {path}", file=sys.stderr)
