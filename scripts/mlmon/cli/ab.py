"""``mlmon ab analyze`` and ``mlmon ab plan``: A/B tests of model versions."""

from __future__ import annotations

import argparse
from typing import Dict, List

from mlmon.cli.common import add_common, add_history, add_html, check_output_paths, csv_list, emit, record, write_html



def _split(text: str) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for part in csv_list(text):
        name, sep, weight = part.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected NAME=SHARE,NAME=SHARE (e.g. control=0.5,treatment=0.5), "
                                             f"got {text!r}") from None
    return out


def register(sub) -> None:
    ab = sub.add_parser("ab", help="A/B tests of model versions: analyze an experiment, plan its size",
                        description="A/B tests of model versions.")
    ab_sub = ab.add_subparsers(dest="ab_command", metavar="SUBCOMMAND", parser_class=type(ab))
    ab.set_defaults(group_parser=ab)

    a = ab_sub.add_parser("analyze", help="compare variants: SRM, lifts, guardrails, a recommendation",
                          description="Analyse one experiment from EVENTS (one row per unit: parquet, .csv, .jsonl): "
                                      "sample ratio check, Welch / two-proportion tests with lift intervals, "
                                      "guardrails, multiple-testing correction and a SHIP/REVERT/CONTINUE/STOP/"
                                      "NO_DECISION recommendation.")
    a.add_argument("events", metavar="EVENTS")
    add_common(a)
    add_html(a)
    a.add_argument("--variant-col", metavar="COL", required=True, help="column naming each unit's variant")
    a.add_argument("--metric-col", metavar="COLS", action="append", type=csv_list, required=True, dest="metric_cols",
                   help="metric column(s), repeatable or comma-separated; the first is the primary metric")
    a.add_argument("--control", metavar="NAME", help="the control variant (default: the variant called `control`)")
    a.add_argument("--metric-type", choices=["binary", "continuous"],
                   help="force the metric type (default: binary when every value is 0 or 1)")
    a.add_argument("--expected-split", metavar="NAME=SHARE,...", type=_split,
                   help="planned traffic split for the sample ratio check (default: the config's, else equal)")
    a.add_argument("--covariate-col", metavar="[METRIC=]COL", action="append", default=[], dest="covariates",
                   help="pre-period covariate for CUPED, for every metric or for METRIC (repeatable)")
    a.add_argument("--config", metavar="FILE", help="monitoring config: significance, traffic split, guardrail bounds")
    a.add_argument("--alpha", type=float, help="significance level (default: the config's, else 0.05)")
    a.add_argument("--correction", choices=["holm", "bh", "none"],
                   help="multiple-testing correction across metrics and treatments (default holm)")
    a.add_argument("--look", type=int, metavar="K", help="this is planned look K ...")
    a.add_argument("--of", type=int, metavar="N", help="... of N equally spaced looks (group-sequential boundaries)")
    a.add_argument("--spending", choices=["obf", "pocock"],
                   help="alpha spending function for --look (default obf: O'Brien-Fleming type)")
    a.add_argument("--always-valid", action="store_true", default=None,
                   help="mixture-SPRT p-values and confidence sequences: valid however often you look")
    a.add_argument("--mixture-sd", type=float, metavar="X",
                   help="effect size the always-valid test is tuned for (default: the config's minimum detectable effect)")
    a.add_argument("--latency-col", metavar="COL", help="per-request latency column for the p99 guardrail")
    a.add_argument("--latency-unit", choices=["ms", "s"], help="unit of --latency-col (default ms)")
    a.add_argument("--latency-p99-max", metavar="DURATION",
                   help="p99 latency bound (default: the config's, else 200ms)")
    a.add_argument("--error-col", metavar="COL", help="0/1 column, 1 for a failed request, for the error-rate guardrail")
    a.add_argument("--error-rate-max", type=float, metavar="R",
                   help="error-rate bound (default: the config's, else 0.01)")
    a.add_argument("--experiment", metavar="NAME", help="experiment name in reports and history (default: file name)")
    a.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")
    add_history(a)
    a.set_defaults(func=run_analyze)

    p = ab_sub.add_parser("plan", help="sample size per arm and group-sequential boundaries",
                          description="Sample size per arm for a two-sided test (as statsmodels' power solvers) "
                                      "and, with --looks, Lan-DeMets boundaries.")
    add_common(p)
    p.add_argument("--baseline-rate", type=float, metavar="P", help="control's current rate (binary metric), "
                                                                     "or its mean with --sd --relative")
    p.add_argument("--mde", type=float, metavar="X", help="minimum detectable effect (absolute unless --relative)")
    p.add_argument("--relative", action="store_true", default=None,
                   help="--mde is a fraction of the baseline (0.1 = +10%%)")
    p.add_argument("--sd", type=float, metavar="S", help="standard deviation per unit (continuous metric)")
    p.add_argument("--power", type=float, help="chance of detecting the effect (default: the config's, else 0.8)")
    p.add_argument("--alpha", type=float, help="two-sided significance level (default: the config's, else 0.05)")
    p.add_argument("--looks", type=int, metavar="K", help="planned equally spaced looks (boundaries)")
    p.add_argument("--spending", choices=["obf", "pocock"], help="alpha spending function (default obf)")
    p.add_argument("--config", metavar="FILE", help="monitoring config: mde, power, significance")
    p.set_defaults(func=run_plan)


def _config(args):
    if not args.config:
        return None
    from mlmon.services.config import load_config

    return load_config(args.config)


def _covariates(given: List[str], metrics: List[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for text in given:
        metric, sep, col = text.partition("=")
        if sep:
            out[metric.strip()] = col.strip()
        else:
            for m in metrics:
                out.setdefault(m, text.strip())
    return out


def ab_options(args):
    """The analysis's options: the config's, then the flags the user gave (the same names)."""
    from dataclasses import fields

    from mlmon.services.experiments import AbOptions

    flags = {f.name: getattr(args, f.name, None) for f in fields(AbOptions)}
    flags["metric_cols"] = [m for group in args.metric_cols for m in group]
    flags["covariates"] = _covariates(args.covariates, flags["metric_cols"])
    return AbOptions.from_config(_config(args)).override(**flags)


def run_analyze(args) -> int:
    from mlmon.io.tables import read_table
    from mlmon.render.ab import ab_report
    from mlmon.services.experiments import analyze
    from mlmon.services.recording import record_ab

    check_output_paths(args, [args.events], flags=("--output", "--html"))
    options = ab_options(args)
    options.guardrail_specs([])  # a bad bound fails before the data is read
    table = read_table(args.events, encoding=args.encoding)
    data = analyze(table, options).to_dict()
    record(data, args, record_ab)
    write_html(data, args, _page)
    emit(data, args, ab_report)
    return 0


def run_plan(args) -> int:
    from dataclasses import fields

    from mlmon.render.ab import plan_report
    from mlmon.services.experiments import PlanOptions, plan_from_options

    check_output_paths(args, [], flags=("--output",))
    flags = {f.name: getattr(args, f.name, None) for f in fields(PlanOptions)}
    options = PlanOptions.from_config(_config(args)).override(**flags)
    emit(plan_from_options(options).to_dict(), args, plan_report)
    return 0


def _page(data):
    from mlmon.render.html.ab import ab_page

    return ab_page(data)
