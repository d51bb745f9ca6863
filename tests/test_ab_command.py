"""`mlmon ab analyze` and `mlmon ab plan`: the JSON contract, numbers from scipy/statsmodels, the
recommendation, history, and one-line errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from mlmon.store.history import HistoryStore
from mlmon_testing import run_mlmon

COMPARISON_KEYS = {"control", "treatment", "metric", "control_mean", "treatment_mean", "lift", "lift_ci",
                   "p_value", "significant"}


def write_csv(path, columns):
    names = list(columns)
    lines = [",".join(names)]
    for row in zip(*columns.values()):
        lines.append(",".join(repr(v) if isinstance(v, float) else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def events(n=4000, rates=None, shift=0.0, seed=1, error_rate=0.002):
    rng = np.random.default_rng(seed)
    rates = rates or {"control": 0.10, "treatment": 0.13}
    names = list(rates)
    variant = [names[i] for i in rng.integers(0, len(names), n)]
    p = np.array([rates[v] for v in variant])
    pre = rng.normal(10, 2, n)
    is_t = np.array([v != "control" for v in variant])
    return {
        "variant": variant,
        "converted": [int(x) for x in rng.random(n) < p],
        "revenue": [float(x) for x in 0.8 * pre + rng.normal(0, 1, n) + shift * is_t],
        "pre_revenue": [float(x) for x in pre],
        "latency_ms": [float(x) for x in rng.gamma(2.0, 20.0, n)],
        "error": [int(x) for x in rng.random(n) < error_rate],
    }


def arms(cols, metric, name):
    return np.array([m for v, m in zip(cols["variant"], cols[metric]) if v == name], dtype=float)


def analyze(path, *extra, history=None):
    hist = ["--history", str(history)] if history else ["--no-history"]
    return run_mlmon("ab", "analyze", path, "--variant-col", "variant", "--format", "json", *hist, *extra)


@pytest.fixture
def two_arms(tmp_path):
    cols = events()
    return write_csv(tmp_path / "events.csv", cols), cols


def test_binary_and_continuous_metrics_match_statsmodels_and_scipy(two_arms):
    path, cols = two_arms
    run = analyze(path, "--metric-col", "converted", "--metric-col", "revenue")
    assert run.code == 0, run.err
    d = run.json()
    assert d["schema_version"] == 1
    assert {"srm", "comparisons", "guardrails", "recommendation", "reasons"} <= set(d)
    conv, rev = d["comparisons"]
    assert COMPARISON_KEYS <= set(conv)
    c, t = arms(cols, "converted", "control"), arms(cols, "converted", "treatment")
    z, p = proportions_ztest([t.sum(), c.sum()], [t.size, c.size])
    assert (conv["metric"], conv["test"], conv["control"], conv["treatment"]) == ("converted", "two_proportion_z", "control", "treatment")
    assert conv["p_value"] == pytest.approx(p, rel=1e-9)
    assert conv["statistic"] == pytest.approx(z, rel=1e-9)
    assert conv["lift"] == pytest.approx(t.mean() / c.mean() - 1, rel=1e-12)
    rc, rt = arms(cols, "revenue", "control"), arms(cols, "revenue", "treatment")
    ref = stats.ttest_ind(rt, rc, equal_var=False)
    assert rev["test"] == "welch_t"
    assert rev["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert rev["absolute_lift_ci"] == pytest.approx(list(ref.confidence_interval(0.95)), rel=1e-9)
    holm = multipletests([conv["p_value"], rev["p_value"]], method="holm")[1]
    assert [conv["p_value_adjusted"], rev["p_value_adjusted"]] == pytest.approx(list(holm), rel=1e-12)
    counts = [cols["variant"].count("control"), cols["variant"].count("treatment")]
    assert d["srm"]["p_value"] == pytest.approx(stats.chisquare(counts).pvalue, rel=1e-9)
    assert d["srm"]["observed"] == {"control": counts[0], "treatment": counts[1]} and not d["srm"]["mismatch"]
    assert conv["significant"] and d["recommendation"] == "SHIP"
    assert any("converted" in r and "significant" in r for r in d["reasons"])


def test_three_variants_with_benjamini_hochberg(tmp_path):
    cols = events(rates={"control": 0.10, "a": 0.10, "b": 0.14}, seed=4, n=6000)
    path = write_csv(tmp_path / "three.csv", cols)
    d = analyze(path, "--metric-col", "converted", "--correction", "bh").json()
    assert [c["treatment"] for c in d["comparisons"]] == ["a", "b"]
    raw = [c["p_value"] for c in d["comparisons"]]
    assert [c["p_value_adjusted"] for c in d["comparisons"]] == pytest.approx(
        list(multipletests(raw, method="fdr_bh")[1]), rel=1e-12)
    assert d["verdicts"]["b"] == "SHIP" and d["recommendation"] == "SHIP"


def test_cuped_is_welch_on_the_covariate_adjusted_metric(two_arms):
    path, cols = two_arms
    d = analyze(path, "--metric-col", "revenue", "--covariate-col", "pre_revenue").json()
    y, x = np.array(cols["revenue"]), np.array(cols["pre_revenue"])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adjusted = y - theta * (x - x.mean())
    is_t = np.array([v == "treatment" for v in cols["variant"]])
    ref = stats.ttest_ind(adjusted[is_t], adjusted[~is_t], equal_var=False)
    comp = d["comparisons"][0]
    assert comp["cuped"] and comp["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert d["metrics"][0]["cuped"]["theta"] == pytest.approx(theta, rel=1e-12)
    plain = analyze(path, "--metric-col", "revenue").json()["comparisons"][0]
    assert comp["absolute_lift_ci"][1] - comp["absolute_lift_ci"][0] < 0.7 * (
        plain["absolute_lift_ci"][1] - plain["absolute_lift_ci"][0])


def test_sample_ratio_mismatch_stops_the_analysis_with_a_plain_explanation(tmp_path):
    cols = events(n=4000)
    cols = {k: v + v[:600] if k != "variant" else v + ["treatment"] * 600 for k, v in cols.items()}
    path = write_csv(tmp_path / "srm.csv", cols)
    run = analyze(path, "--metric-col", "converted")
    assert run.code == 0
    d = run.json()
    assert d["srm"]["mismatch"] and d["srm"]["p_value"] < 0.001
    assert d["recommendation"] == "STOP" and d["comparisons"] == []
    assert "sample ratio mismatch" in d["reasons"][0]
    assert any("suspect" in r for r in d["reasons"])


def test_expected_split_is_what_the_ratio_is_checked_against(tmp_path):
    rng = np.random.default_rng(9)
    variant = ["control" if u < 0.8 else "treatment" for u in rng.random(5000)]
    path = write_csv(tmp_path / "split.csv", {"variant": variant, "y": [float(x) for x in rng.normal(size=5000)]})
    assert analyze(path, "--metric-col", "y").json()["recommendation"] == "STOP"
    d = analyze(path, "--metric-col", "y", "--expected-split", "control=0.8,treatment=0.2").json()
    counts = [variant.count("control"), variant.count("treatment")]
    assert d["srm"]["p_value"] == pytest.approx(stats.chisquare(counts, f_exp=[4000, 1000]).pvalue, rel=1e-9)
    assert d["recommendation"] != "STOP"


def config_file(tmp_path, error_rate_max=0.01, latency="200ms"):
    path = tmp_path / "monitoring.yaml"
    path.write_text(
        "version: 1\nmodel: {name: ranker, task: binary}\n"
        "data: {reference: {path: r.parquet}, current: {path: c.parquet}}\n"
        "experiments:\n  significance: 0.05\n  minimum_detectable_effect: 0.02\n"
        "  traffic_split: {control: 0.5, treatment: 0.5}\n"
        f"  guardrails: {{latency_p99_max: {latency}, error_rate_max: {error_rate_max}}}\n")
    return path


def test_guardrails_hold_when_shown_within_their_bounds(tmp_path, two_arms):
    path, cols = two_arms
    d = analyze(path, "--metric-col", "converted", "--config", config_file(tmp_path),
                "--latency-col", "latency_ms", "--error-col", "error").json()
    guards = {g["name"]: g for g in d["guardrails"]}
    assert set(guards) == {"latency_p99", "error_rate"}
    lat = np.array([x for v, x in zip(cols["variant"], cols["latency_ms"]) if v == "treatment"])
    assert guards["latency_p99"]["treatment_value"] == pytest.approx(np.quantile(lat, 0.99))
    assert guards["latency_p99"]["bound"] == pytest.approx(200.0)
    over = int((lat > 200.0).sum())
    assert guards["latency_p99"]["p_value"] == pytest.approx(
        stats.binomtest(over, lat.size, 0.01, alternative="less").pvalue, rel=1e-9)
    assert all(g["status"] == "pass" for g in guards.values())
    assert d["recommendation"] == "SHIP"


def test_a_broken_error_rate_guardrail_reverts_whatever_the_primary_metric_says(tmp_path):
    cols = events(seed=3)
    rng = np.random.default_rng(30)
    cols["error"] = [int(rng.random() < (0.03 if v == "treatment" else 0.002)) for v in cols["variant"]]
    path = write_csv(tmp_path / "errors.csv", cols)
    d = analyze(path, "--metric-col", "converted", "--config", config_file(tmp_path), "--error-col", "error").json()
    assert d["comparisons"][0]["significant"] and d["comparisons"][0]["lift"] > 0
    err = d["guardrails"][0]
    assert err["status"] == "fail" and err["p_value_breach"] < 0.05
    assert d["recommendation"] == "REVERT"
    assert any("breaks guardrail error_rate" in r for r in d["reasons"])
    assert "guardrail latency_p99_max not checked: pass --latency-col with the latency column" in d["warnings"]


def test_interim_look_compares_z_with_the_obrien_fleming_boundary(two_arms):
    path, _ = two_arms
    d = analyze(path, "--metric-col", "converted", "--look", "2", "--of", "4").json()
    comp = d["comparisons"][0]
    assert d["sequential"]["boundary"] == pytest.approx(2.9631, abs=1e-3)
    assert [b["z"] for b in d["sequential"]["boundaries"]] == pytest.approx([4.3326, 2.9631, 2.3590, 2.0141], abs=1e-3)
    assert comp["sequential"]["crossed"] == (abs(comp["statistic"]) >= comp["sequential"]["boundary"])
    assert comp["significant"] == comp["sequential"]["crossed"]
    assert d["recommendation"] == ("SHIP" if comp["sequential"]["crossed"] else "CONTINUE")


def test_a_significant_fixed_horizon_p_value_is_not_enough_at_an_early_look(tmp_path):
    cols = events(n=3000, rates={"control": 0.10, "treatment": 0.13}, seed=14)  # z = 3.11
    path = write_csv(tmp_path / "early.csv", cols)
    fixed = analyze(path, "--metric-col", "converted").json()["comparisons"][0]
    d = analyze(path, "--metric-col", "converted", "--look", "1", "--of", "4").json()
    assert 1.96 < abs(fixed["statistic"]) < 4.3326, "the fixture must sit between the two thresholds"
    assert fixed["significant"]
    assert d["recommendation"] == "CONTINUE" and not d["comparisons"][0]["significant"]
    assert any("continue to look 2 of 4" in r for r in d["reasons"])
    last = analyze(path, "--metric-col", "converted", "--look", "4", "--of", "4").json()
    assert last["recommendation"] == ("SHIP" if abs(fixed["statistic"]) >= 2.0141 else "NO_DECISION")


def test_always_valid_p_value_is_the_mixture_sprt(two_arms):
    path, _ = two_arms
    d = analyze(path, "--metric-col", "converted", "--always-valid", "--mixture-sd", "0.02").json()
    comp = d["comparisons"][0]
    v, tau2 = comp["standard_error"] ** 2, 0.02 ** 2
    log_lr = 0.5 * np.log(v / (v + tau2)) + tau2 * comp["absolute_lift"] ** 2 / (2 * v * (v + tau2))
    assert comp["always_valid"]["p_value"] == pytest.approx(min(1.0, np.exp(-log_lr)), rel=1e-9)
    assert comp["always_valid"]["p_value"] >= comp["p_value"]


def test_not_significant_with_fewer_units_than_the_plan_needs_means_continue(tmp_path):
    cols = events(n=600, rates={"control": 0.10, "treatment": 0.10}, seed=2)
    path = write_csv(tmp_path / "small.csv", cols)
    d = analyze(path, "--metric-col", "converted", "--config", config_file(tmp_path)).json()
    assert d["recommendation"] == "CONTINUE"
    assert any("needs" in r and "per arm" in r for r in d["reasons"])
    assert analyze(path, "--metric-col", "converted").json()["recommendation"] == "NO_DECISION"


def test_each_analysis_is_recorded_and_the_latest_one_is_queryable(tmp_path, two_arms):
    path, _ = two_arms
    history = tmp_path / "history.db"
    for _ in range(2):
        assert analyze(path, "--metric-col", "converted,revenue", "--experiment", "ranker-v2", history=history).code == 0
    store = HistoryStore(str(history))
    runs = store.ab_runs()
    assert len(runs) == 2 and runs[0]["experiment"] == "ranker-v2" and runs[0]["recommendation"] == "SHIP"
    latest = store.latest_ab()
    assert [(r["run_id"], r["metric"]) for r in latest] == [(runs[0]["id"], "converted"), (runs[0]["id"], "revenue")]
    assert latest[0]["recommendation"] == "SHIP" and latest[0]["significant"] == 1
    stored = json.loads(store.query("SELECT result_json FROM runs WHERE id=?", (runs[0]["id"],))[0]["result_json"])
    assert stored["comparisons"][0]["lift"] == pytest.approx(latest[0]["lift"])


def test_markdown_leads_with_the_recommendation(two_arms):
    path, _ = two_arms
    run = run_mlmon("ab", "analyze", path, "--variant-col", "variant", "--metric-col", "converted", "--no-history")
    assert run.code == 0
    assert run.out.startswith("# A/B test `events`: SHIP")
    assert "| treatment | converted (primary) |" in run.out


def test_plan_gives_statsmodels_sample_size_and_gsdesign_boundaries():
    run = run_mlmon("ab", "plan", "--baseline-rate", "0.1", "--mde", "0.1", "--relative", "--power", "0.8",
                    "--alpha", "0.05", "--looks", "4", "--format", "json")
    assert run.code == 0, run.err
    d = run.json()
    assert d["sample_size_per_arm"] == 14745
    assert [b["look"] for b in d["boundaries"]] == [1, 2, 3, 4]
    assert [b["information_fraction"] for b in d["boundaries"]] == [0.25, 0.5, 0.75, 1.0]
    assert [b["z"] for b in d["boundaries"]] == pytest.approx([4.3326, 2.9631, 2.3590, 2.0141], abs=1e-3)
    assert [b["nominal_p"] for b in d["boundaries"]] == pytest.approx(
        [2 * stats.norm.sf(b["z"]) for b in d["boundaries"]], rel=1e-9)
    assert d["max_sample_size_per_arm"] > d["sample_size_per_arm"]


def test_plan_without_looks_has_no_boundaries_and_markdown_names_the_size():
    d = run_mlmon("ab", "plan", "--baseline-rate", "0.1", "--mde", "0.01", "--format", "json").json()
    # statsmodels: zt_ind_solve_power(proportion_effectsize(0.11, 0.10), alpha=0.05, power=0.8) = 14744.1
    assert d["boundaries"] == [] and d["sample_size_per_arm"] == 14745
    md = run_mlmon("ab", "plan", "--baseline-rate", "0.1", "--mde", "0.01").out
    assert md.startswith(f"# A/B plan: {d['sample_size_per_arm']:,} units per arm")


def test_ab_alone_prints_its_help():
    run = run_mlmon("ab")
    assert run.code == 0 and "analyze" in run.out and "plan" in run.out


# ---------------------------------------------------------------------------- bad input


def one_line_error(run, *needles):
    assert run.code == 2, (run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlmon: error: "), run.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert run.out == ""


def test_one_variant_only(tmp_path):
    path = write_csv(tmp_path / "one.csv", {"variant": ["control"] * 10, "y": [float(i) for i in range(10)]})
    one_line_error(analyze(path, "--metric-col", "y"), "only one variant (control)")


def test_unknown_control_name(two_arms):
    path, _ = two_arms
    one_line_error(analyze(path, "--metric-col", "converted", "--control", "baseline"),
                   "control variant `baseline` is not in column `variant`", "control, treatment")


def test_no_variant_called_control(tmp_path):
    path = write_csv(tmp_path / "ab.csv", {"variant": ["A", "B"] * 5, "y": [float(i) for i in range(10)]})
    one_line_error(analyze(path, "--metric-col", "y"), "--control")


def test_zero_variance(tmp_path):
    path = write_csv(tmp_path / "flat.csv", {"variant": ["control", "treatment"] * 50, "y": [3.0] * 100})
    one_line_error(analyze(path, "--metric-col", "y"), "metric `y` has zero variance")


def test_non_numeric_metric(tmp_path):
    path = write_csv(tmp_path / "text.csv", {"variant": ["control", "treatment"] * 5, "y": ["high", "low"] * 5})
    one_line_error(analyze(path, "--metric-col", "y"), "metric `y` is not numeric")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    one_line_error(analyze(path, "--metric-col", "y"), "file is empty")


def test_header_only_file(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("variant,y\n")
    one_line_error(analyze(path, "--metric-col", "y"), "zero rows")


def test_missing_metric_column(two_arms):
    path, _ = two_arms
    one_line_error(analyze(path, "--metric-col", "clicks"), "no column `clicks`")


def test_binary_metric_type_on_a_continuous_column(two_arms):
    path, _ = two_arms
    one_line_error(analyze(path, "--metric-col", "revenue", "--metric-type", "binary"), "is not binary")


@pytest.mark.parametrize("flags, needle", [
    (["--expected-split", "control:0.5"], "expected NAME=SHARE"),
    (["--expected-split", "control=0.5"], "variant `treatment` has no share"),
    (["--look", "2"], "--look and --of go together"),
    (["--look", "5", "--of", "4"], "not a planned look"),
    (["--look", "1", "--of", "4", "--always-valid"], "two different sequential methods"),
    (["--error-col", "revenue"], "is not 0/1"),
    (["--covariate-col", "revenue=nope"], "no column `nope`"),
])
def test_bad_flags(two_arms, flags, needle):
    path, _ = two_arms
    one_line_error(analyze(path, "--metric-col", "converted", *flags), needle)


@pytest.mark.parametrize("flags, needle", [
    (["--baseline-rate", "0.1"], "no minimum detectable effect"),
    (["--mde", "0.1"], "no baseline rate"),
    (["--baseline-rate", "0.95", "--mde", "0.1", "--relative"], "rates must lie strictly between 0 and 1"),
    (["--baseline-rate", "0.1", "--mde", "0.01", "--power", "1.2"], "power 1.2"),
    (["--baseline-rate", "0.1", "--mde", "0.01", "--looks", "0"], "0 looks"),
])
def test_bad_plans(flags, needle):
    one_line_error(run_mlmon("ab", "plan", *flags), needle)


def test_a_flag_beats_the_config_and_the_config_beats_the_default(tmp_path, two_arms):
    path, _ = two_arms
    cfg = config_file(tmp_path)
    cfg.write_text(cfg.read_text().replace("significance: 0.05", "significance: 0.1"))
    assert analyze(path, "--metric-col", "converted").json()["settings"]["alpha"] == 0.05            # the default
    assert analyze(path, "--metric-col", "converted", "--config", cfg).json()["settings"]["alpha"] == 0.1
    assert analyze(path, "--metric-col", "converted", "--config", cfg, "--alpha", "0.01").json()["settings"]["alpha"] == 0.01


def test_plan_takes_the_config_then_the_flags(tmp_path):
    cfg = config_file(tmp_path)  # minimum_detectable_effect 0.02
    plan = ["ab", "plan", "--baseline-rate", "0.1", "--format", "json"]
    assert run_mlmon(*plan, "--config", cfg).json()["mde"] == 0.02
    assert run_mlmon(*plan, "--config", cfg, "--mde", "0.05").json()["mde"] == 0.05
    r = run_mlmon(*plan)
    assert r.code == 2 and r.err == "mlmon: error: no minimum detectable effect (--mde); give --mde (e.g. 0.1 --relative for +10%)\n"
