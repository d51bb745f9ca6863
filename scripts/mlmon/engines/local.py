"""The local engine: stream a source batch by batch, profile each batch, merge as we go.

At any moment memory holds one batch (plus the reader's row group) and one running profile,
so it is bounded by ``batch_rows`` whatever the size of the source.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

from mlmon.io.stream import Piece, TableStream


def profile_stream(stream: TableStream, options=None, pieces: Optional[Sequence[Piece]] = None):
    """The merged profile of every batch of ``stream`` (of ``pieces`` only, when given)."""
    return profile_batches(stream.batches(pieces), stream.kinds, options)


def profile_batches(frames: Iterable, kinds, options=None):
    from mlmon.profiles.profile import profile_frame

    profile = None
    for frame in frames:
        part = profile_frame(frame, options=options, kinds=kinds)
        profile = part if profile is None else merge(profile, part)
    if profile is None:
        raise ValueError("no batches to profile")  # open_stream refuses empty sources; pieces are never empty
    return profile


def merge(a, b):
    """``a`` merged with ``b`` (whether ``Profile.merge`` returns a new profile or updates ``a``)."""
    out = a.merge(b)
    return a if out is None else out
