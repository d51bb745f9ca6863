"""A credit model whose labels come 20 days after each prediction, as files a scheduled job reads.

``write(folder, days=45)`` writes a labeled reference, one predictions file per day
(``cur/YYYY-MM-DD.parquet``: id, ts, income, utilization, region, proba, pred) and one labels file
per day the labels became known (``labels/YYYY-MM-DD.parquet``: id, labeled_at, default), plus a
``monitoring.yaml`` with ``data.labels`` and ``performance.label_delay: 20d``. The probabilities
are the true ones (the labels are drawn from them), so confidence-based estimates are calibrated.
``shift_from`` moves utilization up from that day on (more defaults predicted: accuracy falls).
``jitter_days`` spreads the delay uniformly over 20 ± jitter days. ``concept_from`` makes
defaults more likely than the scores say from that day on (the input-label relation changes;
the inputs do not).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import numpy as np
import pandas as pd

START = date(2026, 3, 1)
DELAY = timedelta(days=20)


def _rows(rng, n, day, first_id, shift=0.0, concept=0.0):
    income = rng.lognormal(10.5, 0.4, n)
    utilization = np.clip(rng.beta(2, 5, n) + shift, 0, 1)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    logit = -1.2 + 4.0 * (utilization - 0.3) - 0.8 * (np.log(income) - 10.5) + (region == "east") * 0.4
    proba = 1 / (1 + np.exp(-logit))
    truth = 1 / (1 + np.exp(-(logit + concept)))  # concept != 0: the label no longer follows the score
    default = (rng.uniform(size=n) < truth).astype(int)
    ts = pd.Timestamp(day) + pd.to_timedelta(np.sort(rng.uniform(0, 86_399, n)), unit="s")
    return pd.DataFrame({"id": np.arange(first_id, first_id + n), "ts": ts, "income": income,
                         "utilization": utilization, "region": region, "proba": proba,
                         "pred": (proba >= 0.5).astype(int), "default": default})


CONFIG = """version: 1
model: {{name: credit, version: "7", task: binary}}
data:
  reference: {{path: ref.parquet}}
  current: {{path: "cur/{{date}}.parquet"}}
  labels: {{path: "labels/{{date}}.parquet", join_on: id, timestamp: labeled_at}}
  columns: {{target: default, prediction: pred, prediction_proba: proba, timestamp: ts, id: id}}
performance:
  label_delay: 20d
  classification: {{primary: [accuracy]}}
alerts:
  consecutive_failures: 1
  cooldown: 1d
  on_estimated: {on_estimated}
  critical:
    conditions: {{accuracy_drop: 0.10}}
    notify: []
"""


def write(folder, days=45, per_day=300, shift_from=None, jitter_days=0, seed=11, on_estimated=True,
          concept_from=None):
    """Write the scenario under ``folder``; returns ``(config path, truth)`` where ``truth`` is
    the frame of every prediction with its label and the time the label became known."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "cur"), exist_ok=True)
    os.makedirs(os.path.join(folder, "labels"), exist_ok=True)
    _rows(rng, 5000, START - timedelta(days=60), 10_000_000).to_parquet(os.path.join(folder, "ref.parquet"))
    days_all, next_id = [], 1
    for i in range(days):
        day = START + timedelta(days=i)
        shift = 0.25 if shift_from is not None and i >= shift_from else 0.0
        concept = 1.5 if concept_from is not None and i >= concept_from else 0.0
        frame = _rows(rng, per_day, day, next_id, shift, concept)
        next_id += per_day
        frame.drop(columns=["default"]).to_parquet(os.path.join(folder, "cur", f"{day.isoformat()}.parquet"))
        days_all.append(frame)
    truth = pd.concat(days_all, ignore_index=True)
    delay = pd.to_timedelta(DELAY.days + rng.uniform(-jitter_days, jitter_days, len(truth)), unit="D") \
        if jitter_days else pd.Timedelta(DELAY)
    truth["labeled_at"] = truth["ts"] + delay
    arrival = truth["labeled_at"].dt.normalize()
    for day, part in truth.groupby(arrival):
        part[["id", "labeled_at", "default"]].to_parquet(
            os.path.join(folder, "labels", f"{day.date().isoformat()}.parquet"))
    path = os.path.join(folder, "monitoring.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(CONFIG.format(on_estimated=str(on_estimated).lower()))
    return path, truth


def dates(days=45):
    return [START + timedelta(days=i) for i in range(days)]
