"""``mlmon profile`` and the drift check against ``.mlprofile`` inputs."""

from __future__ import annotations

import argparse
import os

from mlmon.cli.common import add_common, check_output_paths, csv_list, emit
from mlmon.errors import MlmonError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def register(sub) -> None:
    p = sub.add_parser("profile", help="write a compact, mergeable reference profile",
                       description="Summarise DATA (parquet file or directory, .csv, .jsonl; several inputs, "
                                   "or existing .mlprofile files, are merged) into a .mlprofile file that "
                                   "`mlmon drift PROFILE CURRENT` compares against.")
    p.add_argument("data", metavar="DATA", nargs="+")
    p.add_argument("--out", metavar="FILE", required=True, help="the profile to write (FILE.mlprofile)")
    add_common(p)
    p.add_argument("--exclude", metavar="COLS", type=csv_list, default=[], help="leave columns out")
    p.add_argument("--sketch-k", metavar="K", type=_positive_int, default=None,
                   help="KLL sketch size: rank error about 1.33%% at 200, 0.67%% at 400 (default), 0.33%% at 800")
    p.add_argument("--bins-per-octave", metavar="B", type=_positive_int, default=None,
                   help="fine histogram resolution, a power of two (default 1024: bins within 0.1%% of a value)")
    p.add_argument("--max-categories", metavar="N", type=_positive_int, default=None,
                   help="exact counts for at most N values per column; the rarest beyond are pooled (default 10000)")
    p.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")
    add_engine_flags(p)
    p.set_defaults(func=run_profile)


def _batch_rows(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of rows, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 row, got {value}")
    return value


def add_engine_flags(p: argparse.ArgumentParser) -> None:
    """``--engine``, ``--dask-scheduler`` and ``--batch-rows``, the same on ``profile`` and ``drift``;
    :func:`engine_options` maps them onto the engines' :class:`~mlmon.engines.EngineOptions`."""
    p.add_argument("--engine", choices=["local", "dask"], default=None,
                   help="compute profiles by streaming batches on this machine (local) or on a Dask cluster (dask)")
    p.add_argument("--dask-scheduler", metavar="ADDR",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask; "
                        "default: a local cluster with one worker per core)")
    from mlmon.io import DEFAULT_BATCH_ROWS

    p.add_argument("--batch-rows", metavar="N", type=_batch_rows, default=None,
                   help=f"rows read at a time; bounds memory (default {DEFAULT_BATCH_ROWS:,})")


def engine_options(args):
    """The engine flags as the engines' options (a flag not given keeps the engine's default)."""
    from mlmon.engines import EngineOptions

    return EngineOptions().override(engine=getattr(args, "engine", None),
                                    dask_scheduler=getattr(args, "dask_scheduler", None),
                                    batch_rows=getattr(args, "batch_rows", None)).check()


def _options(args):
    from mlmon.profiles import ProfileOptions

    given = {"sketch_k": args.sketch_k, "bins_per_octave": args.bins_per_octave, "max_categories": args.max_categories}
    options = ProfileOptions(**{k: v for k, v in given.items() if v is not None})
    options.check()
    return options


def run_profile(args) -> int:
    from mlmon.profiles import SUFFIX
    from mlmon.services.profiling import profile_inputs

    if not args.out.lower().endswith(SUFFIX):  # the name, not the content: the file is to be written
        raise MlmonError(f"a profile's name must end in {SUFFIX}", f"--out {args.out}", f"use e.g. --out reference{SUFFIX}")
    check_output_paths(args, args.data, flags=("--output", "--out"))
    options = _options(args)
    if args.sketch_k is None and args.bins_per_octave is None and args.max_categories is None:
        options = None  # merging existing profiles: new data is profiled with their settings
    profile = profile_inputs(args.data, options, engine_options(args), args.encoding, args.exclude)
    profile.save(args.out)
    from mlmon.profiles.fileformat import FORMAT_VERSION

    data = {"schema_version": 1, "profile": args.out, "bytes": os.path.getsize(args.out), "format_version": FORMAT_VERSION}
    data.update(profile.summary())
    from mlmon.render.profile import profile_report

    emit(data, args, profile_report)
    return 0


def run_profile_drift(args, options_for) -> int:
    """``mlmon drift`` when the reference or the current input is a ``.mlprofile`` file, or an
    engine was asked for.

    ``options_for(columns)`` builds the DriftOptions from the flags and the config, exactly as
    for data files."""
    from mlmon.profiles import drift_from_profiles
    from mlmon.services.profiling import profiles_to_compare

    if args.evidently_html:
        raise MlmonError("Evidently's report needs the rows, a profile holds summaries",
                         f"--evidently-html {args.evidently_html}", "drop --evidently-html, or compare the data files")
    reference, current = profiles_to_compare(args.reference, args.current, engine_options(args), args.encoding)
    options, config_warnings = options_for(list(current.columns) + [c for c in reference.columns if c not in current.columns])
    result = drift_from_profiles(reference, current, options, reference_path=args.reference, current_path=args.current)
    data = result.to_dict()
    data["warnings"].extend(config_warnings)
    from mlmon.cli.drift import report_drift
    from mlmon.render.profile import profile_drift_report

    return report_drift(data, args, profile_drift_report)
