"""Engines: how a profile of a whole source is computed from its batches.

- ``local`` streams the source in batches on this machine and merges each batch's profile into
  one; memory is bounded by the batch, not the source.
- ``dask`` cuts a parquet source into pieces (row groups), profiles the pieces on the workers of
  a ``dask.distributed`` cluster and merges the profiles there in a tree.

Both give the same profile: merging is exact for counts and histograms, and the quantile sketch
merge is the sketch's own (see :mod:`mlmon.profiles`).

Callers say which engine with :class:`EngineOptions` (the CLI maps its flags onto it) and
profile a data input with :func:`profile_data` or :func:`profile_path`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io import DEFAULT_BATCH_ROWS
from mlmon.services.options import Options

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class EngineOptions(Options):
    """How a source is profiled: ``engine`` (None: not asked for; a scheduler address implies
    dask), the Dask scheduler (None: a local cluster), and the rows read at a time."""

    engine: Optional[str] = None
    dask_scheduler: Optional[str] = None
    batch_rows: int = DEFAULT_BATCH_ROWS
    workers: Optional[int] = None

    def check(self) -> "EngineOptions":
        """These options, when they make sense together; one line (exit 2) otherwise."""
        self.asked
        return self

    @property
    def asked(self) -> Optional[str]:
        """The engine asked for, None when neither an engine nor a scheduler was given.

        >>> EngineOptions(dask_scheduler="tcp://h:8786").asked, EngineOptions().asked
        ('dask', None)
        """
        if self.dask_scheduler:
            if self.engine == "local":
                raise MlmonError(f"{option('dask_scheduler')} needs {option('engine')} dask", OPTIONS,
                                 f"drop {option('engine')} local, or drop {option('dask_scheduler')}")
            return "dask"
        if self.engine is not None and self.engine not in ENGINES:
            raise MlmonError(f"unknown engine {self.engine!r}", option("engine"), f"use one of: {', '.join(ENGINES)}")
        return self.engine

    @property
    def kind(self) -> str:
        """The engine that runs: the one asked for, else local."""
        return self.asked or "local"


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


def profile_data(path: str, engine: Optional[EngineOptions] = None, *, options=None,
                 encoding: Optional[str] = None, role: str = "data"):
    """The profile of the data file or directory ``path`` with the engine ``engine`` says.

    Streamed (local engine) unless it asks for dask; JSON Lines, which cannot be read in batches,
    is read whole and profiled in one piece.
    """
    from mlmon.io.tables import JSONL_SUFFIXES

    engine = engine or EngineOptions()
    kind = engine.kind
    if not os.path.isdir(path) and path.lower().endswith(JSONL_SUFFIXES):
        if kind == "dask":
            raise MlmonError("JSON Lines cannot be split across Dask workers", _role_path(path, role),
                             f"convert it to parquet, or drop {option('engine')} dask")
        from mlmon.io.tables import read_table
        from mlmon.profiles.profile import profile_frame

        table = read_table(path, encoding=encoding, role=role)
        return profile_frame(table.frame, options, table.kinds, source=path)
    return profile_path(path, engine=kind, batch_rows=engine.batch_rows or DEFAULT_BATCH_ROWS, options=options,
                        encoding=encoding, role=role, scheduler=engine.dask_scheduler, workers=engine.workers)


def _role_path(path: str, role: str) -> str:
    return f"{role} {path}" if role != "data" else path
