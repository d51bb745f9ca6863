"""When the estimate and the labels part ways, window by window: which windows count, where the
newest run of same-side misses starts and ends, its signed gap and the message that names the
side (found by mutation testing: ``scripts/mutation scripts/mlmon/services/performance/disagreement.py``).

Gaps are hand computed as the mean of realized - estimate over the run (values exact in binary)."""

from __future__ import annotations

import pytest

from estimation_data import stored_rows
from mlmon.services.performance.disagreement import (MIN_WINDOWS, Disagreement, disagreement_from_rows,
                                                      disagreements_from_rows, persistent_disagreement)

BAND = (0.5, 0.75)
BELOW, ABOVE, INSIDE = (0.625, BAND, 0.25), (0.625, BAND, 0.875), (0.625, BAND, 0.625)


def test_three_windows_on_one_side_are_the_least_that_counts():
    assert MIN_WINDOWS == 3
    assert persistent_disagreement([BELOW] * 2) is None
    d = persistent_disagreement([BELOW] * 3)
    assert (d.metric, d.windows, d.gap, d.starts) == ("accuracy", 3, -0.375, [0, 1, 2])
    assert persistent_disagreement([BELOW] * 2, min_windows=2).windows == 2


def test_the_run_is_the_newest_windows_and_stops_at_agreement_or_a_change_of_side():
    d = persistent_disagreement([BELOW] * 4 + [INSIDE] + [ABOVE] * 3, metric="recall", keys=list("abcdefgh"))
    assert (d.metric, d.windows, d.gap, d.starts) == ("recall", 3, 0.25, ["f", "g", "h"])
    assert persistent_disagreement([BELOW] * 4 + [INSIDE]) is None
    d = persistent_disagreement([BELOW] * 2 + [ABOVE] * 3)
    assert (d.windows, d.starts) == (3, [2, 3, 4])
    assert persistent_disagreement([ABOVE] * 2 + [BELOW] * 2) is None


def test_a_value_on_a_band_edge_agrees():
    at_lower, at_upper = (0.625, BAND, 0.5), (0.625, BAND, 0.75)
    assert persistent_disagreement([BELOW] * 3 + [at_lower]) is None
    assert persistent_disagreement([ABOVE] * 3 + [at_upper]) is None


@pytest.mark.parametrize("gap", [(None, BAND, 0.25), (0.625, None, 0.25), (0.625, (None, 0.75), 0.25),
                                 (0.625, (0.5, None), 0.25), (0.625, BAND, None)])
def test_windows_without_an_estimate_a_band_or_labels_are_skipped_not_counted(gap):
    d = persistent_disagreement([BELOW, BELOW, gap, BELOW])
    assert (d.windows, d.starts, d.gap) == (3, [0, 1, 3], -0.375)


def test_the_gap_is_the_mean_signed_difference_and_the_message_names_the_side():
    d = persistent_disagreement([(0.625, BAND, 0.25), (0.5, (0.25, 0.375), 0.125), (0.75, (0.5, 1.0), 0.375)])
    assert d.gap == pytest.approx(-0.375)  # (-0.375 - 0.375 - 0.375) / 3
    assert d.message == ("the estimate has been off by 0.38 for 3 windows: the input-label relation has likely "
                         "changed (realized accuracy below the estimate's band each time; concept drift), so "
                         "estimates cannot be trusted until the reference is renewed")
    up = Disagreement("mae", 4, 0.125, ["a"])
    assert up.message == ("the estimate has been off by 0.12 for 4 windows: the input-label relation has likely "
                          "changed (realized mae above the estimate's band each time; concept drift), so "
                          "estimates cannot be trusted until the reference is renewed")
    assert up.to_dict() == {"metric": "mae", "windows": 4, "gap": 0.125, "starts": ["a"], "message": up.message}
    assert type(persistent_disagreement([ABOVE] * 3).gap) is float


def _rows(realized, **kw):
    return stored_rows(realized, band=(0.625, 0.5, 0.75), **kw)


def test_stored_rows_are_read_in_time_order_whatever_order_they_come_in():
    rows = list(reversed(_rows([0.875, 0.25, 0.25, 0.25])))
    d = disagreement_from_rows(rows)
    assert (d.windows, d.starts, d.gap) == (3, ["2024-01-02", "2024-01-03", "2024-01-04"], -0.375)


def test_stored_rows_of_other_metrics_or_kinds_are_ignored():
    rows = _rows([0.25] * 3) + [{"timestamp": "2024-01-04", "metric": "accuracy", "kind": "target", "value": 0.625,
                                 "n": 400},
                                {"timestamp": "2024-01-04", "metric": "recall", "kind": "realized", "value": 0.625,
                                 "n": 400}]
    assert disagreement_from_rows(rows).windows == 3
    # a window estimated without its realized row yet does not break the run
    assert disagreement_from_rows(_rows([0.25, 0.25, None, 0.25])).windows == 3
    assert disagreement_from_rows(_rows([0.25] * 3), min_windows=2).windows == 3
    assert disagreement_from_rows(_rows([0.25] * 2), min_windows=2).windows == 2


def test_only_metrics_with_estimates_are_checked_unless_named():
    rows = _rows([0.25] * 3, metric="recall") + [
        {"timestamp": f"2024-01-0{d}", "metric": "precision", "kind": "realized", "value": 0.1, "n": 400}
        for d in (1, 2, 3)]
    assert [d.metric for d in disagreements_from_rows(rows)] == ["recall"]
    assert disagreements_from_rows(rows, metrics=["precision"]) == []
    assert [d.windows for d in disagreements_from_rows(rows, min_windows=2)] == [3]
    assert disagreements_from_rows(_rows([0.25] * 2, metric="recall"), min_windows=2)[0].windows == 2


def test_a_realized_row_without_a_label_count_counts_as_no_labels():
    assert disagreement_from_rows(_rows([0.25] * 3, n=None), min_labeled=1) is None
    assert disagreement_from_rows(_rows([0.25] * 3, n=1), min_labeled=1).windows == 3
