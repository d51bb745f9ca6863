"""Embedding drift: time and peak memory at scale, false-positive rate and power, against Evidently.

Part 1 (scale): ``mlmon drift REF CUR`` on two parquet files holding one ``list<float32>``
column of ``--rows`` vectors of ``--dim`` values (1,000,000 x 384 by default), run as a child
process; wall time and the child's peak resident memory (``ru_maxrss``). The automatic method
at this size is the domain classifier; the linear-time MMD is timed too (``--column-method``).

Part 2 (checks): on ``--check-rows`` standard-normal vectors a side in ``--check-dim``
dimensions, ``--runs`` seeded runs each of no change (false-positive rate) and of a shift of
``--shift`` sd along a random 2-dimensional subspace (power), for mlmon's three tests at level
0.05 and for Evidently 0.7's embedding drift methods as its ``EmbeddingsDrift`` metric runs
them (``ModelDriftMethod``: held-out ROC AUC of an SGD classifier above 0.55, the default;
``MMDDriftMethod``: MMD² above 0.015). Each rate with its 95 % Clopper-Pearson interval.

Part 3 (Evidently's cost): time and peak memory of Evidently's two methods and mlmon's
automatic choice on ``--evidently-rows`` rows a side (each in a child process: its own peak;
imports and a 50-row warm-up run before the clock starts).
Evidently's MMD builds the full pooled kernel matrix, ``(2n)² x 8`` bytes (measured: it crashed at
10,000 rows a side in 384 dimensions).

alibi-detect's MMD is not compared: it needs TensorFlow or PyTorch as a backend, which were
not installable here.

Run from the repository root::

    benchmarks/run embedding_drift
    benchmarks/run embedding_drift --rows 100000 --runs 20
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

MIB = 2 ** 20


def write_vectors(path: str, rows: int, dim: int, shift: float, seed: int, block: int = 100_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([("emb", pa.list_(pa.float32()))])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, block):
            k = min(block, rows - start)
            e = rng.standard_normal((k, dim), dtype=np.float32)
            e[:, 0] += shift
            flat = pa.array(e.ravel())
            writer.write_table(pa.table({"emb": pa.ListArray.from_arrays(pa.array(np.arange(k + 1, dtype=np.int32) * dim), flat)},
                                        schema=schema))


def child(argv) -> dict:
    """Run ``argv`` as a child process: wall seconds, peak RSS (MiB) of the child, its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ))
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": elapsed, "peak_mib": max(peak, before) / 1024, "stdout": proc.stdout,
            "returncode": proc.returncode, "stderr": proc.stderr}


def part_scale(rows: int, dim: int) -> None:
    print(f"## 1. mlmon drift on {rows:,} x {dim} float32 vectors a side (parquet list<float32>)")
    with tempfile.TemporaryDirectory() as tmp:
        ref, cur = os.path.join(tmp, "ref.parquet"), os.path.join(tmp, "cur.parquet")
        t = time.perf_counter()
        write_vectors(ref, rows, dim, 0.0, 1)
        write_vectors(cur, rows, dim, 0.02, 2)
        print(f"(files written in {time.perf_counter() - t:.0f} s, {os.path.getsize(ref) / MIB:,.0f} MiB each; "
              f"current moved by 0.02 sd in one dimension)")
        print("| method | wall s | peak RSS MiB | score (p) | statistic |")
        print("|---|---:|---:|---:|---:|")
        for extra in ([], ["--column-method", "emb=mmd_linear"]):
            out = _one_drift(ref, cur, extra)
            print(f"| {out['method']} | {out['seconds']:.1f} | {out['peak_mib']:,.0f} | {out['score']:.3g} | "
                  f"{out['statistic']:.5g} |")
        print()


def _one_drift(ref, cur, extra):
    # each run in its own child (a fresh process: its own peak), the child's own rusage
    code = ("import json, resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run([sys.executable, '-m', 'mlmon', 'drift', *sys.argv[1:], '--format', 'json', "
            "'--no-history'], capture_output=True, text=True); "
            "print(json.dumps({'seconds': time.perf_counter() - t, "
            "'peak_mib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 'out': p.stdout, 'err': p.stderr}))")
    run = child([sys.executable, "-c", code, ref, cur, *extra])
    if run["returncode"] != 0:
        raise SystemExit(run["stderr"][-500:])
    info = json.loads(run["stdout"])
    if not info["out"]:
        raise SystemExit(info["err"])
    col = json.loads(info["out"])["columns"]["emb"]
    return {"method": col["method"], "seconds": info["seconds"], "peak_mib": info["peak_mib"], "score": col["score"],
            "statistic": col["statistic"]}


