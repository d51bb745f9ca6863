"""One window judged, word for word: which notes a window gets, which intervals are withheld,
which metrics decide its severity, and how the drop is held against the tiers and the window's
own interval (found by mutation testing: ``scripts/mutation scripts/mlmon/services/performance/severity.py``).

The window is built by hand: metric arrays of two windows, the second judged, so a value read
from the wrong window shows. Drops are hand computed: ``(base - value) / |base|`` for metrics
where higher is better, ``(value - base) / |base|`` for the others (values exact in binary)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mlmon.errors import option
from mlmon.services.performance import PerfOptions
from mlmon.services.performance.severity import MIN_PER_CLASS_AUC, SEVERITY_ORDER, judge_window, tier, worst
from mlmon.stats.classification import WindowMetrics

WIN = SimpleNamespace(starts=["2024-01-01", "2024-01-02"], ends=["2024-01-02", "2024-01-03"])
NAN = float("nan")


def _metrics(**values):
    """Metrics of window 1 as ``name=(value, lower, upper)``; window 0 holds other numbers."""
    return WindowMetrics(values={k: np.array([0.1, v[0]]) for k, v in values.items()},
                         lower={k: np.array([0.05, v[1]]) for k, v in values.items()},
                         upper={k: np.array([0.15, v[2]]) for k, v in values.items()},
                         n=np.array([1, 1]))


def _opts(**kw):
    return PerfOptions(**{"task": "binary", "min_labeled": 4, **kw})


def _judge(n=8, n_labeled=8, realized=None, est=None, flags=None, baseline=None, primary=("accuracy",),
           smallest_class=None, **kw):
    realized = realized if realized is not None else _metrics(accuracy=(0.75, 0.5, 0.875))
    if est is not None and flags is None:
        flags = [{"reliable": True, "reasons": []}] * 2
    return judge_window(1, WIN, n, n_labeled, realized, est, flags, baseline, list(primary), _opts(**kw),
                        smallest_class=smallest_class).to_dict()


BASE = {"metrics": {"accuracy": 1.0, "f1_score": 0.5, "rmse": 2.0, "auc_roc": 0.75}}


# ---------------------------------------------------------------------------- the whole window


def test_a_labeled_window_below_its_baseline_and_outside_its_interval_is_critical():
    assert _judge(n=8, n_labeled=6, baseline=BASE) == {
        "start": "2024-01-02", "end": "2024-01-03", "n": 8, "n_labeled": 6, "unlabeled_share": 0.25,
        "metrics": {"accuracy": 0.75}, "intervals": {"accuracy": {"lower": 0.5, "upper": 0.875}},
        "estimated": None, "estimated_intervals": None, "estimation": None,
        "severity": "critical", "severity_basis": "realized", "drops": {"accuracy": 0.25},
        "drop_beyond_noise": {"accuracy": True}, "notes": [], "too_small": []}


def test_an_empty_window_says_so_and_is_not_judged():
    d = _judge(n=0, n_labeled=0, baseline=BASE)
    assert (d["unlabeled_share"], d["severity"], d["severity_basis"], d["metrics"], d["notes"]) == (
        None, "healthy", None, {}, ["empty window: no predictions in this period"])


def test_a_window_without_labels_says_why_it_is_not_judged_and_how_to_judge_it():
    d = _judge(n=8, n_labeled=0, baseline=BASE)
    assert (d["unlabeled_share"], d["severity_basis"], d["metrics"], d["intervals"]) == (1.0, None, {}, {})
    assert d["notes"] == ["no labels yet in this window",
                          f"severity not assessed: no labels (add {option('estimate')})"]
    assert _judge(n=8, n_labeled=0, baseline=BASE, estimate=True)["notes"] == [
        "no labels yet in this window", "severity not assessed: no labels"]
    # without a baseline there is nothing to assess
    assert _judge(n=8, n_labeled=0)["notes"] == ["no labels yet in this window"]


def test_without_a_baseline_a_labeled_window_keeps_its_metrics_and_stays_healthy():
    d = _judge(baseline=None)
    assert (d["severity"], d["severity_basis"], d["drops"], d["notes"]) == ("healthy", "realized", {}, [])


# ---------------------------------------------------------------------------- too few labels


def test_fewer_labels_than_the_minimum_withhold_every_interval_with_a_note():
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), auc_roc=(NAN, NAN, NAN))
    d = _judge(n=8, n_labeled=3, realized=realized, min_labeled=4)
    assert d["too_small"] == ["accuracy"]  # an undefined metric has no value to keep
    assert d["intervals"] == {"accuracy": {"lower": None, "upper": None}, "auc_roc": {"lower": None, "upper": None}}
    assert d["notes"] == ["auc_roc undefined: the window's labels hold one class only",
                          "window too small: 3 labels (fewer than 4), too few for intervals; its metrics mean little"]


def test_exactly_the_minimum_of_labels_keeps_the_intervals():
    d = _judge(n=8, n_labeled=4, min_labeled=4)
    assert (d["too_small"], d["intervals"], d["notes"]) == (
        [], {"accuracy": {"lower": 0.5, "upper": 0.875}}, [])


@pytest.mark.parametrize("smallest, withheld", [(None, False), (MIN_PER_CLASS_AUC - 1, True), (MIN_PER_CLASS_AUC, False)])
def test_auc_needs_five_labels_of_its_rarest_class_for_an_interval(smallest, withheld):
    assert MIN_PER_CLASS_AUC == 5
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), auc_roc=(0.625, 0.5, 0.75))
    d = _judge(realized=realized, smallest_class=smallest)
    assert d["intervals"]["accuracy"] == {"lower": 0.5, "upper": 0.875}
    if withheld:
        assert d["too_small"] == ["auc_roc"] and d["intervals"]["auc_roc"] == {"lower": None, "upper": None}
        assert d["notes"] == ["window too small for auc_roc's interval: 4 labels of the rarest class (fewer than 5)"]
    else:
        assert d["too_small"] == [] and d["intervals"]["auc_roc"] == {"lower": 0.5, "upper": 0.75}
        assert d["notes"] == []


def test_too_few_labels_overall_say_so_once_even_when_the_rarest_class_is_short_too():
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), auc_roc=(0.625, 0.5, 0.75))
    d = _judge(n=8, n_labeled=3, realized=realized, smallest_class=1)
    assert d["too_small"] == ["accuracy", "auc_roc"]
    assert d["notes"] == ["window too small: 3 labels (fewer than 4), too few for intervals; its metrics mean little"]


@pytest.mark.parametrize("task, note", [
    ("binary", "auc_roc undefined: the window's labels hold one class only"),
    ("multiclass", "auc_roc undefined: a class is missing from the window's labels"),
])
def test_an_undefined_auc_says_why_for_the_task(task, note):
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), auc_roc=(NAN, NAN, NAN))
    d = _judge(realized=realized, task=task)
    assert d["metrics"] == {"accuracy": 0.75, "auc_roc": None}
    assert d["intervals"]["auc_roc"] == {"lower": None, "upper": None} and d["too_small"] == []
    assert d["notes"] == [note]


# ---------------------------------------------------------------------------- estimated metrics


def test_estimated_metrics_carry_their_band_and_the_reliability_shares_only():
    est = _metrics(accuracy=(0.625, 0.5, 0.75))
    flags = [{"reliable": True, "reasons": []},
             {"reliable": False, "reasons": ["unseen inputs"], "unseen_share": 0.25, "missing_share": np.float64(NAN),
              "rows": 8}]
    d = _judge(n=8, n_labeled=0, est=est, flags=flags, baseline=BASE)
    assert d["estimated"] == {"accuracy": 0.625}
    assert d["estimated_intervals"] == {"accuracy": {"lower": 0.5, "upper": 0.75}}
    assert d["estimation"] == {"reliable": False, "reasons": ["unseen inputs"], "unseen_share": 0.25,
                               "missing_share": None}
    assert (d["severity_basis"], d["drops"], d["severity"]) == ("estimated", {"accuracy": 0.375}, "critical")
    assert d["drop_beyond_noise"] == {"accuracy": True}
    assert d["notes"] == ["no labels yet in this window"]


def test_the_estimate_of_an_empty_window_is_not_reported():
    d = _judge(n=0, n_labeled=0, est=_metrics(accuracy=(0.625, 0.5, 0.75)), baseline=BASE)
    assert (d["estimated"], d["estimation"], d["severity_basis"]) == (None, None, None)


@pytest.mark.parametrize("n_labeled, with_estimate, basis", [
    (0, False, None), (0, True, "estimated"), (3, True, "estimated"), (3, False, "realized"),
    (4, True, "realized"), (8, True, "realized"),
])
def test_realized_metrics_decide_from_the_minimum_of_labels_on_estimates_below_it(n_labeled, with_estimate, basis):
    est = _metrics(accuracy=(0.625, 0.5, 0.75)) if with_estimate else None
    d = _judge(n=8, n_labeled=n_labeled, est=est, baseline=BASE, min_labeled=4)
    assert d["severity_basis"] == basis
    assert d["drops"] == ({} if basis is None else {"accuracy": 0.375 if basis == "estimated" else 0.25})


def test_an_estimated_basis_holds_the_baseline_against_the_estimate_band():
    # two labels: the realized interval is withheld; the estimate band (0.5, 0.75) leaves 0.8 out
    est = _metrics(accuracy=(0.625, 0.5, 0.75))
    d = _judge(n=8, n_labeled=2, est=est, baseline={"metrics": {"accuracy": 0.8}})
    assert d["severity_basis"] == "estimated" and d["drop_beyond_noise"] == {"accuracy": True}
    assert d["drops"] == {"accuracy": pytest.approx(0.21875)}  # (0.8 - 0.625) / 0.8


# ---------------------------------------------------------------------------- severity


def test_the_worst_primary_metric_decides_and_lower_is_better_metrics_drop_by_rising():
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), f1_score=(0.5, 0.25, 0.75), rmse=(2.5, 2.25, 2.75))
    d = _judge(realized=realized, baseline=BASE, primary=("accuracy", "f1_score", "rmse"),
               warning_drop=0.2, critical_drop=0.3)
    assert d["drops"] == {"accuracy": 0.25, "f1_score": 0.0, "rmse": 0.25}
    assert d["drop_beyond_noise"] == {"accuracy": True, "f1_score": False, "rmse": True}
    assert (d["severity"], d["notes"]) == ("degraded", [])


def test_metrics_without_a_baseline_value_a_value_or_with_a_zero_baseline_are_not_judged():
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), f1_score=(NAN, NAN, NAN), auc_roc=(0.5, 0.25, 0.75),
                        precision=(0.5, 0.25, 0.75))
    base = {"metrics": {"accuracy": 0.0, "f1_score": 0.5, "precision": None}}
    d = _judge(realized=realized, baseline=base, primary=("accuracy", "f1_score", "auc_roc", "precision"))
    assert (d["drops"], d["drop_beyond_noise"], d["severity"], d["severity_basis"]) == ({}, {}, "healthy", "realized")


def test_a_metric_not_judged_does_not_stop_the_next_from_being_judged():
    realized = _metrics(f1_score=(NAN, NAN, NAN), accuracy=(0.75, 0.5, 0.875))
    d = _judge(realized=realized, baseline={"metrics": {"auc_roc": 0.5, "f1_score": 0.5, "accuracy": 1.0}},
               primary=("precision", "f1_score", "accuracy"))
    assert (d["drops"], d["severity"]) == ({"accuracy": 0.25}, "critical")


def test_an_improvement_is_a_negative_drop_and_healthy():
    d = _judge(baseline={"metrics": {"accuracy": 0.5}})
    assert (d["drops"], d["severity"], d["drop_beyond_noise"]) == ({"accuracy": -0.5}, "healthy", {"accuracy": False})


@pytest.mark.parametrize("lower, upper", [(NAN, 0.875), (0.5, NAN)])
def test_a_drop_is_not_held_against_an_interval_missing_a_bound(lower, upper):
    d = _judge(realized=_metrics(accuracy=(0.75, lower, upper)), baseline=BASE)
    assert (d["drops"], d["drop_beyond_noise"], d["severity"], d["notes"]) == (
        {"accuracy": 0.25}, {}, "critical", [])


@pytest.mark.parametrize("base, beyond", [(0.875, False), (0.5, False), (0.9, True), (0.4375, True)])
def test_the_interval_holds_its_bounds(base, beyond):
    d = _judge(baseline={"metrics": {"accuracy": base}})
    assert d["drop_beyond_noise"] == {"accuracy": beyond}


def test_a_drop_within_the_window_interval_is_flagged_as_possible_noise_once_it_is_not_healthy():
    d = _judge(baseline={"metrics": {"accuracy": 0.8}})  # drop 0.0625, 0.8 inside (0.5, 0.875)
    assert (d["drops"], d["severity"], d["drop_beyond_noise"]) == ({"accuracy": pytest.approx(0.0625)}, "degraded", {"accuracy": False})
    assert d["notes"] == ["accuracy's drop is within the window's 95% interval: it may be noise"]
    # the worst drop (f1, 0.3) lies within its interval while accuracy's (1/6) lies beyond: f1 is named
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), f1_score=(0.4375, 0.25, 0.75))
    d = _judge(realized=realized, baseline={"metrics": {"accuracy": 0.9, "f1_score": 0.625}},
               primary=("accuracy", "f1_score"))
    assert d["drops"]["f1_score"] == pytest.approx(0.3) and d["drop_beyond_noise"] == {"accuracy": True, "f1_score": False}
    assert d["notes"] == ["f1_score's drop is within the window's 95% interval: it may be noise"]
    # healthy (a drop of 0.04): no such note
    d = _judge(baseline={"metrics": {"accuracy": 0.78125}})
    assert (d["severity"], d["drop_beyond_noise"], d["notes"]) == ("healthy", {"accuracy": False}, [])


def test_a_worst_drop_beyond_its_interval_is_not_called_noise_though_another_is_within():
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), f1_score=(0.25, 0.125, 0.375))
    d = _judge(realized=realized, baseline={"metrics": {"accuracy": 0.8, "f1_score": 0.5}},
               primary=("accuracy", "f1_score"))
    assert d["drops"]["f1_score"] == 0.5 and d["drop_beyond_noise"] == {"accuracy": False, "f1_score": True}
    assert (d["severity"], d["notes"]) == ("critical", [])
    # the worst by drop, not by name: accuracy (1/7, within) is worse than f1 (1/15, beyond)
    realized = _metrics(accuracy=(0.75, 0.5, 0.875), f1_score=(0.4375, 0.25, 0.4375))
    d = _judge(realized=realized, baseline={"metrics": {"accuracy": 0.875, "f1_score": 0.46875}},
               primary=("accuracy", "f1_score"))
    assert d["drop_beyond_noise"] == {"accuracy": False, "f1_score": True}
    assert d["notes"] == ["accuracy's drop is within the window's 95% interval: it may be noise"]


def test_the_window_tiers_come_from_the_options():
    assert _judge(baseline=BASE, warning_drop=0.25, critical_drop=0.5)["severity"] == "healthy"
    assert _judge(baseline=BASE, warning_drop=0.2, critical_drop=0.25)["severity"] == "degraded"
    assert _judge(baseline=BASE, warning_drop=0.2, critical_drop=0.24)["severity"] == "critical"


@pytest.mark.parametrize("drop, severity", [(-1.0, "healthy"), (0.05, "healthy"), (0.0500001, "degraded"),
                                            (0.15, "degraded"), (0.1500001, "critical")])
def test_tier_is_strictly_above_each_boundary(drop, severity):
    assert tier(drop, 0.05, 0.15) == severity


def test_the_worst_severity_of_several_and_healthy_of_none():
    assert SEVERITY_ORDER == {"healthy": 0, "degraded": 1, "critical": 2}
    assert worst([]) == "healthy"
    assert worst(["healthy", "degraded", "healthy"]) == "degraded"
    assert worst(iter(["degraded", "critical", "healthy"])) == "critical"
