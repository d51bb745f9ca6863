"""`mlmon drift` against Evidently 0.7.23's `Report([DataDriftPreset()])` on the same parquet files.

Column drift results carry Evidently's test ids so people can compare the two tools directly; this
test holds mlmon to that promise on mixed data. It pins down Evidently's column typing (decided on
the *current* dataset: float -> numerical; int -> categorical when at most 10 distinct values;
bool and pandas category -> categorical; strings -> categorical unless distinct values exceed half
the non-null count, which makes them text, which mlmon skips) and its default test choice
(decided on the reference values left after dropping NaN and +-inf: at most 1000 -> ks, or
chisquare / z for at most 5 / 2 distinct values; more -> wasserstein, or jensenshannon for at most
5 distinct numerical values and for every categorical column).

Evidently is the reference implementation here: for every column both tools test, the method must
be the same, the scores equal within 1e-9 and the drifted flags identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidently_oracle import evidently_drift
from mlmon_testing import run_mlmon_process

ROOT = Path(__file__).resolve().parent.parent
SCORE_TOLERANCE = 1e-9


def mixed_frame(n: int, seed: int, drifted: bool) -> pd.DataFrame:
    """Every dtype a parquet file commonly hands to pandas, plus NaN, +-inf and typing edge cases."""
    rng = np.random.default_rng(seed)
    shift = 0.5 if drifted else 0.0

    with_gaps = rng.normal(0.0, 1.0, n)
    with_gaps[rng.random(n) < 0.05] = np.nan
    with_gaps[:3] = [np.inf, -np.inf, np.inf]
    mostly_missing = rng.exponential(1.0, n)
    mostly_missing[rng.random(n) < 0.7] = np.nan  # 3000 rows leave ~900 values: small-sample tests

    return pd.DataFrame(
        {
            "f_normal_nan_inf": with_gaps,
            "f_shifted": rng.normal(shift, 1.0, n),
            "f_four_levels": rng.choice([0.5, 1.5, 2.5, 3.5], n),
            "f_two_levels": rng.choice([0.0, 1.0], n, p=[0.7 - shift / 4, 0.3 + shift / 4]),
            "f32_gamma": rng.gamma(2.0, 2.0, n).astype("float32"),
            "f_mostly_missing": mostly_missing,
            "f_constant": np.full(n, 7.0),
            "i_many": rng.integers(0, 500, n),
            "i_int32": rng.integers(-50, 50, n).astype("int32"),
            "i_six_levels": rng.integers(0, 6, n),
            # 10 distinct values in current (categorical), 12 in reference (numerical there):
            # Evidently types each column from the current dataset
            "i_ten_in_current": rng.integers(0, 10 if drifted else 12, n),
            # and the other way round: 11 in current (numerical), 10 in reference
            "i_eleven_in_current": rng.integers(0, 11 if drifted else 10, n),
            "b_flag": rng.random(n) < 0.3 + shift / 5,
            "s_color_with_none": pd.Series(rng.choice(["red", "green", "blue", "teal", None], n), dtype=object),
            "s_yes_no": rng.choice(["yes", "no"], n),
            "s_codes_40pct_distinct": rng.choice([f"code{i}" for i in range(int(n * 0.4))], n),
            "s_free_text": [f"note {i} {rng.integers(10**9)}" for i in range(n)],  # text: mlmon skips it
            "c_category": pd.Categorical(
                rng.choice(["a", "b", "c", "d"], n, p=[0.1, 0.2, 0.3, 0.4] if drifted else [0.4, 0.3, 0.2, 0.1])
            ),
        }
    )


def write_pair(tmp_path: Path, n_reference: int, n_current: int, drop=()) -> tuple[Path, Path]:
    ref, cur = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    mixed_frame(n_reference, seed=1, drifted=False).drop(columns=list(drop)).to_parquet(ref, index=False)
    mixed_frame(n_current, seed=2, drifted=True).drop(columns=list(drop)).to_parquet(cur, index=False)
    return ref, cur


def run_mlmon(ref: Path, cur: Path) -> dict:
    run = run_mlmon_process("drift", ref, cur, "--format", "json", "--no-history", cwd=ROOT)
    assert run.code == 0, run.err
    return run.json()


def run_evidently(ref: Path, cur: Path) -> dict:
    return evidently_drift(pd.read_parquet(ref), pd.read_parquet(cur))


def assert_same_column_results(ours: dict, theirs: dict) -> None:
    compared = {name: r for name, r in theirs["columns"].items() if r["type"] != "text"}
    assert sorted(ours["columns"]) == sorted(compared), "tested columns differ"
    differences = []
    for name, expected in compared.items():
        got = ours["columns"][name]
        for field in ("type", "method", "drifted"):
            if got[field] != expected[field]:
                differences.append(f"{name}: {field} mlmon={got[field]!r} Evidently={expected[field]!r}")
        if not abs(got["score"] - expected["score"]) <= SCORE_TOLERANCE:
            differences.append(f"{name}: score mlmon={got['score']!r} Evidently={expected['score']!r}")
    assert not differences, "\n".join(differences)


def test_large_reference_uses_wasserstein_and_jensenshannon_like_evidently(tmp_path):
    ref, cur = write_pair(tmp_path, n_reference=3000, n_current=300)
    ours, theirs = run_mlmon(ref, cur), run_evidently(ref, cur)

    assert_same_column_results(ours, theirs)
    # the branches of Evidently's choice this data set is built to reach
    methods = {name: r["method"] for name, r in theirs["columns"].items()}
    assert methods["f_shifted"] == "wasserstein"
    assert methods["f_four_levels"] == methods["f_constant"] == "jensenshannon"
    assert methods["f_mostly_missing"] == "ks"  # fewer than 1000 reference values after dropping NaN
    assert methods["s_color_with_none"] == methods["b_flag"] == "jensenshannon"
    assert theirs["columns"]["i_ten_in_current"]["type"] == "categorical"
    assert theirs["columns"]["i_eleven_in_current"]["type"] == "numerical"
    # the free-text column is Evidently's text drift; mlmon skips it and says so
    assert theirs["columns"]["s_free_text"]["type"] == "text"
    assert "s_free_text" in ours["skipped"]
    # Evidently's share also counts the text column; over the columns both test it must agree
    compared = [r for r in theirs["columns"].values() if r["type"] != "text"]
    assert ours["drift_share"] == pytest.approx(sum(r["drifted"] for r in compared) / len(compared), abs=1e-12)


def test_small_reference_uses_ks_chisquare_and_z_like_evidently(tmp_path):
    ref, cur = write_pair(tmp_path, n_reference=800, n_current=500, drop=["s_free_text"])
    ours, theirs = run_mlmon(ref, cur), run_evidently(ref, cur)

    assert_same_column_results(ours, theirs)
    methods = {name: r["method"] for name, r in theirs["columns"].items()}
    assert methods["f_shifted"] == methods["i_many"] == "ks"
    assert methods["f_four_levels"] == methods["s_color_with_none"] == "chisquare"
    assert methods["f_two_levels"] == methods["b_flag"] == methods["s_yes_no"] == "z"
    assert ours["drift_share"] == pytest.approx(theirs["drift_share"], abs=1e-12)
    assert ours["dataset_drift"] == (theirs["drift_share"] >= 0.5)
