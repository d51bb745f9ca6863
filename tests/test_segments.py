"""`mlmon drift --segment-by`: one result per segment, false discoveries held across segments x columns.

Expected values come from the data each test builds (which segment was shifted, how many rows
each segment holds) and, for the adjustment, from statsmodels' Benjamini-Hochberg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmon_testing import run_mlmon
from mlmon_testing import write_pair as _files, drift_json as _drift, drift_error as _error

COUNTRIES = ["FR", "DE", "US", "IT"]


def _table(n, seed, shift_in=None, shift=1.0):
    rng = np.random.default_rng(seed)
    country = rng.choice(COUNTRIES, n, p=[0.4, 0.3, 0.2, 0.1])
    x = rng.normal(0, 1, n)
    if shift_in is not None:
        x = np.where(country == shift_in, x + shift, x)
    return pd.DataFrame({"country": country, "device": rng.choice(["ios", "android"], n), "x": x,
                         "y": rng.gamma(2, 2, n), "k": rng.choice(list("abc"), n)})


def _rows(table, country):
    return int((table["country"] == country).sum())


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seg")
    return _files(tmp, _table(20_000, 0), _table(20_000, 1, shift_in="IT"))


def test_a_shift_in_one_segment_is_found_there_and_named_by_the_whole_table(shifted):
    d = _drift(*shifted, "--segment-by", "country")
    assert list(d["segments"]) == ["FR", "DE", "US", "IT"]  # by rows, largest first
    assert d["segments"]["IT"]["columns"]["x"]["drifted"] is True
    assert [c for s, r in d["segments"].items() for c, x in r["columns"].items() if x["drifted"]] == ["x"]
    top = d["segmentation"]["most_drifted"]
    assert top[0]["segment"] == "IT" and top[0]["drifted_columns"] == ["x"]
    assert any(w.startswith("segments drifted most: IT (1 of 4 columns: x)") for w in d["warnings"])
    # the segment column is not a column of its own segments; the rest are
    assert set(d["segments"]["IT"]["columns"]) == {"device", "x", "y", "k"}


def test_each_segment_has_the_whole_tables_contract(shifted):
    d = _drift(*shifted, "--segment-by", "country")
    whole = {k for k in d if k not in ("segments", "segmentation")}
    for r in d["segments"].values():
        assert set(r) == whole
        assert r["reference"]["rows"] + r["current"]["rows"] > 0


def test_without_segments_the_result_has_no_segment_keys(shifted):
    d = _drift(*shifted)
    assert "segments" not in d and "segmentation" not in d


def test_a_segment_below_the_minimum_is_reported_not_tested(shifted):
    d = _drift(*shifted, "--segment-by", "country", "--segment-min-rows", "2500")
    it = d["segmentation"]["not_tested"]["IT"]
    assert it["reason"] == "fewer than 2500 rows on a side: reported, not tested"
    assert it["reference_rows"] == _rows(_table(20_000, 0), "IT") and it["current_rows"] == _rows(_table(20_000, 1), "IT")
    assert "IT" not in d["segments"]


def test_top_k_pools_the_other_values(shifted):
    d = _drift(*shifted, "--segment-by", "country:TOP2")
    assert list(d["segments"]) == ["FR", "(other)", "DE"]
    assert d["segmentation"]["by"] == ["country:TOP2"]
    assert d["segments"]["(other)"]["reference"]["rows"] == 20_000 - (
        d["segments"]["FR"]["reference"]["rows"] + d["segments"]["DE"]["reference"]["rows"])


def test_two_columns_make_one_segment_per_combination(shifted):
    d = _drift(*shifted, "--segment-by", "country,device")
    assert len(d["segments"]) == 8
    assert d["segmentation"]["values"]["country=IT, device=ios"] == {"country": "IT", "device": "ios"}
    assert set(d["segments"]["country=IT, device=ios"]["columns"]) == {"x", "y", "k"}


def test_the_config_names_the_segments(shifted, tmp_path):
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text("version: 1\nmodel: {name: m, task: binary}\ndata: {reference: {path: a}, current: {path: b}}\n"
                   "segments:\n  by: [country]\n  min_rows: 2500\n")
    d = _drift(*shifted, "--config", cfg)
    assert d["segmentation"]["by"] == ["country"] and d["segmentation"]["min_rows"] == 2500
    assert list(d["segmentation"]["not_tested"]) == ["IT"]


def test_markdown_lists_the_segments(shifted):
    run = run_mlmon("drift", *shifted, "--segment-by", "country", "--no-history")
    assert run.code == 0
    assert "## Segments by country" in run.out
    assert f"| IT | {_rows(_table(20_000, 0), 'IT'):,} | {_rows(_table(20_000, 1), 'IT'):,} | x |" in run.out


# ---------------------------------------------------------------------------- bad input


def test_a_column_with_too_many_values_is_refused_with_its_count_and_the_top_k_form(tmp_path):
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"user": np.arange(100_000).astype(str), "x": rng.normal(size=100_000)})
    r, c = _files(tmp_path, t, t)
    err = _error(r, c, "--segment-by", "user")
    assert err == ("mlmon: error: segment column 'user' has 100000 distinct values, more than the 100 segments a "
                   "check tests (command line); keep the most frequent with --segment-by user:TOP20 (the other "
                   "values pooled as \"(other)\")\n")
    d = _drift(r, c, "--segment-by", "user:TOP20", "--segment-min-rows", "10")
    assert d["segmentation"]["not_tested"]["0"]["reference_rows"] == 1
    assert d["segments"]["(other)"]["reference"]["rows"] == 100_000 - 20


def test_a_segment_column_not_in_the_data_is_refused(shifted):
    err = _error(*shifted, "--segment-by", "region")
    assert "--segment-by names column 'region', which is not in the data" in err
    assert "segment by one of its columns: country, device, x, y, k" in err


@pytest.mark.parametrize("flags, message", [
    (["--segment-fdr", "1.5"], "--segment-fdr 1.5 is outside (0, 1)"),
    (["--segment-min-rows", "3"], "--segment-min-rows 3 is not a row count of at least 10"),
    (["--segment-by", "country:TOP0"], "--segment-by country:TOP0: TOP needs at least 1 value"),
    (["--segment-by", "country,country"], "--segment-by names a column twice"),
])
def test_bad_segment_options_are_refused(shifted, flags, message):
    args = flags if flags[0] == "--segment-by" else ["--segment-by", "country", *flags]
    assert message in _error(*shifted, *args)


def test_segments_with_windows_or_profiles_are_refused(shifted, tmp_path):
    err = _error(*shifted, "--segment-by", "country", "--chunk-size", "1000")
    assert "--segment-by with windows is not supported yet" in err
    err = _error(*shifted, "--segment-by", "country", "--engine", "local")
    assert "segments and text descriptors need rows, not profiles or an engine" in err


# ---------------------------------------------------------------------------- false discoveries


def test_every_pair_gets_an_empirical_p_value_and_benjamini_hochberg_runs_over_all_of_them():
    """A p-value pair and two distance pairs, nulls of 19 draws each: (1 + extreme) / 20 by hand,
    then statsmodels' BH; a pair with a threshold from a flag keeps its own verdict."""
    from statsmodels.stats.multitest import multipletests

    from mlmon.services.drift.result import ColumnDrift
    from mlmon.services.drift.segments import _control

    def col(name, score, kind, rule, source="default"):
        return ColumnDrift(name, "numerical", "feature", "ks" if kind == "p_value" else "wasserstein", "t", score,
                           0.05, False, kind, rule, None, 100, 100, 0, 0, 0, threshold_source=source)

    class R:
        def __init__(self, cols):
            self.columns, self.target_drift, self.prediction_drift = cols, None, None

    grid = np.arange(1, 20) / 20  # 0.05 ... 0.95
    results = {"a": R({"x": col("x", 0.001, "p_value", "<="), "y": col("y", 0.97, "distance", ">=")}),
               "b": R({"x": col("x", 0.5, "distance", ">="), "z": col("z", 9.0, "distance", ">=", "flag")})}
    nulls = {("a", "x"): (grid, "<="), ("a", "y"): (grid, ">="), ("b", "x"): (grid, ">=")}
    out = _control(results, nulls, 0.1, "default")
    raw = [1 / 20, 1 / 20, 11 / 20]  # none at or below 0.001; none at or above 0.97; 10 at or above 0.5
    assert [results["a"].columns["x"].details["null_p_value"], results["a"].columns["y"].details["null_p_value"],
            results["b"].columns["x"].details["null_p_value"]] == pytest.approx(raw)
    expected = multipletests(raw, method="fdr_bh")[1]
    assert [results["a"].columns["x"].p_value_adjusted, results["a"].columns["y"].p_value_adjusted,
            results["b"].columns["x"].p_value_adjusted] == pytest.approx(expected, rel=1e-12)
    assert [results["a"].columns["x"].drifted, results["a"].columns["y"].drifted, results["b"].columns["x"].drifted] == [
        True, True, False]  # 0.075, 0.075 <= 0.1 < 0.55
    assert results["b"].columns["z"].p_value_adjusted is None and out == {"tested": 4, "flagged": 2}


