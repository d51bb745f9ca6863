"""``mlmon validate`` and ``mlmon init``: the monitoring config."""

from __future__ import annotations

import json
import os
import sys

from mlmon.cli.common import write
from mlmon.errors import MlmonError


def register(sub) -> None:
    v = sub.add_parser("validate", help="check monitoring config files",
                       description="Check monitoring configs against the schema and the semantic rules. "
                                   "Each problem is one line FILE:LINE:COL: path.to.key: message; exit 2 when any "
                                   "file has an error.")
    v.add_argument("files", metavar="FILE", nargs="+")
    v.add_argument("--format", choices=["md", "json"], default="md", help="md: one line per problem (default)")
    v.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    v.set_defaults(func=run_validate)

    i = sub.add_parser("init", help="write a starter monitoring config",
                       description="Write an annotated starter monitoring.yaml; with --data, the column roles "
                                   "are inferred from a sample of your data.")
    i.add_argument("--data", metavar="SAMPLE_FILE", help="sample data file (parquet, csv, jsonl) to infer columns from")
    i.add_argument("--output", metavar="FILE", default="monitoring.yaml", help="where to write (default monitoring.yaml)")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    i.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    i.set_defaults(func=run_init)


def run_validate(args) -> int:
    from mlmon.services.config import validate_file

    results = [(path, validate_file(path)) for path in args.files]
    valid = all(p.severity != "error" for _, problems in results for p in problems)
    if args.format == "json":
        files = [
            {"file": path, "valid": all(p.severity != "error" for p in problems),
             "problems": [p.to_dict() for p in problems]}
            for path, problems in results
        ]
        write(json.dumps({"schema_version": 1, "valid": valid, "files": files}, indent=2) + "\n", None)
    else:
        # the problems are the report (file:line:col lines, as a linter prints them): stdout;
        # the verdict per file is a status line: stderr, so a script reading stdout gets only problems
        write("".join(p.format() + "\n" for _, problems in results for p in problems), None)
        for path, problems in results:
            errors = sum(p.severity == "error" for p in problems)
            others = len(problems) - errors
            notes = f" ({others} warning{'s' if others != 1 else ''})" if others else ""
            if errors:
                print(f"mlmon: {path}: invalid, {errors} error{'s' if errors != 1 else ''}{notes}", file=sys.stderr)
            else:
                print(f"mlmon: {path}: valid{notes}", file=sys.stderr)
    return 0 if valid else 2


def run_init(args) -> int:
    from mlmon.services.config import validate_text

    if os.path.exists(args.output) and not args.force:
        raise MlmonError("file already exists", args.output, "pass --force to overwrite it, or --output another name")
    if os.path.isdir(args.output):
        raise MlmonError("output path is a directory", f"--output {args.output}", "give a file name")
    from mlmon.services.config.starter import starter

    text, guessed = starter(args.data)
    errors = [p for p in validate_text(text, args.output) if p.severity == "error"]
    if errors:  # column names the config cannot hold; say so rather than write a broken file
        raise MlmonError(f"the starter config would not validate: {errors[0].path}: {errors[0].message}",
                         args.data or "default config", "rename the column or write the config by hand")
    write(text, args.output)
    for line in guessed:  # the roles were guessed: show them so the user checks them
        print(f"mlmon: guessed {line}", file=sys.stderr)
    return 0
