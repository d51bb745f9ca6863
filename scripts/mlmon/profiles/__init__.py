"""Reference profiles: compact, mergeable, versioned summaries of a table.

``profile_frame`` summarises one batch; ``Profile.merge`` combines batches or partitions;
``Profile.save`` / ``Profile.load`` write and read ``.mlprofile`` files; ``drift_from_profiles``
runs the drift check against a profile (the drift pipeline's profile source, see
:mod:`mlmon.services.drift.sources`, says which scores are exact and which carry an error bound).

Names are imported on first use: ``mlmon.profiles.magic`` (is this path a profile?) must stay
cheap for the rows path.
"""

import importlib

_WHERE = {
    "ColumnProfile": "profile", "NumericSummary": "profile", "Profile": "profile", "ProfileOptions": "profile",
    "merge_profiles": "profile", "profile_frame": "profile",
    "FORMAT_VERSION": "fileformat", "load_profile": "fileformat", "save_profile": "fileformat",
    "SUFFIX": "magic", "is_profile_path": "magic",
    "PROFILE_METHODS": "drift", "ProfileColumnDrift": "drift", "drift_from_profiles": "drift",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
