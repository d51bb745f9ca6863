"""What the drift check recommends, sentence by sentence, from hand-built results: the rules are
the ones :mod:`mlmon.services.drift.recommendations` states (strongest drift first, at most five
named, the severity's advice, target and prediction, joint drift, large p-value runs, all clear)."""

from __future__ import annotations

import pytest

from mlmon.services.drift import ColumnDrift, DriftResult, recommendations

INVESTIGATE = "Investigate the upstream sources of the drifted features, strongest first: "
CRITICAL = ("More than half of the features moved at once: look for a pipeline or schema change "
            "(units, encoding, a join that broke) before treating it as real-world drift.")
DEGRADED = "Check whether model quality moved with the inputs before retraining; drift alone is not degradation."
JOINT = ("No single feature drifted but the joint distribution did (MMD): check relationships "
         "between features (correlations, segments) rather than single columns.")
LARGE = ("With this many rows p-value tests flag even negligible shifts: confirm with a distance "
         "(--method wasserstein or psi) before acting.")
CLEAR = "No feature drifted beyond its threshold: keep monitoring on the usual schedule."


def col(name, score, threshold, drifted=True, kind="distance", method="wasserstein", role="feature"):
    return ColumnDrift(column=name, type="num", role=role, method=method, method_name=method, score=score,
                       threshold=threshold, drifted=drifted, score_kind=kind, drift_rule=">=", statistic=None,
                       reference_count=10, current_count=10, reference_missing=0, current_missing=0,
                       infinite_dropped=0)


def result(columns, severity="healthy", rows=(100, 100), fdr=None, target=None, prediction=None, mv=None):
    cols = {c.column: c for c in columns}
    return DriftResult(reference={"rows": rows[0]}, current={"rows": rows[1]}, columns=cols, drift_share=0.0,
                       dataset_drift=False, drift_share_threshold=0.5, n_columns=len(cols),
                       n_drifted=sum(c.drifted for c in columns), severity=severity, target_drift=target,
                       prediction_drift=prediction, multivariate=mv, fdr=fdr)


def test_drifted_columns_are_named_strongest_first_by_score_over_threshold():
    # distances: 0.3/0.1 = 3, 0.5/0.25 = 2; p-values: log10(1e-6)/log10(0.05) = 6/1.30103 = 4.61,
    # log10(0.01)/log10(0.05) = 2/1.30103 = 1.54; a zero threshold ranks by the score (2.5)
    cols = [col("a", 0.5, 0.25), col("b", 0.3, 0.1), col("c", 1e-6, 0.05, kind="p_value", method="ks"),
            col("d", 0.01, 0.05, kind="p_value", method="ks"), col("e", 2.5, 0.0), col("quiet", 0.01, 0.1, False)]
    recs = recommendations(result(cols))
    assert recs == [INVESTIGATE + "c (ks 1.00e-06), b (wasserstein 0.3), e (wasserstein 2.5), "
                                  "a (wasserstein 0.5), d (ks 0.01)."]


def test_a_p_value_of_zero_ranks_first_and_prints_as_0():
    # p = 0 counts as 1e-300: strength 300 / 1.30103 = 230.6, above 20 / 0.1 = 200
    cols = [col("a", 20.0, 0.1), col("z", 0.0, 0.05, kind="p_value", method="chisquare")]
    assert recommendations(result(cols)) == [INVESTIGATE + "z (chisquare 0), a (wasserstein 20)."]


def test_a_p_value_threshold_of_one_does_not_divide_by_zero():
    # -log10(1) = 0: the denominator is floored at 1e-9, so p = 0.1 ranks with strength 1e9
    cols = [col("a", 1000.0, 0.1), col("p", 0.1, 1.0, kind="p_value", method="ks")]
    assert recommendations(result(cols)) == [INVESTIGATE + "p (ks 0.1), a (wasserstein 1e+03)."]


def test_at_most_five_are_named_and_the_rest_counted():
    cols = [col(f"c{i}", (i + 1) / 10, 0.1) for i in range(7)]
    recs = recommendations(result(cols))
    assert recs[0] == INVESTIGATE + ("c6 (wasserstein 0.7), c5 (wasserstein 0.6), c4 (wasserstein 0.5), "
                                     "c3 (wasserstein 0.4), c2 (wasserstein 0.3) and 2 more.")
    five = recommendations(result(cols[:5]))
    assert five[0].endswith("c0 (wasserstein 0.1).")


