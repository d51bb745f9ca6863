"""Built-in demo data: a card-fraud model's reference month and a drifted current week.

Generated from a fixed seed (so the demo report is the same everywhere), written as parquet.
What moved in the current data, and what did not:

- ``amount`` grows by about 35 % (log-normal location shift): drifted;
- ``merchant_category``: online share grows from 25 % to 45 %: drifted;
- ``device``: a new value ``smart_tv`` appears;
- ``hour``, ``customer_age``, ``account_age_days``, ``country``, ``n_prev_tx``: unchanged;
- the fraud rate ``is_fraud`` rises from 2 % to 3.5 % and the model's ``fraud_score`` follows.
"""

from __future__ import annotations

import os
from typing import Tuple

import numpy as np
import pandas as pd

DEMO_TARGET = "is_fraud"
DEMO_PREDICTION = "fraud_score"
REFERENCE_ROWS = 20_000
CURRENT_ROWS = 5_000


def _frame(rng: np.random.Generator, n: int, drifted: bool) -> pd.DataFrame:
    amount = rng.lognormal(mean=3.6 + (0.3 if drifted else 0.0), sigma=0.9, size=n)
    online = 0.45 if drifted else 0.25
    cats = ["grocery", "online", "travel", "fuel", "restaurants"]
    rest = (1 - online) / 4
    merchant = rng.choice(cats, size=n, p=[rest, online, rest, rest, rest])
    devices = ["ios", "android", "web"] + (["smart_tv"] if drifted else [])
    p_dev = [0.4, 0.4, 0.17, 0.03] if drifted else [0.4, 0.4, 0.2]
    device = rng.choice(devices, size=n, p=p_dev)
    country = rng.choice(["DE", "FR", "NL", "ES", "IT", "PL"], size=n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    hour = rng.integers(0, 24, size=n)
    age = np.clip(rng.normal(41, 12, size=n), 18, 90).round()
    account_age = rng.exponential(900, size=n).round()
    n_prev = rng.poisson(12, size=n)
    base = 0.035 if drifted else 0.02
    logit = np.log(base / (1 - base)) + 0.6 * (np.log(amount) - 3.6) + 0.5 * (merchant == "online")
    p = 1 / (1 + np.exp(-logit))
    is_fraud = (rng.random(n) < p).astype(np.int64)
    score = np.clip(p + rng.normal(0, 0.01, size=n), 0, 1)
    return pd.DataFrame(
        {
            "amount": amount,
            "merchant_category": merchant,
            "device": device,
            "country": country,
            "hour": hour,
            "customer_age": age,
            "account_age_days": account_age,
            "n_prev_tx": n_prev,
            DEMO_TARGET: is_fraud,
            DEMO_PREDICTION: score,
        }
    )


def demo_frames(seed: int = 7) -> Tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return _frame(rng, REFERENCE_ROWS, drifted=False), _frame(rng, CURRENT_ROWS, drifted=True)


def write_demo_data(out_dir: str) -> Tuple[str, str]:
    """Write ``reference.parquet`` and ``current.parquet`` into ``out_dir``; return their paths."""
    from mlmon.errors import MlmonError

    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise MlmonError(f"cannot create the demo directory: {exc.strerror}", out_dir, "pass --out-dir DIR") from exc
    reference, current = demo_frames()
    ref_path = os.path.join(out_dir, "reference.parquet")
    cur_path = os.path.join(out_dir, "current.parquet")
    reference.to_parquet(ref_path, index=False)
    current.to_parquet(cur_path, index=False)
    return ref_path, cur_path
