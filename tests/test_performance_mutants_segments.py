"""Performance by segment where the other tests leave room: labels from a separate frame reach
every segment, and the worst window of a segment is its first largest drop (found by mutation
testing: ``scripts/mutation scripts/mlmon/services/performance/segments.py``).

Accuracies are counted by hand on the small frames built here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlmon.services.performance import PerfOptions
from mlmon.services.performance.segments import WORST_SHOWN, add_segments, worst_segments


def test_labels_from_a_separate_frame_are_joined_in_every_segment():
    cur = pd.DataFrame({"id": np.arange(20), "g": ["A"] * 10 + ["B"] * 10, "yhat": [1, 0] * 10})
    # A: labels equal the predictions (accuracy 1); B: the first 5 labeled, all wrong (accuracy 0)
    labels = pd.DataFrame({"id": np.arange(15), "y": [1, 0] * 5 + [0, 1, 0, 1, 0]})
    o = PerfOptions(task="binary", target="y", prediction="yhat", join_on="id", segment_by=["g"], segment_min_rows=10)
    d = add_segments({}, cur, o, labels=labels)
    a, b = d["segments"]["A"], d["segments"]["B"]
    assert (a["labeled_rows"], a["windows"][0]["metrics"]["accuracy"]) == (10, 1.0)
    assert (b["labeled_rows"], b["windows"][0]["metrics"]["accuracy"]) == (5, 0.0)
    assert b["labels_join"]["matched"] == 5


def test_the_first_window_with_a_segments_largest_drop_is_its_worst():
    windows = [{"start": s, "n": 10, "severity": "degraded", "drops": {"accuracy": 0.25}, "drop_beyond_noise": {}}
               for s in ("d1", "d2")]
    (found,) = worst_segments({"s": {"primary": ["accuracy"], "windows": windows}})
    assert found["window"] == "d1"
    assert WORST_SHOWN == 5
