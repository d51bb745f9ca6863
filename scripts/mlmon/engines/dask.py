"""The Dask engine: profile the pieces of a parquet source on a ``dask.distributed`` cluster.

Each task reads one piece (a few row groups of one file) in batches and returns its profile;
profiles are merged pairwise on the workers (a tree of depth log2(pieces)), so the client only
receives the final one. Workers must see the files at the same path (a shared or network file
system) and run the same mlmon version as the client.

``scheduler=None`` starts a ``LocalCluster`` of worker processes (one per core) for this run;
``scheduler="tcp://host:8786"`` uses a running cluster and leaves it running.
"""

from __future__ import annotations

import logging
import os
from typing import List, Optional

from mlmon.errors import MlmonError, option
from mlmon.io.stream import Piece, TableStream

CONNECT_TIMEOUT_S = 20


def profile_stream(stream: TableStream, options=None, *, scheduler: Optional[str] = None,
                   workers: Optional[int] = None, client=None):
    """The profile of ``stream``, computed on a Dask cluster; equal to the local engine's."""
    pieces = stream.pieces()
    if client is not None:
        return _run(client, stream, pieces, options)
    with _client(scheduler, workers) as c:
        return _run(c, stream, pieces, options)


def _run(client, stream: TableStream, pieces: List[Piece], options):
    try:
        level = [client.submit(_profile_piece, stream, piece, options, pure=False) for piece in pieces]
        while len(level) > 1:
            pairs = [client.submit(_merge_pair, level[i], level[i + 1], pure=False) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                pairs.append(level[-1])
            level = pairs
        return _from_wire(level[0].result())
    except _WorkerInputError as exc:
        raise MlmonError(*exc.args) from exc
    except ModuleNotFoundError as exc:
        raise MlmonError(f"a Dask worker cannot import {exc.name}", str(client.scheduler.address),
                         "install mlmon and its requirements (same version) on every worker") from exc
    except (FileNotFoundError, PermissionError) as exc:
        raise MlmonError(f"a Dask worker cannot read the data: {exc}", str(client.scheduler.address),
                         "put the data on a file system every worker mounts at the same path") from exc


class _WorkerInputError(Exception):
    """An :class:`MlmonError` raised on a worker, carried back as (what, where, todo)."""


def _profile_piece(stream: TableStream, piece: Piece, options):
    from mlmon.engines.local import profile_stream

    try:
        return _to_wire(profile_stream(stream, options, pieces=[piece]))
    except MlmonError as exc:
        raise _WorkerInputError(exc.what, exc.where, exc.todo) from None


def _merge_pair(a, b):
    from mlmon.engines.local import merge

    return _to_wire(merge(_from_wire(a), _from_wire(b)))


# Profiles travel between processes in their file format's dict form: the KLL sketch object
# does not pickle, and the dict form round-trips every exact part bit for bit.
def _to_wire(profile):
    from mlmon.profiles.fileformat import profile_to_dict

    return profile_to_dict(profile)


def _from_wire(data):
    from mlmon.profiles.fileformat import profile_from_dict

    return profile_from_dict(data, where="profile from a Dask worker")


class _client:
    """A ``distributed.Client`` for this run: connected to ``scheduler`` or to a fresh LocalCluster."""

    def __init__(self, scheduler: Optional[str], workers: Optional[int]):
        self.scheduler, self.workers = scheduler, workers
        self.cluster = self.client = None

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise MlmonError(f"{option('engine')} dask needs the dask[distributed] package", "dask",
                             "install it in mlmon's environment: pip install 'dask[distributed]'") from exc
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise MlmonError(f"cannot reach the Dask scheduler: {exc}", f"{option('dask_scheduler')} {self.scheduler}",
                                 "check the address (tcp://HOST:PORT) and that the scheduler is running") from exc
            return self.client
        n = self.workers or max(1, os.cpu_count() or 1)
        self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    dashboard_address=":0", silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False
