"""Drift against a profile: the drift pipeline with a profile source.

Which scores are exact and which carry an error bound is declared per test in the catalog
(:mod:`mlmon.stats.univariate.catalog`) and computed by each test's ``from_summary``
(:mod:`mlmon.stats.from_summaries`); the column source is
:class:`mlmon.services.drift.sources.ProfileSource`.
"""

from __future__ import annotations

from typing import Dict, Optional, Union

from mlmon.profiles.profile import Profile, profile_frame
from mlmon.services.drift import DriftOptions, DriftResult, ProfileColumnDrift, run
from mlmon.services.drift.sources import ProfileSource
from mlmon.stats.univariate import catalog

#: tests a profile can answer, derived from the catalog's summary declarations
PROFILE_METHODS = tuple(catalog.profile_ids())

__all__ = ["PROFILE_METHODS", "ProfileColumnDrift", "drift_from_profiles"]


def drift_from_profiles(
    reference: Profile,
    current: Union[Profile, "pd.DataFrame"],  # noqa: F821
    options: Optional[DriftOptions] = None,
    *,
    reference_path: Optional[str] = None,
    current_path: Optional[str] = None,
    current_kinds: Optional[Dict[str, str]] = None,
) -> DriftResult:
    """Drift of ``current`` (a profile, or rows to profile) against a reference profile."""
    if not isinstance(current, Profile):
        current = profile_frame(current, reference.options, current_kinds)
    ref_path = reference_path or (", ".join(reference.sources) or "reference profile")
    cur_path = current_path or (", ".join(current.sources) or "current profile")
    return run(ProfileSource(reference, current, ref_path, cur_path), options)