@pytest.mark.parametrize("x, text", [(0.0, "0"), (0.000999, "9.99e-04"), (-0.0005, "-5.00e-04"), (0.001, "0.001"),
                                     (0.123456, "0.123"), (12345.0, "1.23e+04")])
def test_scores_print_with_three_significant_digits_and_small_ones_in_e_notation(x, text):
    assert recommendations(result([col("a", x, 0.0)]))[0] == INVESTIGATE + f"a (wasserstein {text})."


@pytest.mark.parametrize("severity, advice", [("critical", [CRITICAL]), ("degraded", [DEGRADED]), ("healthy", [])])
def test_the_severity_adds_its_advice_after_the_drifted_columns(severity, advice):
    recs = recommendations(result([col("a", 0.2, 0.1)], severity=severity))
    assert recs == [INVESTIGATE + "a (wasserstein 0.2)."] + advice


def test_target_and_prediction_drift_are_named_with_method_and_score():
    target = col("y", 0.0001, 0.05, kind="p_value", method="chisquare", role="target")
    pred = col("p", 0.25, 0.1, method="psi", role="prediction")
    recs = recommendations(result([col("a", 0.01, 0.1, False)], target=target, prediction=pred))
    assert recs == [
        "The target y drifted (chisquare 1.00e-04): the base rate or label process changed; re-evaluate "
        "performance on recent labels and consider retraining on recent data.",
        "The model's output p shifted (psi 0.25): expect downstream decision rates (approvals, alerts) to change.",
        CLEAR,
    ]


def test_target_and_prediction_that_did_not_drift_add_nothing():
    target = col("y", 0.5, 0.05, drifted=False, kind="p_value", role="target")
    pred = col("p", 0.01, 0.1, drifted=False, role="prediction")
    assert recommendations(result([col("a", 0.01, 0.1, False)], target=target, prediction=pred)) == [CLEAR]


def test_joint_drift_without_a_drifted_column_points_at_relationships():
    recs = recommendations(result([col("a", 0.01, 0.1, False)], mv={"drifted": True}))
    assert recs == [JOINT]
    assert recommendations(result([col("a", 0.01, 0.1, False)], mv={"drifted": False})) == [CLEAR]
    both = recommendations(result([col("a", 0.2, 0.1)], mv={"drifted": True}))
    assert both == [INVESTIGATE + "a (wasserstein 0.2)."]


@pytest.mark.parametrize("rows, fdr, kind, warned", [
    ((100_001, 10), None, "p_value", True), ((10, 100_001), None, "p_value", True),
    ((100_000, 100_000), None, "p_value", False), ((200_000, 10), 0.05, "p_value", False),
    ((200_000, 10), None, "distance", False),
])
def test_large_runs_with_p_value_drift_suggest_a_distance(rows, fdr, kind, warned):
    recs = recommendations(result([col("a", 0.001, 0.05, kind=kind, method="ks")], rows=rows, fdr=fdr))
    assert (LARGE in recs) is warned
    assert recs[0].startswith(INVESTIGATE)


def test_a_side_without_a_row_count_counts_as_zero_rows():
    r = result([col("a", 0.001, 0.05, kind="p_value", method="ks")])
    r.reference = {}
    r.current = {"rows": 100_001}
    assert recommendations(r)[-1] == LARGE


def test_all_clear_only_when_some_column_was_tested():
    assert recommendations(result([col("a", 0.01, 0.1, False)])) == [CLEAR]
    assert recommendations(result([])) == []


def test_six_drifted_name_five_and_count_one_more():
    # strengths 0.6/0.1 = 6 down to 0.1/0.1 = 1: c0 is the weakest, left unnamed
    cols = [col(f"c{i}", (i + 1) / 10, 0.1) for i in range(6)]
    assert recommendations(result(cols))[0] == (
        INVESTIGATE + "c5 (wasserstein 0.6), c4 (wasserstein 0.5), c3 (wasserstein 0.4), c2 (wasserstein 0.3), "
                      "c1 (wasserstein 0.2) and 1 more.")