def _interval(k: int, n: int):
    from scipy.stats import beta

    lo = beta.ppf(0.025, k, n - k + 1) if k else 0.0
    hi = beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return lo, hi


def _subspace(rng, n, d, size):
    basis, _ = np.linalg.qr(rng.normal(size=(d, 2)))
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    return x, y + size * basis.sum(axis=1) / math.sqrt(2)


def _evidently(method: str):
    import pandas as pd
    from evidently.legacy.metrics.data_drift.embedding_drift_methods import MMDDriftMethod, ModelDriftMethod

    m = ModelDriftMethod() if method == "model" else MMDDriftMethod()

    def run(x, y):
        cols = [f"e{i}" for i in range(x.shape[1])]
        _, drifted, _ = m(pd.DataFrame(y, columns=cols), pd.DataFrame(x, columns=cols))
        return bool(drifted)

    return run


def _mlmon(method: str):
    from mlmon.stats.embedding import embedding_test

    return lambda x, y, seed=0: embedding_test(x, y, method, alpha=0.05, seed=seed).drifted


def part_checks(n: int, d: int, runs: int, shift: float) -> None:
    print(f"## 2. False-positive rate and power: {n:,} rows a side, {d} dimensions, {runs} seeded runs each")
    print(f"(power: a shift of {shift} sd along a random 2-dimensional subspace; level 0.05 for mlmon; "
          "95 % Clopper-Pearson intervals)")
    print("| test | false-positive rate | power | s per run |")
    print("|---|---|---|---:|")
    tests = [("mlmon mmd (permutation)", _mlmon("mmd")), ("mlmon mmd_linear", _mlmon("mmd_linear")),
             ("mlmon domain_classifier", _mlmon("domain_classifier")),
             ("Evidently model (AUC > 0.55)", _evidently("model")), ("Evidently mmd (MMD² > 0.015)", _evidently("mmd"))]
    for name, test in tests:
        fp = tp = 0
        start = time.perf_counter()
        for seed in range(runs):
            rng = np.random.default_rng(seed)
            x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
            fp += test(x, y)
            tp += test(*_subspace(np.random.default_rng(10_000 + seed), n, d, shift))
        per = (time.perf_counter() - start) / (2 * runs)
        (a, b), (c, e) = _interval(fp, runs), _interval(tp, runs)
        print(f"| {name} | {fp / runs:.2f} [{a:.2f}, {b:.2f}] | {tp / runs:.2f} [{c:.2f}, {e:.2f}] | {per:.2f} |")
    print()


def part_cost(rows_list, d: int) -> None:
    print(f"## 3. Time and peak memory, {d} dimensions (each in its own process)")
    print("| rows a side | test | wall s | peak RSS MiB |")
    print("|---:|---|---:|---:|")
    for n in rows_list:
        for name in ("evidently:model", "evidently:mmd", "mlmon:auto"):
            code = ("import sys, time, numpy as np; sys.path.insert(0, 'benchmarks'); import embedding_drift as b; "
                    f"rng = np.random.default_rng(0); x, y = rng.normal(size=({n}, {d})), rng.normal(size=({n}, {d})); "
                    f"kind, m = '{name}'.split(':'); f = b._evidently(m) if kind == 'evidently' else b._mlmon(m); "
                    "f(x[:50], y[:50]); t = time.perf_counter(); f(x, y); import resource; "
                    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
            run = child([sys.executable, "-c", code])
            if run["returncode"] != 0:  # -9: killed, out of memory (Evidently's MMD holds a (2n)² kernel matrix)
                why = {-9: "killed (out of memory)", -11: "crashed (segmentation fault)"}.get(
                    run["returncode"], f"failed (exit {run['returncode']})")
                print(f"| {n:,} | {name} | {why} | |")
                continue
            seconds, peak = run["stdout"].split()
            print(f"| {n:,} | {name} | {float(seconds):.2f} | {float(peak):,.0f} |")
    print()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--check-rows", type=int, default=2000)
    p.add_argument("--check-dim", type=int, default=64)
    p.add_argument("--runs", type=int, default=40)
    p.add_argument("--shift", type=float, default=0.15)
    p.add_argument("--evidently-rows", type=int, nargs="+", default=[5000, 10000])
    p.add_argument("--skip-scale", action="store_true")
    p.add_argument("--skip-checks", action="store_true")
    args = p.parse_args(argv)
    if not args.skip_scale:
        part_scale(args.rows, args.dim)
    if not args.skip_checks:
        part_checks(args.check_rows, args.check_dim, args.runs, args.shift)
    part_cost(args.evidently_rows, args.dim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
