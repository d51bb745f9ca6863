"""Do drift verdicts from a reference profile agree with the exact drift check?

The reference is 25 columns of production-like data (the shapes of ``drift_vs_evidently``: 20
numerical columns of many shapes, 5 string columns with 3 to 1,000 categories); its profile is
built from 8 partitions and merged, as a distributed job would. The current sets are held-back
rows of the same process, mixed with a growing share of drifted rows (0 %, 5 %, 10 %, 20 %,
50 %, 100 %), so many scores land near their thresholds, where a sketch's error could flip a
verdict. Each current set is checked twice: ``compute_drift`` on the rows (exact) and
``drift_from_profiles`` (reference profile vs current profile), with Evidently's automatic
choice of test and with ``ks``, ``wasserstein`` and ``psi`` forced on every column.

    benchmarks/run profile_agreement                        # 400,000 reference, 200,000 current rows
    benchmarks/run profile_agreement --rows 100000 --seeds 1

Reading the output, per method: ``agree`` is the share of column verdicts equal to the exact
check; ``flagged`` how many of the disagreements the profile had marked
``verdict_certain: false`` (a disagreement the output warned about); ``uncertain`` how many
verdicts were marked uncertain at all; ``covered`` the share of bounded scores whose exact
value lies inside the reported ``score_bounds``; ``max |diff|`` the largest gap between a
profile score and the exact one for scores the profile calls exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drift_vs_evidently import make_frame  # noqa: E402

from mlmon.io.tables import Table, _strings_to_categories  # noqa: E402
from mlmon.profiles import drift_from_profiles, merge_profiles, profile_frame  # noqa: E402
from mlmon.services.drift import DriftOptions, compute_drift  # noqa: E402

MIXES = (0.0, 0.05, 0.1, 0.2, 0.5, 1.0)
METHODS = (None, "ks", "wasserstein", "psi")


def table(frame: pd.DataFrame, name: str) -> Table:
    frame, kinds = _strings_to_categories(frame.copy())
    return Table(name, frame, kinds)


def current_set(rows: int, seed: int, mix: float) -> pd.DataFrame:
    held_back = make_frame(rows, seed + 1000, drifted=False)
    drifted = make_frame(rows, seed + 2000, drifted=True)
    take = np.random.default_rng(seed).random(rows) < mix
    return pd.concat([held_back[~take], drifted[take]], ignore_index=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=400_000, help="reference rows (current: half)")
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args(argv)

    stats = {m: dict(n=0, agree=0, flagged=0, uncertain=0, bounded=0, covered=0, bounds=[], maxdiff=0.0) for m in METHODS}
    t_exact = t_profile = t_build = 0.0
    for seed in range(args.seeds):
        ref = table(make_frame(args.rows, seed, drifted=False), "reference")
        t0 = time.perf_counter()
        parts = np.array_split(np.arange(ref.rows), 8)
        ref_profile = merge_profiles(profile_frame(ref.frame.iloc[p], kinds=ref.kinds) for p in parts)
        t_build += time.perf_counter() - t0
        for mix in MIXES:
            cur = table(current_set(args.rows // 2, seed, mix), "current")
            t0 = time.perf_counter()
            cur_profile = profile_frame(cur.frame, ref_profile.options, cur.kinds)
            t_build += time.perf_counter() - t0
            for method in METHODS:
                options = DriftOptions(method=method)
                t0 = time.perf_counter()
                exact = compute_drift(ref, cur, options).to_dict()["columns"]
                t1 = time.perf_counter()
                approx = drift_from_profiles(ref_profile, cur_profile, options).to_dict()["columns"]
                t2 = time.perf_counter()
                t_exact += t1 - t0
                t_profile += t2 - t1
                s = stats[method]
                for name, e in exact.items():
                    a = approx.get(name)
                    if a is None:
                        continue
                    s["n"] += 1
                    same = a["drifted"] == e["drifted"]
                    s["agree"] += same
                    s["uncertain"] += not a["verdict_certain"]
                    if not same and not a["verdict_certain"]:
                        s["flagged"] += 1
                    if a["approximate"]:
                        s["bounded"] += 1
                        lo, hi = a["score_bounds"]
                        s["covered"] += lo - 1e-12 <= e["score"] <= hi + 1e-12
                        s["bounds"].append(a["error_bound"])
                    else:
                        s["maxdiff"] = max(s["maxdiff"], abs(a["score"] - e["score"]))
                    if not same:
                        print(f"  disagreement: seed {seed} mix {mix:.0%} {method or 'auto'} {name}: exact "
                              f"{e['score']:.4g} ({e['drifted']}), profile {a['score']:.4g} ({a['drifted']}), "
                              f"certain={a['verdict_certain']} bounds={a.get('score_bounds')}")

    print(f"\n{args.rows:,} reference rows, {args.rows // 2:,} current rows, 25 columns, mixes "
          f"{', '.join(f'{m:.0%}' for m in MIXES)}, {args.seeds} seed(s)\n")
    print(f"{'method':<13}{'verdicts':>9}{'agree':>9}{'disagree':>10}{'flagged':>9}{'uncertain':>11}"
          f"{'bounded':>9}{'covered':>9}{'median bound':>14}{'max |diff|':>12}")
    total = agree = 0
    for method, s in stats.items():
        total += s["n"]
        agree += s["agree"]
        med = float(np.median(s["bounds"])) if s["bounds"] else float("nan")
        cov = s["covered"] / s["bounded"] if s["bounded"] else float("nan")
        print(f"{method or 'auto':<13}{s['n']:>9}{s['agree'] / s['n']:>9.1%}{s['n'] - s['agree']:>10}{s['flagged']:>9}"
              f"{s['uncertain']:>11}{s['bounded']:>9}{cov:>9.1%}{med:>14.2e}{s['maxdiff']:>12.1e}")
    print(f"\noverall agreement: {agree}/{total} = {agree / total:.2%}")
    print(f"time: exact checks {t_exact:.1f} s, profile checks {t_profile:.1f} s "
          f"(ratio {t_exact / max(t_profile, 1e-9):.1f}x), building profiles {t_build:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