def _null_run(seed, q):
    from mlmon.io.tables import Table
    from mlmon.services.drift import DriftOptions
    from mlmon.services.drift.segments import run_segments
    from mlmon.services.drift.windowed import run_two_files

    def table(n, s):
        rng = np.random.default_rng(s)
        # segments of 200 to 2400 rows: p-value tests (ks, chisquare) below 1000 reference rows, distances above
        seg = rng.choice(list("ABCDEF"), n, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
        return pd.DataFrame({"seg": seg, "x": rng.normal(0, 1, n), "y": rng.exponential(1, n),
                             "c": rng.choice(list("pqrs"), n, p=[0.4, 0.3, 0.2, 0.1]),
                             "b": rng.choice(["u", "v"], n)})

    ref = Table("ref", table(8_000, 2 * seed), {"seg": "string", "x": "float", "y": "float", "c": "string", "b": "string"})
    cur = Table("cur", table(4_000, 2 * seed + 1), dict(ref.kinds))
    options = DriftOptions().override(segment_by=["seg"], segment_fdr=q)
    d = run_segments(ref, cur, options, run_two_files(ref, cur, options)).to_dict()
    return d["segmentation"]["pairs_flagged"], d["segmentation"]["pairs_tested"]


def test_with_no_change_the_share_of_flagged_pairs_stays_at_or_below_the_rate_asked_for():
    """24 seeded null runs of 6 segments x 4 columns (p-value and distance tests both used).

    Under no change every flag is false, so the FDR is the chance that a run flags anything:
    at most q = 0.1. Observed: the runs with a flag, with the one-sided 99 % Clopper-Pearson
    bound, and the mean share of flagged pairs. The smaller segments (under 1000 reference rows)
    use Evidently's chisquare, whose own p-values (BH over them at their share of the level)
    flagged 4 of these 24 runs: the empirical p-values are what keeps the rate."""
    from scipy.stats import beta

    q, runs = 0.1, 24
    outcomes = [_null_run(seed, q) for seed in range(runs)]
    any_flag = sum(1 for f, _ in outcomes if f)
    share = np.mean([f / t for f, t in outcomes])
    lower = beta.ppf(0.01, any_flag, runs - any_flag + 1) if any_flag else 0.0
    assert lower <= q, (any_flag, runs)
    assert share <= q
    assert all(t == 24 for _, t in outcomes)


# ---------------------------------------------------------------------------- the partition


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=40),
       st.lists(st.sampled_from(["a", "d", None]), min_size=1, max_size=40), st.integers(1, 4))
def test_every_row_falls_in_exactly_one_segment(ref, cur, k):
    from mlmon.services.segments import parse_segment_by, partition

    frames = [pd.DataFrame({"s": pd.Series(ref, dtype=object)}), pd.DataFrame({"s": pd.Series(cur, dtype=object)})]
    p = partition(frames, parse_segment_by([f"s:TOP{k}"]))
    for i, f in enumerate(frames):
        rows = np.concatenate([p.rows[n][i] for n in p.names])
        assert sorted(rows.tolist()) == list(range(len(f)))
    assert len([n for n in p.names if n not in ("(other)", "(missing)")]) <= k
