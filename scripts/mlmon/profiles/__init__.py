"""Reference profiles: compact, mergeable, versioned summaries of a table, and drift against them.

``profile_frame`` summarises one batch; ``Profile.merge`` combines batches or partitions;
``Profile.save`` / ``Profile.load`` write and read ``.mlprofile`` files; ``drift_from_profiles``
runs the drift check against a profile (see :mod:`mlmon.profiles.drift` for which scores are
exact and which carry an error bound).
"""

from mlmon.profiles.drift import PROFILE_METHODS, ProfileColumnDrift, drift_from_profiles
from mlmon.profiles.fileformat import FORMAT_VERSION, SUFFIX, is_profile_path, load_profile, save_profile
from mlmon.profiles.profile import ColumnProfile, NumericSummary, Profile, ProfileOptions, merge_profiles, profile_frame

__all__ = [
    "ColumnProfile", "FORMAT_VERSION", "NumericSummary", "PROFILE_METHODS", "Profile", "ProfileColumnDrift",
    "ProfileOptions", "SUFFIX", "drift_from_profiles", "is_profile_path", "load_profile", "merge_profiles",
    "profile_frame", "save_profile",
]
