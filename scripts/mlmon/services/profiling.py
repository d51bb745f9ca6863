"""Profiles from inputs that are either ``.mlprofile`` files or data: which side is which, and
driving the engines for the data sides.

A ``.mlprofile`` file is loaded; data is profiled by the engine :class:`EngineOptions` asks for,
with the options of the profile it is to be compared or merged with, so the two summaries are
made alike.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from mlmon.engines import EngineOptions
from mlmon.errors import MlmonError


def profile_source(path: str, options=None, engine: Optional[EngineOptions] = None, encoding: Optional[str] = None,
                   exclude: Sequence[str] = (), role: str = "data"):
    """A profile of ``path``: read from a .mlprofile file (which must have been made with
    ``options``, when given), or made from a data file or directory (streamed in batches, or on
    Dask: memory bounded whatever the size)."""
    from mlmon.profiles import is_profile_path, load_profile

    if is_profile_path(path):
        profile = load_profile(path)
        if options is not None and profile.options != options:
            raise MlmonError("the profile was made with other options than this run's", path,
                             "profile again with the same --sketch-k / --bins-per-octave / --max-categories")
        return without(profile, exclude)
    from mlmon.engines import profile_data

    return without(profile_data(path, engine, options=options, encoding=encoding, role=role), exclude)


def profile_inputs(paths: Sequence[str], options=None, engine: Optional[EngineOptions] = None,
                   encoding: Optional[str] = None, exclude: Sequence[str] = ()):
    """The merged profile of ``paths`` (data and .mlprofile files). With no ``options``, new data
    is profiled with the settings of the first existing profile (else the defaults)."""
    from mlmon.profiles import ProfileOptions, is_profile_path, merge_profiles

    if options is None:
        first = next((p for p in paths if is_profile_path(p)), None)
        options = profile_source(first, None, engine, None, (), "data").options if first else ProfileOptions()
    return merge_profiles([profile_source(p, options, engine, encoding, exclude, "data") for p in paths])


def profiles_to_compare(reference_path: str, current_path: str, engine: Optional[EngineOptions] = None,
                        encoding: Optional[str] = None) -> Tuple[object, object]:
    """(reference, current) profiles for a drift check: a side that is a .mlprofile file is
    loaded and the other side is profiled with its options; two data inputs are both profiled by
    the engine (the reference with the default options)."""
    from mlmon.profiles import ProfileOptions, is_profile_path, load_profile

    if is_profile_path(reference_path):
        reference = load_profile(reference_path)
        current = profile_source(current_path, reference.options, engine, encoding, (), "current")
    elif not is_profile_path(current_path):
        reference = profile_source(reference_path, ProfileOptions(), engine, encoding, (), "reference")
        current = profile_source(current_path, reference.options, engine, encoding, (), "current")
    else:
        current = load_profile(current_path)
        reference = profile_source(reference_path, current.options, engine, encoding, (), "reference")
    return reference, current


def without(profile, exclude: Sequence[str]):
    """``profile`` without the columns ``exclude`` names."""
    if not exclude:
        return profile
    from mlmon.profiles import Profile

    cols = {n: c for n, c in profile.columns.items() if n not in set(exclude)}
    excluded = list(profile.excluded) + [c for c in exclude if c in profile.columns and c not in profile.excluded]
    return Profile(columns=cols, rows=profile.rows, options=profile.options, sources=profile.sources, excluded=excluded)
