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
    from mlmon.engines import add_engine_flags

    add_engine_flags(p)
    p.set_defaults(func=run_profile)


def _options(args):
    from mlmon.profiles import ProfileOptions

    given = {"sketch_k": args.sketch_k, "bins_per_octave": args.bins_per_octave, "max_categories": args.max_categories}
    options = ProfileOptions(**{k: v for k, v in given.items() if v is not None})
    options.check()
    return options


def run_profile(args) -> int:
    from mlmon.profiles import SUFFIX, is_profile_path, merge_profiles

    if not args.out.lower().endswith(SUFFIX):  # the name, not the content: the file is to be written
        raise MlmonError(f"a profile's name must end in {SUFFIX}", f"--out {args.out}", f"use e.g. --out reference{SUFFIX}")
    check_output_paths(args, args.data, flags=("--output", "--out"))
    options = _options(args)
    if args.sketch_k is None and args.bins_per_octave is None and args.max_categories is None:
        # merging existing profiles: new data is profiled with their settings
        first = next((p for p in args.data if is_profile_path(p)), None)
        options = _profile_of(first, None, None, (), "data").options if first else options
    profiles = [_profile_of(path, options, args.encoding, args.exclude, "data", args=args) for path in args.data]
    profile = merge_profiles(profiles)
    profile.save(args.out)
    from mlmon.profiles.fileformat import FORMAT_VERSION

    data = {"schema_version": 1, "profile": args.out, "bytes": os.path.getsize(args.out), "format_version": FORMAT_VERSION}
    data.update(profile.summary())
    from mlmon.render.profile import profile_report

    emit(data, args, profile_report)
    return 0


def _profile_of(path, options, encoding, exclude, role, kinds_out=None, args=None):
    """A profile of ``path``: read from a .mlprofile file, or made from a data file."""
    from mlmon.profiles import is_profile_path, load_profile

    if is_profile_path(path):
        profile = load_profile(path)
        if options is not None and profile.options != options:
            raise MlmonError("the profile was made with other options than this run's", path,
                             "profile again with the same --sketch-k / --bins-per-octave / --max-categories")
        return _drop(profile, exclude)
    from mlmon.engines import profile_data

    # streamed in batches (or on Dask with --engine dask): memory bounded whatever the size
    return _drop(profile_data(path, args, options=options, encoding=encoding, role=role), exclude)


def _drop(profile, exclude):
    if not exclude:
        return profile
    from mlmon.profiles import Profile

    cols = {n: c for n, c in profile.columns.items() if n not in set(exclude)}
    return Profile(columns=cols, rows=profile.rows, options=profile.options, sources=profile.sources)


def run_profile_drift(args, options_for) -> int:
    """``mlmon drift`` when the reference or the current input is a ``.mlprofile`` file.

    ``options_for(columns)`` builds the DriftOptions from the flags and the config, exactly as
    for data files."""
    from mlmon.profiles import drift_from_profiles, is_profile_path, load_profile

    if args.html:
        raise MlmonError("the HTML report needs the rows, a profile holds summaries", f"--html {args.html}",
                         "drop --html, or compare the data files")
    if is_profile_path(args.reference):
        reference = load_profile(args.reference)
        current = _profile_of(args.current, reference.options, args.encoding, (), "current", args=args)
    elif not is_profile_path(args.current):  # two data inputs with --engine: both profiled by the engine
        from mlmon.profiles import ProfileOptions

        reference = _profile_of(args.reference, ProfileOptions(), args.encoding, (), "reference", args=args)
        current = _profile_of(args.current, reference.options, args.encoding, (), "current", args=args)
    else:
        current = load_profile(args.current)
        reference = _profile_of(args.reference, current.options, args.encoding, (), "reference", args=args)
    options, config_warnings = options_for(list(current.columns))
    result = drift_from_profiles(reference, current, options, reference_path=args.reference, current_path=args.current)
    data = result.to_dict()
    data["warnings"].extend(config_warnings)
    from mlmon.cli.drift import report_drift
    from mlmon.render.profile import profile_drift_report

    return report_drift(data, args, profile_drift_report)
