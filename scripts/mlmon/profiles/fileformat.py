"""The ``.mlprofile`` file: gzip-compressed JSON with a format name and version.

Layout (version 1)::

    {"format": "mlmon-profile", "format_version": 1, "rows": N,
     "options": {...ProfileOptions...}, "sources": [...], "excluded": [...] (only when not empty),
     "columns": [{"name", "kind", "rows", "missing",
                  "categories": [[value, count], ...], "other", "truncated",
                  "numeric": {"count", "infinite", "min", "max",
                              "sum": "<int: units of 2**-1126>", "sumsq": "...",
                              "bins": [[key, ...], [count, ...]],
                              "sketch": "<base64 KLL>", "values": [...] | null,
                              "value_counts": [[value, count], ...] | null}}]}

A reader refuses, with one line naming the file, anything that is not this: not gzip, not
JSON, another format name, a newer version, missing or mistyped fields, a sketch that does
not decode. The gzip header carries no time stamp, so the same profile gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from typing import Any, Dict

import numpy as np

from mlmon.errors import MlmonError
from mlmon.profiles.profile import ColumnProfile, NumericSummary, Profile, ProfileOptions
from mlmon.profiles.sketch import ExactSum, QuantileSketch

from mlmon.profiles.magic import SUFFIX, is_profile_path  # noqa: F401  (their old home)

FORMAT = "mlmon-profile"
FORMAT_VERSION = 1


def profile_to_dict(profile: Profile) -> Dict[str, Any]:
    out = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "rows": profile.rows,
        "options": dict(profile.options.__dict__),
        "sources": list(profile.sources),
        "columns": [_column_to_dict(c) for c in profile.columns.values()],
    }
    if profile.excluded:  # written only when there are some: profiles without keep their bytes
        out["excluded"] = list(profile.excluded)
    return out


def save_profile(profile: Profile, path: str) -> None:
    """Write atomically (a failed write leaves any earlier file untouched)."""
    data = json.dumps(profile_to_dict(profile), separators=(",", ":"), allow_nan=False).encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mlmon-", suffix=SUFFIX, dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(gzip.compress(data, mtime=0))
        os.replace(tmp, path)
    except OSError as exc:
        raise MlmonError(f"cannot write the profile: {exc.strerror or exc}", path, "choose a writable location") from exc


def load_profile(path: str) -> Profile:
    if not os.path.exists(path):
        raise MlmonError("file not found", path, "check the path")
    if os.path.isdir(path):
        raise MlmonError("a profile is a file, not a directory", path, "point to a .mlprofile file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise MlmonError(f"cannot read the profile: {exc.strerror or exc}", path, "check its permissions") from exc
    try:
        text = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise MlmonError("not a profile file (not gzip-compressed, or cut short)", path,
                         "write profiles with `mlmon profile DATA --out FILE.mlprofile`") from exc
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MlmonError("not a profile file (its content is not JSON)", path,
                         "write profiles with `mlmon profile DATA --out FILE.mlprofile`") from exc
    return profile_from_dict(data, path)


def profile_from_dict(data: Any, where: str = "profile") -> Profile:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MlmonError("not an mlmon profile (no \"format\": \"mlmon-profile\")", where,
                         "write profiles with `mlmon profile DATA --out FILE.mlprofile`")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MlmonError("profile has no format version", where, "write it again with `mlmon profile`")
    if version > FORMAT_VERSION:
        raise MlmonError(f"profile format version {version} is newer than this mlmon reads ({FORMAT_VERSION})", where,
                         "upgrade mlmon, or write the profile again with this version")
    if version < 1:
        raise MlmonError(f"profile format version {version} is not known", where, "write it again with `mlmon profile`")
    try:
        options = ProfileOptions(**{k: int(v) for k, v in data["options"].items()})
        options.check()
        columns = {}
        for c in data["columns"]:
            col = _column_from_dict(c, options)
            if col.name in columns:
                raise ValueError(f"column {col.name!r} twice")
            columns[col.name] = col
        rows = _int(data["rows"])
        sources = [str(s) for s in data.get("sources", [])]
        excluded = data.get("excluded", [])
        if not isinstance(excluded, list) or not all(isinstance(c, str) for c in excluded):
            raise ValueError("excluded is not a list of column names")
    except MlmonError as exc:
        raise MlmonError(f"profile is damaged: {exc.what}", where, "write it again with `mlmon profile`") from exc
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, IndexError, OverflowError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else " ".join(str(exc).split())[:120]
        raise MlmonError(f"profile is damaged: {detail}", where, "write it again with `mlmon profile`") from exc
    for col in columns.values():
        if col.rows != rows:
            raise MlmonError(f"profile is damaged: column {col.name!r} counts {col.rows} rows, the profile {rows}", where,
                             "write it again with `mlmon profile`")
    return Profile(columns=columns, rows=rows, options=options, sources=sources, excluded=list(excluded))


def _column_to_dict(c: ColumnProfile) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": c.name, "kind": c.kind, "rows": c.rows, "missing": c.missing}
    if c.categories is not None:
        d["categories"] = [[v, n] for v, n in c.categories.items()]
        d["other"], d["truncated"] = c.other, c.truncated
    if c.numeric is not None:
        n = c.numeric
        d["numeric"] = {
            "count": n.count, "infinite": n.infinite, "min": n.min, "max": n.max,
            "sum": str(n.sum.units), "sumsq": str(n.sumsq.units),
            "bins": [n.bin_keys.tolist(), n.bin_counts.tolist()],
            "sketch": n.sketch.to_text(),
            "values": None if n.values is None else n.values.tolist(),
            "value_counts": None if n.value_counts is None else [[v, k] for v, k in n.value_counts.items()],
        }
    return d


def _column_from_dict(d: Dict[str, Any], options: ProfileOptions) -> ColumnProfile:
    col = ColumnProfile(name=str(d["name"]), kind=str(d["kind"]), rows=_int(d["rows"]), missing=_int(d["missing"]))
    if d.get("categories") is not None:
        col.categories = {_key(v): _int(n) for v, n in d["categories"]}
        col.other, col.truncated = _int(d.get("other", 0)), bool(d.get("truncated", False))
    if d.get("numeric") is not None:
        n = d["numeric"]
        keys, counts = n["bins"]
        sketch = QuantileSketch.from_text(n["sketch"], options.sketch_k)
        count = _int(n["count"])
        bin_counts = np.asarray(counts, dtype=np.int64)
        if len(keys) != len(counts) or int(bin_counts.sum()) != count or sketch.n != count:
            raise ValueError(f"column {col.name!r}: histogram, sketch and count disagree")
        col.numeric = NumericSummary(
            count=count, infinite=_int(n["infinite"]),
            min=None if n["min"] is None else float(n["min"]), max=None if n["max"] is None else float(n["max"]),
            sum=ExactSum(int(n["sum"])), sumsq=ExactSum(int(n["sumsq"])),
            bin_keys=np.asarray(keys, dtype=np.int64), bin_counts=bin_counts, sketch=sketch,
            values=None if n.get("values") is None else np.asarray(n["values"], dtype=np.float64),
            value_counts=None if n.get("value_counts") is None else {float(v): _int(k) for v, k in n["value_counts"]},
            bpo=options.bins_per_octave,
        )
    if col.missing > col.rows or col.missing < 0:
        raise ValueError(f"column {col.name!r}: more missing values than rows")
    return col


def _int(v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"expected a count, got {v!r}")
    return v


def _key(v):
    if isinstance(v, (list, dict)):
        raise ValueError("a category value is not a scalar")
    return v
