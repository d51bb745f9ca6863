"""False-positive rate of sequential A/B decisions under the null, by simulation.

Every replicate is an A/A experiment: control and treatment convert at the same rate, and the
data arrive in K equal batches (``--per-look`` units per arm each). At every look the pooled
two-proportion z statistic of all data so far (``mlmon.stats.two_sample``) is compared with a
rule; a replicate is a false positive if any look rejects. Rules:

- ``obf``: the Lan-DeMets O'Brien-Fleming boundaries of ``mlmon ab`` (``--look k --of K``);
- ``pocock``: Lan-DeMets Pocock-type boundaries;
- ``peeking``: |z| >= 1.96 at every look (a fixed-horizon test read repeatedly);
- ``cumulative alpha``: the shortcut of comparing each look's p-value with the alpha the
  O'Brien-Fleming function has spent so far (p_k <= alpha(t_k)) instead of with the boundary;
- ``fixed``: only the last look at |z| >= 1.96 (the single planned analysis: 0.05 by design).

Target: ``obf`` within [0.045, 0.055] for K = 4 and K = 10 at nominal 0.05. The 95 % interval
of each rate is Wilson's; with the default 4,000,000 replicates it is about ±0.0002.

Run from the repository root::

    benchmarks/run sequential_fpr                    # K = 4 and 10, 4,000,000 replicates each
    PYTHONPATH=scripts python benchmarks/sequential_fpr.py --replicates 200000 --looks 4 10 20
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy import special

from mlmon.stats.sequential import group_sequential_boundaries
from mlmon.stats.two_sample import two_proportion_z_statistic

TARGET = (0.045, 0.055)


def wilson(hits: int, n: int, z: float = 1.959963984540054):
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def simulate(looks: int, replicates: int, per_look: int, rate: float, alpha: float, seed: int, chunk: int):
    obf = np.asarray(group_sequential_boundaries(looks, alpha, "obf").z)
    obf_spent = np.asarray(group_sequential_boundaries(looks, alpha, "obf").cumulative_alpha)
    pocock = np.asarray(group_sequential_boundaries(looks, alpha, "pocock").z)
    fixed = special.ndtri(1 - alpha / 2)
    rules = {"obf": 0, "pocock": 0, "peeking": 0, "cumulative alpha": 0, "fixed": 0}
    n = per_look * np.arange(1, looks + 1)
    rng = np.random.default_rng(seed)
    done = 0
    while done < replicates:
        size = min(chunk, replicates - done)
        c = rng.binomial(per_look, rate, size=(size, looks)).cumsum(axis=1)
        t = rng.binomial(per_look, rate, size=(size, looks)).cumsum(axis=1)
        z = np.abs(two_proportion_z_statistic(c, n, t, n))
        p = 2 * special.ndtr(-z)
        rules["obf"] += int((z >= obf).any(axis=1).sum())
        rules["pocock"] += int((z >= pocock).any(axis=1).sum())
        rules["peeking"] += int((z >= fixed).any(axis=1).sum())
        rules["cumulative alpha"] += int((p <= obf_spent).any(axis=1).sum())
        rules["fixed"] += int((z[:, -1] >= fixed).sum())
        done += size
    return rules


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--looks", type=int, nargs="+", default=[4, 10])
    ap.add_argument("--replicates", type=int, default=4_000_000)
    ap.add_argument("--per-look", type=int, default=1000, help="units per arm added at each look")
    ap.add_argument("--rate", type=float, default=0.10, help="conversion rate of both arms")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=20260401)
    ap.add_argument("--chunk", type=int, default=100_000, help="replicates simulated at once (memory)")
    ap.add_argument("--check-targets", action="store_true", help="exit 1 when obf leaves the target interval")
    args = ap.parse_args(argv)

    print(f"A/A simulations: {args.replicates:,} replicates per K, {args.per_look:,} units per arm per look, "
          f"rate {args.rate}, nominal alpha {args.alpha}")
    print(f"{'K':>3}  {'rule':<17} {'false positives':>15}  {'95% interval':>18}  {'vs obf':>7}")
    ok = True
    for looks in args.looks:
        start = time.perf_counter()
        rules = simulate(looks, args.replicates, args.per_look, args.rate, args.alpha, args.seed + looks, args.chunk)
        base = rules["obf"] / args.replicates
        for name, hits in rules.items():
            rate = hits / args.replicates
            lo, hi = wilson(hits, args.replicates)
            print(f"{looks:>3}  {name:<17} {rate:>15.4f}  [{lo:.4f}, {hi:.4f}]  {rate / base:>6.2f}x")
        inside = TARGET[0] <= base <= TARGET[1]
        ok &= inside
        print(f"     obf within [{TARGET[0]}, {TARGET[1]}]: {'yes' if inside else 'NO'} "
              f"({time.perf_counter() - start:.1f} s)")
    return 1 if (args.check_targets and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
