"""Deterministic assignment of units (users, sessions, requests) to experiment variants.

A unit's variant is a pure function of ``experiment_id``, ``unit_id`` and the variant weights:
the SHA-256 digest of ``"experiment_id:unit_id"`` (UTF-8), read as a 64-bit big-endian integer
and divided by 2**64, is a number in [0, 1) that falls into one variant's slice of the
cumulative weights. The same unit therefore gets the same variant in every process, on every
machine and in every language that implements these three lines; different experiments hash
independently, so a unit's variant in one experiment says nothing about another.

Only the standard library is imported, so a model server can call :func:`assign` on its
request path without loading numpy, pandas or scipy::

    from mlmon.assignment import assign
    variant = assign("ranker-v2", user_id, {"control": 0.5, "treatment": 0.5})

Examples
--------
>>> round(bucket("exp-1", "user-42"), 6)
0.120517
>>> assign("exp-1", "user-42", ["control", "treatment"])
'control'
>>> assign("exp-1", "user-42", {"control": 0.1, "treatment": 0.9})
'treatment'
"""

from __future__ import annotations

import hashlib
from typing import Mapping, Sequence, Union

Variants = Union[Mapping[str, float], Sequence[str]]

_SCALE = float(2 ** 64)


def bucket(experiment_id: str, unit_id: object) -> float:
    """The unit's position in [0, 1) for this experiment (uniform over units)."""
    digest = hashlib.sha256(f"{experiment_id}:{unit_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def _weights(variants: Variants):
    if isinstance(variants, Mapping):
        items = [(str(k), float(v)) for k, v in variants.items()]
    else:
        items = [(str(k), 1.0) for k in variants]
    if len(items) < 1:
        raise ValueError("need at least one variant")
    if len({k for k, _ in items}) != len(items):
        raise ValueError("variant names must be unique")
    if any(not w >= 0 for _, w in items) or sum(w for _, w in items) <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    return items


def assign(experiment_id: str, unit_id: object, variants: Variants) -> str:
    """The variant of ``unit_id`` in ``experiment_id``.

    ``variants`` is a mapping of name to weight (any positive scale; normalised here) or a
    sequence of names with equal weights. Order matters: keep it fixed for the life of the
    experiment, or units move between variants.
    """
    items = _weights(variants)
    total = sum(w for _, w in items)
    u = bucket(experiment_id, unit_id) * total
    edge = 0.0
    for name, weight in items:
        edge += weight
        if u < edge:
            return name
    return next(name for name, w in reversed(items) if w > 0)  # u within rounding of the total
