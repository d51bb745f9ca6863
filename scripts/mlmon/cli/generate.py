"""``mlmon generate``: Prometheus rules, Alertmanager config, Grafana dashboard, compose stack."""

from __future__ import annotations

import json
import sys

from mlmon.cli.common import write
from mlmon.errors import render_options_in

ARTIFACT_HELP = {
    "prometheus-rules": "alerting rules from the config's alert tiers, and their promtool unit tests",
    "alertmanager": "Alertmanager config: routing by severity, grouping, inhibition, receivers",
    "grafana": "Grafana dashboard JSON and its provisioning files",
    "compose": "the whole stack: all of the above, prometheus.yml and a compose file with mlmon serve",
}


def register(sub) -> None:
    g = sub.add_parser("generate", help="write Prometheus/Alertmanager/Grafana files from a monitoring config",
                       description="Write monitoring-stack files from a monitoring config into --out DIR. "
                                   "Existing files are never replaced without --force.")
    g.set_defaults(group_parser=g)
    kinds = g.add_subparsers(dest="artifact", metavar="ARTIFACT")
    for name, text in ARTIFACT_HELP.items():
        p = kinds.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("--config", metavar="FILE", required=True, help="monitoring config")
        p.add_argument("--out", metavar="DIR", required=True, help="directory to write into (created if missing)")
        p.add_argument("--force", action="store_true", help="overwrite files that already exist")
        p.add_argument("--evaluation-interval", default="1m",
                       help="rule evaluation interval; `for:` = consecutive_failures x this (default 1m)")
        p.add_argument("--rate-window", default="5m", help="range of rate() in rules (default 5m)")
        p.add_argument("--scrape-interval", default="15s", help="Prometheus scrape interval (default 15s)")
        p.add_argument("--secrets-dir", default="/run/secrets",
                       help="where Alertmanager reads the secret files (default /run/secrets, as compose mounts them)")
        default = "serving" if name == "compose" else "all"
        p.add_argument("--conditions", choices=["all", "serving"], default=None,
                       help="alert conditions that get Prometheus rules: all, or serving (latency_p99, latency_p95, "
                            f"error_rate) when `mlmon run` alerts on the batch ones (default {default}"
                            + (", since the stack runs beside `mlmon run`)" if name == "compose" else ")"))
        p.add_argument("--format", choices=["md", "json"], default="md", help="summary format (default md)")
        p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
        p.set_defaults(func=run_generate)


def run_generate(args) -> int:
    from mlmon.services.config import load_config
    from mlmon.services.stack import StackOptions, generate, write_stack

    config = load_config(args.config)
    options = StackOptions(evaluation_interval=args.evaluation_interval, rate_window=args.rate_window,
                           scrape_interval=args.scrape_interval, secrets_dir=args.secrets_dir,
                           conditions=args.conditions)
    stack = generate(config, args.artifact, options, args.config, args.out)
    write_stack(stack, args.out, args.force)
    render_options_in(stack.warnings, getattr(args, "option_names", None))
    data = stack.to_dict()
    if args.format == "json":
        write(json.dumps(data, indent=2) + "\n", None)
    else:
        lines = [f"Wrote {len(stack.written)} file(s) for {args.artifact}:"] + [f"- {p}" for p in stack.written]
        lines += [f"note: {n}" for n in stack.notes]
        write("\n".join(lines) + "\n", None)
        # each warning once: on stderr here; in the JSON summary with --format json
        for w in stack.warnings:
            print(f"mlmon: warning: {w}", file=sys.stderr)
    return 0
