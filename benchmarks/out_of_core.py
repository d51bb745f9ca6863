"""Benchmark: drift on data larger than memory, streamed in bounded batches, against Evidently on a sample.

For each size (default 50,000,000 rows, and a tenth of it to show that memory does not grow with
the data) the script writes a reference and a drifted current of that many rows x 25 columns
as directories of parquet files (generated in chunks, never whole in memory, under a temporary
directory deleted afterwards), then measures, each command in its own process:

- ``mlmon profile REF_DIR --out ref.mlprofile --engine local`` (the reference streamed into a profile);
- ``mlmon drift ref.mlprofile CUR_DIR --engine local`` (the current streamed, drift against the profile);

reporting wall time, rows per second and peak RSS (the child's high-water mark from the kernel,
via os.wait4). The target: peak RSS under 2 GiB whatever the size.

Then Evidently 0.7.23 (``Report([DataDriftPreset()])``, the data read whole with pandas) runs on
samples of the same data (the first N rows of each side), doubling N from ``--evidently-start``
while the next run is predicted (linearly from the last) to finish within ``--evidently-budget``
seconds; the largest sample that finished is reported with its time and peak RSS, next to mlmon's exact in-memory drift and the
profile-based drift on that same sample (whose verdicts are compared column by column).

    benchmarks/run out_of_core [--rows N] [--small-rows N] [--batch-rows N] [--tmp-dir DIR] [--engine local|dask]
                               [--evidently-start N] [--evidently-budget S] [--no-evidently]

The columns are those of ``drift_vs_evidently.py`` (20 numerical of different shapes, 5 text
with 3 to 1000 categories; 8 of the 25 drift in the current).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from drift_vs_evidently import _max_rss_mb, evidently_command, make_frame  # noqa: E402

RSS_TARGET_MB = 2048
CHUNK_ROWS = 1_000_000  # rows per generated parquet file
ROW_GROUP_ROWS = 250_000


# --------------------------------------------------------------------------------------------
# data: written chunk by chunk, two processes at a time


def _write_chunk(args) -> int:
    directory, index, rows, seed, drifted = args
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = make_frame(rows, seed * 1_000_003 + index, drifted)
    path = Path(directory) / f"part-{index:05d}.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=ROW_GROUP_ROWS)
    return rows


def generate(directory: Path, rows: int, seed: int, drifted: bool, jobs: int) -> float:
    """Write ``rows`` rows as parquet files of CHUNK_ROWS rows; returns seconds taken."""
    directory.mkdir(parents=True)
    tasks = []
    for i, start in enumerate(range(0, rows, CHUNK_ROWS)):
        tasks.append((str(directory), i, min(CHUNK_ROWS, rows - start), seed, drifted))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = sum(pool.map(_write_chunk, tasks))
    assert done == rows
    return time.perf_counter() - t0


def sample(directory: Path, rows: int, out: Path) -> Path:
    """The first ``rows`` rows of a generated directory as one parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables, have = [], 0
    for f in sorted(directory.glob("*.parquet")):
        t = pq.read_table(f)
        tables.append(t.slice(0, rows - have))
        have += tables[-1].num_rows
        if have >= rows:
            break
    pq.write_table(pa.concat_tables(tables), out)
    return out


def dir_size_mb(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.glob("*.parquet")) / 2**20


# --------------------------------------------------------------------------------------------
# measuring a child process


