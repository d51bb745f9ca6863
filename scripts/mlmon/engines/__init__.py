"""Engines: how a profile of a whole source is computed from its batches.

- ``local`` streams the source in batches on this machine and merges each batch's profile into
  one; memory is bounded by the batch, not the source.
- ``dask`` cuts a parquet source into pieces (row groups), profiles the pieces on the workers of
  a ``dask.distributed`` cluster and merges the profiles there in a tree.

Both give the same profile: merging is exact for counts and histograms, and the quantile sketch
merge is the sketch's own (see :mod:`mlmon.profiles`).

The CLI adds the flags with :func:`add_engine_flags` and profiles a data input with
:func:`profile_data` (which reads the flags) or :func:`profile_path`.
"""

from __future__ import annotations

import argparse
import os
from typing import Optional

from mlmon.errors import MlmonError
from mlmon.io import DEFAULT_BATCH_ROWS

ENGINES = ("local", "dask")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of rows, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 row, got {value}")
    return value


def add_engine_flags(p: argparse.ArgumentParser) -> None:
    """``--engine``, ``--dask-scheduler`` and ``--batch-rows``, the same on ``profile`` and ``drift``."""
    p.add_argument("--engine", choices=ENGINES, default=None,
                   help="compute profiles by streaming batches on this machine (local) or on a Dask cluster (dask)")
    p.add_argument("--dask-scheduler", metavar="ADDR",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask; "
                        "default: a local cluster with one worker per core)")
    p.add_argument("--batch-rows", metavar="N", type=_positive_int, default=DEFAULT_BATCH_ROWS,
                   help=f"rows read at a time; bounds memory (default {DEFAULT_BATCH_ROWS:,})")


def engine_of(args) -> Optional[str]:
    """The engine the flags ask for: ``--dask-scheduler`` implies dask; None when neither flag was given."""
    engine = getattr(args, "engine", None)
    if getattr(args, "dask_scheduler", None):
        if engine == "local":
            raise MlmonError("--dask-scheduler needs --engine dask", "command line",
                             "drop --engine local, or drop --dask-scheduler")
        return "dask"
    return engine


def profile_path(path: str, *, engine: str = "local", batch_rows: int = DEFAULT_BATCH_ROWS,
                 options=None, encoding: Optional[str] = None, role: str = "data",
                 scheduler: Optional[str] = None, workers: Optional[int] = None):
    """The profile of ``path`` (parquet file or directory, CSV/TSV) computed by ``engine``."""
    from mlmon.io.stream import open_stream

    stream = open_stream(path, batch_rows=batch_rows, encoding=encoding, role=role)
    if engine == "dask":
        from mlmon.engines.dask import profile_stream as dask_profile

        profile = dask_profile(stream, options=options, scheduler=scheduler, workers=workers)
    else:
        from mlmon.engines.local import profile_stream

        profile = profile_stream(stream, options=options)
    profile.sources = [path]
    return profile


def profile_data(path: str, args, *, options=None, encoding: Optional[str] = None, role: str = "data"):
    """The profile of the data file or directory ``path`` with the engine ``args`` ask for.

    Streamed (local engine) unless ``--engine dask``/``--dask-scheduler`` says otherwise; JSON
    Lines, which cannot be read in batches, is read whole and profiled in one piece.
    """
    from mlmon.io.tables import JSONL_SUFFIXES

    engine = engine_of(args) or "local"
    if not os.path.isdir(path) and path.lower().endswith(JSONL_SUFFIXES):
        if engine == "dask":
            raise MlmonError("JSON Lines cannot be split across Dask workers", _role_path(path, role),
                             "convert it to parquet, or drop --engine dask")
        from mlmon.io.tables import read_table
        from mlmon.profiles.profile import profile_frame

        table = read_table(path, encoding=encoding, role=role)
        return profile_frame(table.frame, options, table.kinds, source=path)
    return profile_path(path, engine=engine, batch_rows=getattr(args, "batch_rows", None) or DEFAULT_BATCH_ROWS,
                        options=options, encoding=encoding, role=role, scheduler=getattr(args, "dask_scheduler", None))


def _role_path(path: str, role: str) -> str:
    return f"{role} {path}" if role != "data" else path
