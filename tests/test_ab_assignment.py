"""Assignment of units to variants: uniform, weighted, stable across processes, light to import."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from mlmon.assignment import assign, bucket
from mlmon_testing import ROOT

IDS = [f"user-{i}" for i in range(100_000)]


def test_equal_weights_spread_100000_ids_uniformly_over_three_variants():
    names = ["control", "a", "b"]
    got = [assign("exp-uniform", u, names) for u in IDS]
    counts = [got.count(n) for n in names]
    assert stats.chisquare(counts).pvalue > 0.001


def test_weights_are_respected():
    split = {"control": 0.7, "t1": 0.2, "t2": 0.1}
    got = [assign("exp-weights", u, split) for u in IDS]
    counts = [got.count(n) for n in split]
    assert stats.chisquare(counts, f_exp=np.array(list(split.values())) * len(IDS)).pvalue > 0.001


def test_buckets_are_uniform_on_the_unit_interval():
    u = np.array([bucket("exp-ks", i) for i in IDS])
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_experiments_hash_independently():
    a = np.array([assign("exp-one", u, ["c", "t"]) == "t" for u in IDS])
    b = np.array([assign("exp-two", u, ["c", "t"]) == "t" for u in IDS])
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert stats.chi2_contingency(table).pvalue > 0.001


def test_a_zero_weight_variant_gets_nobody():
    assert {assign("exp-zero", u, {"control": 1, "off": 0, "t": 1}) for u in IDS[:5000]} == {"control", "t"}


def test_the_same_assignments_come_out_of_another_process_with_a_different_hash_seed():
    ids = IDS[:2000]
    here = [assign("exp-stable", u, {"control": 0.5, "t1": 0.25, "t2": 0.25}) for u in ids]
    code = ("import json, sys; from mlmon.assignment import assign; "
            "print(json.dumps([assign('exp-stable', f'user-{i}', {'control': 0.5, 't1': 0.25, 't2': 0.25}) "
            "for i in range(2000)]))")
    env = {"PYTHONPATH": str(ROOT / "scripts"), "PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert json.loads(out) == here


def test_importing_assign_loads_no_numpy_pandas_or_scipy():
    code = ("import sys; from mlmon.assignment import assign; assign('e', 1, ['a', 'b']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas', 'scipy')))")
    env = {"PYTHONPATH": str(ROOT / "scripts"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]"


def test_the_bucket_is_the_documented_sha256_prefix():
    import hashlib

    digest = hashlib.sha256(b"exp-1:42").digest()
    assert bucket("exp-1", 42) == int.from_bytes(digest[:8], "big") / 2 ** 64


@pytest.mark.parametrize("variants", [[], {"a": -1, "b": 1}, {"a": 0, "b": 0}, ["a", "a"]])
def test_bad_variant_lists_are_refused(variants):
    with pytest.raises(ValueError):
        assign("e", 1, variants)