def measure(cmd, timeout=None) -> dict:
    """Run cmd; wall seconds, its peak RSS (MiB, from os.wait4), exit code, stdout; killed after ``timeout``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        deadline = None if timeout is None else t0 + timeout
        timed_out = False
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                timed_out = True
                _, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "rss_mb": _max_rss_mb(rusage),
            "returncode": os.waitstatus_to_exitcode(status),
            "timed_out": timed_out,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def checked(name: str, cmd) -> dict:
    r = measure(cmd)
    if r["returncode"] != 0:
        print(f"{name} failed (exit {r['returncode']}): {' '.join(map(str, cmd))}\n{r['stderr'][-3000:]}", file=sys.stderr)
        raise SystemExit(2)
    return r


def batch_flag(batch_rows):
    return [] if batch_rows is None else ["--batch-rows", batch_rows]


def mlmon(*args) -> list:
    return [str(ROOT / "bin" / "mlmon"), *map(str, args)]


# --------------------------------------------------------------------------------------------


def run_size(work: Path, rows: int, seed: int, batch_rows: int, jobs: int, keep_for_sample: bool, engine: str = "local"):
    ref_dir, cur_dir = work / f"reference-{rows}", work / f"current-{rows}"
    gen = generate(ref_dir, rows, seed, False, jobs) + generate(cur_dir, rows, seed, True, jobs)
    print(f"  generated 2 x {rows:,} rows in {gen:.0f} s ({dir_size_mb(ref_dir) + dir_size_mb(cur_dir):,.0f} MiB of parquet)",
          flush=True)
    profile = work / f"reference-{rows}.mlprofile"
    p = checked("mlmon profile", mlmon("profile", ref_dir, "--out", profile, "--engine", engine,
                                       *batch_flag(batch_rows), "--format", "json"))
    d = checked("mlmon drift", mlmon("drift", profile, cur_dir, "--engine", engine, *batch_flag(batch_rows),
                                     "--format", "json", "--no-history"))
    result = json.loads(d["stdout"])
    out = {
        "rows": rows,
        "profile": {"wall": p["wall"], "rss_mb": p["rss_mb"], "rows_per_s": rows / p["wall"]},
        "drift": {"wall": d["wall"], "rss_mb": d["rss_mb"], "rows_per_s": rows / d["wall"]},
        "profile_bytes": profile.stat().st_size,
        "n_drifted": result.get("n_drifted"),
        "n_columns": result.get("n_columns"),
        "drift_share": result.get("drift_share"),
        "drifted": sorted(k for k, v in result.get("columns", {}).items() if v.get("drifted")),
    }
    if not keep_for_sample:
        shutil.rmtree(ref_dir)
        shutil.rmtree(cur_dir)
    return out, ref_dir, cur_dir


def evidently_ladder(work: Path, ref_dir: Path, cur_dir: Path, start: int, limit: int, budget: float, batch_rows: int):
    """Evidently on doubling samples while a run fits ``budget`` seconds; the largest finished run.

    A run whose time, extrapolated linearly from the previous one, would exceed the budget is not
    started (it is reported as predicted); a run that exceeds it anyway is killed, and when that
    happens to the first size, half of it is tried.
    """
    best, n, tried = None, start, []
    while n <= limit:
        if best is not None:
            predicted = best["wall"] * n / best["rows"]
            if predicted > budget:
                print(f"  Evidently on {n:,} rows per side: not run, predicted {predicted:.0f} s > budget {budget:.0f} s", flush=True)
                break
        ref, cur = sample(ref_dir, n, work / f"sample-ref-{n}.parquet"), sample(cur_dir, n, work / f"sample-cur-{n}.parquet")
        r = measure(evidently_command(ref, cur), timeout=budget)
        status = "timeout" if r["timed_out"] else ("ok" if r["returncode"] == 0 else f"exit {r['returncode']}")
        tried.append((n, r["wall"], r["rss_mb"], status))
        print(f"  Evidently on {n:,} rows per side: {status}, {r['wall']:.0f} s, {r['rss_mb']:,.0f} MiB", flush=True)
        if status != "ok":
            if best is None and n // 2 >= 50_000:  # the first size was too much: try half
                n //= 2
                continue
            break
        best = {"rows": n, "wall": r["wall"], "rss_mb": r["rss_mb"], "result": json.loads(r["stdout"]),
                "ref": ref, "cur": cur}
        n *= 2
    if best is None:
        return None, tried
    # mlmon on the same sample: exact (in memory) and from a profile
    exact = checked("mlmon drift (exact)", mlmon("drift", best["ref"], best["cur"], "--format", "json", "--no-history"))
    prof = work / "sample.mlprofile"
    pp = checked("mlmon profile (sample)", mlmon("profile", best["ref"], "--out", prof, "--engine", "local",
                                                 *batch_flag(batch_rows), "--format", "json"))
    pd_ = checked("mlmon drift (profile)", mlmon("drift", prof, best["cur"], "--engine", "local", *batch_flag(batch_rows),
                                                 "--format", "json", "--no-history"))
    best["exact"] = {"wall": exact["wall"], "rss_mb": exact["rss_mb"], "result": json.loads(exact["stdout"])}
    best["profiled"] = {"wall": pp["wall"] + pd_["wall"], "rss_mb": max(pp["rss_mb"], pd_["rss_mb"]),
                        "result": json.loads(pd_["stdout"])}
    return best, tried


def verdicts(result: dict) -> dict:
    return {k: bool(v.get("drifted")) for k, v in result.get("columns", {}).items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=50_000_000, help="rows per side of the large run (default 50,000,000)")
    ap.add_argument("--small-rows", type=int, default=None, help="rows per side of the small run (default rows/10; 0 skips it)")
    ap.add_argument("--batch-rows", type=int, default=None, help="mlmon --batch-rows (default: mlmon's own)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="processes generating data (default 2)")
    ap.add_argument("--tmp-dir", default=None, help="where the generated data goes (default: the system temp dir)")
    ap.add_argument("--evidently-start", type=int, default=1_000_000, help="first Evidently sample, rows per side")
    ap.add_argument("--evidently-budget", type=float, default=180.0, help="seconds one Evidently run may take")
    ap.add_argument("--no-evidently", action="store_true")
    ap.add_argument("--engine", choices=["local", "dask"], default="local",
                    help="mlmon's engine (dask: a local cluster, one worker process per core; peak RSS is then the "
                         "largest single process's, not the cluster's total)")
    args = ap.parse_args(argv)
    small = args.rows // 10 if args.small_rows is None else args.small_rows

    work = Path(tempfile.mkdtemp(prefix="mlmon-ooc-", dir=args.tmp_dir))
    try:
        # untimed warm-up: builds mlmon's environment if needed
        checked("mlmon --version", mlmon("--version"))
        runs = []
        for rows in [r for r in (small, args.rows) if r]:
            print(f"== {rows:,} rows per side x 25 columns", flush=True)
            keep = rows == args.rows and not args.no_evidently
            out, ref_dir, cur_dir = run_size(work, rows, args.seed, args.batch_rows, args.jobs, keep, args.engine)
            runs.append(out)
            for step in ("profile", "drift"):
                s = out[step]
                print(f"  {step:8s} {s['wall']:8.1f} s  {s['rows_per_s']:>12,.0f} rows/s  peak RSS {s['rss_mb']:7,.0f} MiB", flush=True)
            print(f"  profile file {out['profile_bytes'] / 1024:,.0f} KiB; drifted {out['n_drifted']} of {out['n_columns']} columns: "
                  f"{', '.join(out['drifted'])}", flush=True)
        best = None
        if not args.no_evidently:
            print("== Evidently on samples of the large run's data", flush=True)
            best, _tried = evidently_ladder(work, ref_dir, cur_dir, args.evidently_start, args.rows,
                                            args.evidently_budget, args.batch_rows)
        print("\n== summary")
        for r in runs:
            total = r["profile"]["wall"] + r["drift"]["wall"]
            peak = max(r["profile"]["rss_mb"], r["drift"]["rss_mb"])
            print(f"mlmon  {r['rows']:>12,} rows/side  profile+drift {total:8.1f} s  {2 * r['rows'] / total:>12,.0f} rows/s  "
                  f"peak RSS {peak:7,.0f} MiB  {'PASS' if peak < RSS_TARGET_MB else 'FAIL'} (< {RSS_TARGET_MB} MiB)")
        if len(runs) == 2:
            a, b = (max(r["profile"]["rss_mb"], r["drift"]["rss_mb"]) for r in runs)
            print(f"memory growth: {runs[1]['rows'] / runs[0]['rows']:.0f}x the rows -> {b / a:.2f}x the peak RSS")
        if best:
            ev_rate = 2 * best["rows"] / best["wall"]
            big = runs[-1]
            big_rate = 2 * big["rows"] / (big["profile"]["wall"] + big["drift"]["wall"])
            print(f"Evidently {best['rows']:>9,} rows/side (largest within {args.evidently_budget:.0f} s)  {best['wall']:8.1f} s  "
                  f"{ev_rate:>12,.0f} rows/s  peak RSS {best['rss_mb']:7,.0f} MiB")
            print(f"mlmon exact on that sample      {best['exact']['wall']:8.1f} s  peak RSS {best['exact']['rss_mb']:7,.0f} MiB;  "
                  f"profile-based {best['profiled']['wall']:8.1f} s  peak RSS {best['profiled']['rss_mb']:7,.0f} MiB")
            print(f"throughput ratio mlmon ({big['rows']:,} rows, streamed) / Evidently ({best['rows']:,} rows): {big_rate / ev_rate:.1f}x")
            exact, profiled = verdicts(best["exact"]["result"]), verdicts(best["profiled"]["result"])
            differ = sorted(c for c in exact if c in profiled and exact[c] != profiled[c])
            only = sorted(set(exact) ^ set(profiled))
            print(f"verdicts on the sample: profile-based vs exact agree on {len(exact) - len(differ)} of {len(exact)} columns"
                  + (f"; differ: {', '.join(differ)}" if differ else "") + (f"; tested by one only: {', '.join(only)}" if only else ""))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
