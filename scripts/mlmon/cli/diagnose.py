"""``mlmon diagnose``: why did the model get worse? Evidence, ranked causes, a timeline."""

from __future__ import annotations

import argparse

from mlmon.cli.common import add_common, add_history, add_html, check_output_paths, csv_list, emit, record, write_html
from mlmon.errors import MlmonError


def _name_query(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=PROMQL, got {text!r}")
    name, query = text.split("=", 1)
    if not name or not query:
        raise argparse.ArgumentTypeError(f"expected NAME=PROMQL, got {text!r}")
    return name.strip(), query


def register(sub) -> None:
    p = sub.add_parser(
        "diagnose", help="root-cause analysis of a degraded model",
        description="Why did the model get worse? Measures performance change, feature/target/prediction "
                    "drift, concept drift, pipeline faults, coverage, infrastructure, traffic and change events, "
                    "then ranks the candidate causes with their evidence and builds a timeline from real times.")
    p.add_argument("--reference", metavar="FILE", help="data from a period known to be good (parquet, csv, jsonl)")
    p.add_argument("--current", metavar="FILE", help="the period in question")
    p.add_argument("--target", metavar="COL", help="label column")
    p.add_argument("--prediction", metavar="COL", help="prediction column (class or value)")
    p.add_argument("--proba", metavar="COL", help="predicted probability of the positive class (binary)")
    p.add_argument("--timestamp", metavar="COL", help="time of each row (timeline, before/after events)")
    p.add_argument("--task", choices=["binary", "multiclass", "regression"], help="default: from the config or the target")
    p.add_argument("--exclude", metavar="COLS", type=csv_list, default=[], help="columns that are not features (ids, ...)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--infra", metavar="FILE", help="infrastructure metrics: CSV/JSON/JSONL with timestamp, latency_p95_ms, "
                                                   "latency_p99_ms, error_rate, cpu/memory/gpu_utilization, requests")
    src.add_argument("--prometheus", metavar="URL", help="read the infrastructure metrics from this Prometheus server")
    p.add_argument("--prometheus-query", metavar="NAME=PROMQL", type=_name_query, action="append", default=[],
                   help="PromQL for one infra metric (repeatable; replaces its default query)")
    p.add_argument("--allow-remote-prometheus", action="store_true",
                   help="let --prometheus query a server that is neither on this machine nor the config's "
                        "integrations.prometheus.url (the query and the data's period leave the machine)")
    p.add_argument("--prometheus-timeout", metavar="SECONDS", type=float, default=10.0, help="per query (default 10)")
    p.add_argument("--events", metavar="FILE", help="change events (JSON/JSONL/CSV with timestamp, type, description)")
    p.add_argument("--config", metavar="FILE", help="monitoring config: column roles, task, alert tiers")
    p.add_argument("--fail-on", choices=["degraded"], help="exit 1 when the primary cause is not `none`")
    p.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/JSONL inputs (default utf-8)")
    add_common(p)
    add_html(p)
    add_history(p)
    p.set_defaults(func=run_diagnose)


def _config(args):
    if not args.config:
        return None
    from mlmon.services.config import load_config

    return load_config(args.config)


def run_diagnose(args) -> int:
    from dataclasses import fields

    from mlmon.io.infra import query_prometheus, read_events, read_infra
    from mlmon.io.tables import read_table
    from mlmon.services.rca import RcaInputs, Thresholds, diagnose
    from mlmon.services.rca.inputs import DiagnoseOptions, settings_from_config
    from mlmon.services.recording import record_diagnosis

    config = _config(args)
    options = DiagnoseOptions.from_config(config).override(
        **{f.name: getattr(args, f.name, None) for f in fields(DiagnoseOptions)})
    options.require_data()
    check_output_paths(args, [options.reference, options.current, args.infra, args.events], flags=("--output", "--html"))
    # read the small side inputs first: a bad events or infra file fails before the data is read
    events = read_events(args.events) if args.events else None  # None: no change log given
    infra = read_infra(args.infra) if args.infra else None
    ref = read_table(options.reference, encoding=args.encoding, role="reference")
    cur = read_table(options.current, encoding=args.encoding, role="current")
    roles = options.roles_in(set(ref.columns) & set(cur.columns))
    config_exclude = settings_from_config(config)["exclude"] if config is not None else []
    exclude = list(args.exclude) + [c for c in config_exclude if c in set(ref.columns)]
    thresholds = Thresholds.from_config(config) if config is not None else Thresholds()
    source = args.infra
    if args.prometheus:
        start, end = _span(cur, ref, roles["timestamp"])
        queries = None
        if args.prometheus_query:
            from mlmon.io.infra import DEFAULT_PROMETHEUS_QUERIES

            queries = dict(DEFAULT_PROMETHEUS_QUERIES)
            queries.update(dict(args.prometheus_query))
        named = config.integrations.prometheus.url if config is not None else None
        infra = query_prometheus(args.prometheus, start, end, queries=queries, timeout=args.prometheus_timeout,
                                 allowed=[named], allow_remote=args.allow_remote_prometheus)
        source = args.prometheus
    inputs = RcaInputs(
        reference=ref, current=cur, task=options.task, exclude=exclude,
        infra=infra, infra_source=source, events=events,
        history=_history_for_reading(args), model=config.model.name if config is not None else None,
        thresholds=thresholds, **roles,
    )
    data = diagnose(inputs).to_dict()
    record(data, args, record_diagnosis)
    write_html(data, args, _page)
    emit(data, args, _render)
    if args.fail_on == "degraded" and data["primary_cause"] != "none":
        return 1
    return 0


def _history_for_reading(args):
    if getattr(args, "no_history", False) and not getattr(args, "history", None):
        return None
    from mlmon.cli.common import history_location
    from mlmon.store.history import HistoryStore

    return HistoryStore(history_location(args))


def _span(cur, ref, timestamp):
    """The period to ask Prometheus about: the data's own times (reference start to current end)."""
    import pandas as pd

    from mlmon.io.infra import to_utc

    if not timestamp:
        raise MlmonError("--prometheus needs the data's times to know which period to query", "--prometheus",
                         "pass --timestamp COL (or --infra FILE)")
    times = [to_utc(t.frame[timestamp].to_numpy(), f"{side} column {timestamp}", timestamp)
             for side, t in (("current", cur), ("reference", ref))]
    start = min(s.min() for s in times)
    end = max(s.max() for s in times)
    return pd.Timestamp(start), pd.Timestamp(end)


def _render(data: dict) -> str:
    from mlmon.render.rca import diagnosis_report

    return diagnosis_report(data)


def _page(data):
    from mlmon.render.html.diagnose import diagnose_page

    return diagnose_page(data)
