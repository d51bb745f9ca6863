"""Seeded data for the estimation tests and benchmark: a multiclass model whose probabilities
are miscalibrated, and a regression model whose error depends on its inputs; the current
period's inputs move (covariate shift) while the input-label relation holds, unless
``concept`` asks for it to change."""

from __future__ import annotations

import numpy as np
import pandas as pd

CLASSES = ("cat", "dog", "eel")
W = np.array([[1.6, -0.4], [-0.8, 1.3], [-0.6, -1.0]])


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def multiclass_frame(n, seed, shift=0.0, days=1, concept=0.0, start="2024-01-01", temperature=0.6):
    """Rows with x1, x2, the label ``y`` (true class probabilities ``softmax(W x)``), the model's
    ``proba_<class>`` (``softmax(W x / temperature)``: overconfident) and its prediction."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, n)
    x = rng.normal(0, 1, (n, 2)) + shift * (day / max(days - 1, 1))[:, None] * np.array([1.0, -0.5])
    logits = x @ W.T
    true = _softmax(logits + concept * np.array([[-1.5, 1.5, 0.0]]) * x[:, :1])
    y = (rng.random(n)[:, None] > np.cumsum(true, axis=1)).sum(axis=1)
    model = _softmax(logits / temperature)
    ts = pd.Timestamp(start) + pd.to_timedelta(day * 86400 + rng.integers(0, 86400, n), unit="s")
    f = pd.DataFrame({"ts": ts, "x1": x[:, 0], "x2": x[:, 1], "y": np.array(CLASSES)[y],
                      "yhat": np.array(CLASSES)[model.argmax(axis=1)]})
    for j, c in enumerate(CLASSES):
        f[f"proba_{c}"] = model[:, j]
    return f


MC = dict(task="multiclass", target="y", prediction="yhat", proba=[f"proba_{c}" for c in CLASSES], timestamp="ts",
          window="1D")


def regression_frame(n, seed, shift=0.0, days=1, concept=0.0, start="2024-01-01"):
    """Rows with x1, x2, a category ``region``, the target ``y`` and the model's ``yhat``; the
    noise grows with |x1| and is larger in region ``north`` (heteroscedastic), so the error
    depends on the inputs."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, n)
    x1 = rng.normal(shift * day / max(days - 1, 1), 1.0, n)
    x2 = rng.normal(0, 1, n)
    region = rng.choice(["north", "south", "west"], n, p=[0.3, 0.4, 0.3])
    yhat = 10 + 2 * x1 - x2
    scale = 0.5 + 0.8 * np.abs(x1) + (region == "north") * 1.0 + concept
    y = yhat + rng.normal(0, 1, n) * scale
    ts = pd.Timestamp(start) + pd.to_timedelta(day * 86400 + rng.integers(0, 86400, n), unit="s")
    return pd.DataFrame({"ts": ts, "x1": x1, "x2": x2, "region": region, "y": y, "yhat": yhat})


REG = dict(task="regression", target="y", prediction="yhat", timestamp="ts", window="1D")


def stored_rows(realized, band=(0.9, 0.88, 0.92), start=1, metric="accuracy", n=400):
    """History rows of daily windows from 2024-01-``start``: each window's estimate with its band
    ``(value, lower, upper)`` and, where ``realized`` holds a value (not None), the realized value
    on ``n`` labeled rows, as the disagreement check reads them from the store."""
    value, lower, upper = band
    days = range(start, start + len(realized))
    rows = [{"timestamp": f"2024-01-{d:02d}", "metric": metric, "kind": "estimated", "value": value, "lower": lower,
             "upper": upper, "n": 500} for d in days]
    rows += [{"timestamp": f"2024-01-{d:02d}", "metric": metric, "kind": "realized", "value": v, "n": n}
             for d, v in zip(days, realized) if v is not None]
    return rows
