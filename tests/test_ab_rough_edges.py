"""A/B results explain what a reader would otherwise question: a look's boundary above the
plan's, and a SHIP that no guardrail backs."""

from __future__ import annotations

import pytest

from mlmon_testing import run_mlmon
from test_ab_command import analyze, events, write_csv


@pytest.fixture
def two_arms(tmp_path):
    return write_csv(tmp_path / "events.csv", events())


def test_the_look_boundary_says_why_it_is_above_the_plans(two_arms):
    d = analyze(two_arms, "--metric-col", "converted,revenue", "--look", "2", "--of", "4").json()
    seq = d["sequential"]
    # `mlmon ab plan --looks 4`: 2.9631 at look 2 (gsDesign O'Brien-Fleming, alpha 0.05);
    # two metrics, so each comparison has alpha 0.025 and a higher boundary
    assert seq["plan_boundary"] == pytest.approx(2.9631, abs=1e-3)
    assert seq["boundary"] == pytest.approx(3.345, abs=1e-3)
    assert seq["comparisons"] == 2 and seq["alpha_per_comparison"] == 0.025
    assert seq["boundary_reason"] == "Bonferroni: alpha 0.05 split over 2 comparisons (0.025 each)"
    md = run_mlmon("ab", "analyze", two_arms, "--variant-col", "variant", "--metric-col", "converted,revenue",
                   "--look", "2", "--of", "4", "--no-history").out
    assert ("The boundary is above the plan's 2.9631 for look 2: Bonferroni: alpha 0.05 split over 2 comparisons "
            "(0.025 each).") in md


def test_one_comparison_keeps_the_plans_boundary_and_no_reason(two_arms):
    seq = analyze(two_arms, "--metric-col", "converted", "--look", "2", "--of", "4").json()["sequential"]
    assert seq["boundary"] == pytest.approx(seq["plan_boundary"]) and seq["boundary_reason"] is None


def test_ship_without_any_guardrail_warns(two_arms):
    d = analyze(two_arms, "--metric-col", "converted").json()
    assert d["recommendation"] == "SHIP"
    assert any(w.startswith("SHIP with no guardrail checked") and "--error-col" in w and "--latency-col" in w
               for w in d["warnings"])
    guarded = analyze(two_arms, "--metric-col", "converted", "--error-col", "error").json()
    assert not any(w.startswith("SHIP with no guardrail") for w in guarded["warnings"])
