"""Synthetic incidents for the root-cause suite: healthy data from a known process, a logistic
model trained on it (scikit-learn), and exactly one injected cause per scenario.

The process: five numerical features and a categorical ``country``; the label is Bernoulli with
``logit = b0 + 2.0*income_z + 1.5*tenure_z - 1.0*debt_z + country effect`` (``noise_a`` and
``noise_b`` do not matter). ``income`` is positive and skewed (a money amount); the others are
standard normal. The model is trained on a separate sample, so it is right about the process
but not perfect. Reference: 7 days; current: the 2 days after. The infrastructure series
(5-minute points) and the change events cover both periods.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

START = pd.Timestamp("2026-03-01T00:00:00Z")
REF_DAYS, CUR_DAYS = 7, 2
COUNTRIES = ["DE", "FR", "ES", "IT"]
COUNTRY_EFFECT = {"DE": 0.3, "FR": -0.2, "ES": 0.0, "IT": -0.4, "BR": 0.0}
NUMERIC = ["income", "tenure", "debt", "noise_a", "noise_b"]
COEF = {"income": 2.0, "tenure": 1.5, "debt": -1.0, "noise_a": 0.0, "noise_b": 0.0}
B0 = -0.8
INCOME_MEDIAN = 3000.0


@dataclass
class Scenario:
    name: str
    cause: str                    # the injected cause: what the diagnosis must name
    names: List[str]              # the feature, segment, metric or event the evidence must name
    seed: int
    params: Dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}[seed={self.seed}{',' + extra if extra else ''}]"


# ------------------------------------------------------------------------------------ process

def features(rng: np.random.Generator, n: int, *, shift: Optional[Dict[str, float]] = None,
             spread: Optional[Dict[str, float]] = None, countries=None, country_p=None) -> pd.DataFrame:
    shift, spread = shift or {}, spread or {}
    z = {c: rng.normal(shift.get(c, 0.0), spread.get(c, 1.0), n) for c in NUMERIC}
    frame = pd.DataFrame({
        "income": np.round(INCOME_MEDIAN * np.exp(0.5 * z["income"]), 2),
        "tenure": z["tenure"], "debt": z["debt"], "noise_a": z["noise_a"], "noise_b": z["noise_b"],
        "country": rng.choice(countries or COUNTRIES, n, p=country_p),
    })
    return frame


def income_z(frame: pd.DataFrame) -> np.ndarray:
    return np.log(np.maximum(frame["income"].to_numpy(dtype=float), 1e-9) / INCOME_MEDIAN) / 0.5


def true_logit(frame: pd.DataFrame, coef: Optional[Dict[str, float]] = None, b0: float = B0,
               country_effect: Optional[Dict[str, float]] = None) -> np.ndarray:
    coef = {**COEF, **(coef or {})}
    effect = {**COUNTRY_EFFECT, **(country_effect or {})}
    logit = b0 + coef["income"] * income_z(frame)
    for c in ("tenure", "debt", "noise_a", "noise_b"):
        logit = logit + coef[c] * frame[c].to_numpy(dtype=float)
    return logit + frame["country"].map(effect).to_numpy(dtype=float)


def labels(rng, frame, **kw) -> np.ndarray:
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-true_logit(frame, **kw)))).astype(int)


def design(frame: pd.DataFrame, drop: tuple = ()) -> np.ndarray:
    """What the model sees: log income (as a pipeline would compute it), the other numbers, and
    one-hot countries (an unseen country is all zeros)."""
    cols = [np.log(np.maximum(frame["income"].to_numpy(dtype=float), 1e-9))]
    cols += [frame[c].to_numpy(dtype=float) for c in ("tenure", "debt", "noise_a", "noise_b")]
    cols += [(frame["country"].astype(str) == c).to_numpy(dtype=float) for c in COUNTRIES]
    x = np.column_stack(cols)
    for i in drop:
        x[:, i] = 0.0
    return x


def train(rng, n: int = 6000, drop: tuple = ()) -> LogisticRegression:
    frame = features(rng, n)
    y = labels(rng, frame)
    return LogisticRegression(C=10.0, max_iter=1000).fit(design(frame, drop), y)


def score(model, frame: pd.DataFrame, drop: tuple = ()) -> pd.DataFrame:
    out = frame.copy()
    p = model.predict_proba(design(frame, drop))[:, 1]
    out["score"] = p
    out["predicted"] = (p >= 0.5).astype(int)
    return out


def times(rng, n: int, start: pd.Timestamp, days: float) -> pd.Series:
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    return pd.Series(start + pd.to_timedelta(offsets, unit="s"))


def infra_series(rng, *, incident=None, surge=None) -> pd.DataFrame:
    """5-minute points over both periods; ``incident``/``surge``: (start hour into the current
    period, hours, factor)."""
    ts = pd.date_range(START, START + pd.Timedelta(days=REF_DAYS + CUR_DAYS), freq="5min", inclusive="left")
    n = len(ts)
    requests = rng.normal(1000, 40, n)
    p95 = rng.normal(120, 12, n)
    p99 = rng.normal(260, 25, n)
    err = np.clip(rng.normal(0.002, 0.0005, n), 0, None)
    cpu = np.clip(rng.normal(0.45, 0.04, n), 0, 1)
    mem = np.clip(rng.normal(0.55, 0.03, n), 0, 1)
    cur0 = START + pd.Timedelta(days=REF_DAYS)
    if incident:
        h0, hours, factor = incident
        m = (ts >= cur0 + pd.Timedelta(hours=h0)) & (ts < cur0 + pd.Timedelta(hours=h0 + hours))
        p95[m] *= factor
        p99[m] *= factor * 1.2
        err[m] = rng.uniform(0.03, 0.08, int(m.sum()))
    if surge:
        h0, hours, factor = surge
        m = (ts >= cur0 + pd.Timedelta(hours=h0)) & (ts < cur0 + pd.Timedelta(hours=h0 + hours))
        requests[m] *= factor
        # saturation follows the load: latency grows with it, errors stay flat
        p95[m] *= 1 + 1.3 * (factor - 1)
        p99[m] *= 1 + 1.3 * (factor - 1)
        cpu[m] = np.clip(cpu[m] * factor, 0, 0.99)
    return pd.DataFrame({"timestamp": [t.isoformat().replace("+00:00", "Z") for t in ts],
                         "latency_p95_ms": p95.round(1), "latency_p99_ms": p99.round(1), "error_rate": err.round(5),
                         "cpu_utilization": cpu.round(3), "memory_utilization": mem.round(3),
                         "requests": requests.round()})


BACKGROUND_EVENTS = [
    {"timestamp": "2026-02-20T09:00:00Z", "type": "deployment", "description": "serving image rebuilt (before the reference)"},
]


# ------------------------------------------------------------------------------------ scenarios

def build(s: Scenario, workdir: Path) -> Dict[str, str]:
    """Write reference.csv, current.csv, infra.csv and events.json for ``s``; returns the CLI
    arguments as a dict of flag -> path."""
    rng = np.random.default_rng(s.seed)
    model = train(rng)
    n_ref, n_cur = 3000, int(s.params.get("n_cur", 3000))
    ref = features(rng, n_ref)
    ref["label"] = labels(rng, ref)
    ref = score(model, ref)
    ref["event_time"] = times(rng, n_ref, START, REF_DAYS)
    cur0 = START + pd.Timedelta(days=REF_DAYS)
    infra_kw = {}
    events = list(BACKGROUND_EVENTS)
    kind = s.name
    p = s.params

    if kind == "covariate_drift":
        cols = p["feature"].split("+")
        # the features crowd into the region where the classes overlap: less signal, more errors
        cur = features(rng, n_cur, shift={c: p["shift"] for c in cols}, spread={c: p["spread"] for c in cols})
        cur["label"] = labels(rng, cur)
        cur = score(model, cur)
    elif kind == "concept_drift":
        col = p["feature"]
        cur = features(rng, n_cur)
        cur["label"] = labels(rng, cur, coef={col: p["coef"]})
        cur = score(model, cur)
    elif kind == "label_shift":
        # P(x | y) fixed, P(y) moved: draw a large pool and resample by class
        pool = features(rng, 40 * n_cur)
        pool["label"] = labels(rng, pool)
        k_pos = int(round(p["prior"] * n_cur))
        pos = pool[pool["label"] == 1].sample(k_pos, random_state=s.seed)
        neg = pool[pool["label"] == 0].sample(n_cur - k_pos, random_state=s.seed)
        cur = score(model, pd.concat([pos, neg]).sample(frac=1, random_state=s.seed).reset_index(drop=True))
    elif kind in ("infrastructure", "traffic_spike", "healthy"):
        cur = features(rng, n_cur)
        cur["label"] = labels(rng, cur)
        cur = score(model, cur)
        if kind == "infrastructure":
            infra_kw["incident"] = (p["start_hour"], p["hours"], p["factor"])
        if kind == "traffic_spike":
            infra_kw["surge"] = (p["start_hour"], p["hours"], p["factor"])
    elif kind == "new_segment":
        share = p["share"]
        k = int(round(share * n_cur))
        old = features(rng, n_cur - k)
        old["label"] = labels(rng, old)
        new = features(rng, k, countries=["BR"], shift={"tenure": p["tenure_shift"]})
        # the new market behaves differently: tenure works the other way round there
        new["label"] = labels(rng, new, coef={"tenure": -1.5}, country_effect={"BR": p["effect"]})
        cur = score(model, pd.concat([old, new]).sample(frac=1, random_state=s.seed).reset_index(drop=True))
    elif kind == "unit_change":
        cur = features(rng, n_cur)
        cur["label"] = labels(rng, cur)
        cur["income"] = cur["income"] * p["factor"]  # cents instead of euros, upstream
        cur = score(model, cur)
    elif kind == "default_fill":
        col = p["feature"]
        cur = features(rng, n_cur)
        cur["label"] = labels(rng, cur)
        cur = score(model, cur)
        fill = rng.random(n_cur) < p["share"]
        cur.loc[fill, col] = p["value"]
        cur = score(model, cur.drop(columns=["score", "predicted"]))
    elif kind == "model_version":
        cur = features(rng, n_cur)
        cur["label"] = labels(rng, cur)
        cur = score(model, cur)
        # the new version was trained without tenure (a feature-list bug): worse, differently shaped
        bad = train(rng, drop=(p["dropped"],))
        after = times(rng, n_cur, cur0, CUR_DAYS)
        at = cur0 + pd.Timedelta(hours=p["at_hour"])
        late = (after >= at).to_numpy()
        cur["event_time"] = after
        rescored = score(bad, cur.drop(columns=["score", "predicted", "event_time"]), drop=(p["dropped"],))
        cur.loc[late, "score"] = rescored.loc[late, "score"]
        cur.loc[late, "predicted"] = rescored.loc[late, "predicted"]
        events.append({"timestamp": at.isoformat().replace("+00:00", "Z"), "type": "model_version",
                       "description": f"fraud-model {p['version']} deployed", "version": p["version"]})
    else:
        raise ValueError(kind)
    if "event_time" not in cur:
        cur["event_time"] = times(rng, len(cur), cur0, CUR_DAYS)
    cols = NUMERIC + ["country", "label", "predicted", "score", "event_time"]
    ref, cur = ref[cols].copy(), cur[cols].copy()
    for frame in (ref, cur):
        frame["event_time"] = [t.isoformat().replace("+00:00", "Z") for t in pd.to_datetime(frame["event_time"])]
    ref.to_csv(workdir / "reference.csv", index=False)
    cur.to_csv(workdir / "current.csv", index=False)
    infra_series(rng, **infra_kw).to_csv(workdir / "infra.csv", index=False)
    (workdir / "events.json").write_text(json.dumps(events, indent=1))
    return {"--reference": str(workdir / "reference.csv"), "--current": str(workdir / "current.csv"),
            "--infra": str(workdir / "infra.csv"), "--events": str(workdir / "events.json")}


ROLES = ["--target", "label", "--prediction", "predicted", "--proba", "score", "--timestamp", "event_time"]


def incidents() -> List[Scenario]:
    """Every incident of the suite: several seeds, features and magnitudes per cause."""
    out: List[Scenario] = []
    for seed, feature, shift, spread in ((11, "income+tenure", 0.2, 0.3), (12, "income", 0.4, 0.2),
                                         (13, "income", 0.35, 0.1), (14, "income+tenure", 0.25, 0.15)):
        out.append(Scenario("covariate_drift", "data_drift", feature.split("+"), seed,
                            {"feature": feature, "shift": shift, "spread": spread}))
    for seed, feature, coef in ((21, "tenure", -1.5), (22, "noise_a", 2.0), (23, "debt", 1.0), (24, "noise_b", -2.5)):
        out.append(Scenario("concept_drift", "concept_drift", [feature], seed, {"feature": feature, "coef": coef}))
    for seed, prior in ((31, 0.8), (32, 0.9), (33, 0.85)):
        out.append(Scenario("label_shift", "target_drift", ["label"], seed, {"prior": prior}))
    for seed, h0, hours, factor in ((41, 10, 4, 6.0), (42, 30, 3, 9.0), (43, 5, 8, 4.5)):
        out.append(Scenario("infrastructure", "infrastructure", ["latency_p9", "error_rate"], seed,
                            {"start_hour": h0, "hours": hours, "factor": factor}))
    for seed, h0, hours, factor in ((51, 12, 3, 4.0), (52, 20, 5, 6.0), (53, 36, 2, 5.0)):
        out.append(Scenario("traffic_spike", "traffic_pattern", ["requests"], seed,
                            {"start_hour": h0, "hours": hours, "factor": factor}))
    for seed, share, effect, ts in ((61, 0.25, 1.5, 0.5), (62, 0.35, -1.0, 0.0), (63, 0.2, 2.0, -0.5)):
        out.append(Scenario("new_segment", "traffic_pattern", ["country=BR"], seed,
                            {"share": share, "effect": effect, "tenure_shift": ts}))
    for seed, factor in ((71, 100.0), (72, 100.0), (73, 1000.0)):
        out.append(Scenario("unit_change", "model_bug", ["income"], seed, {"factor": factor}))
    for seed, feature, share, value in ((81, "tenure", 0.8, 0.0), (82, "income", 0.4, 0.0), (83, "tenure", 1.0, 0.0)):
        out.append(Scenario("default_fill", "model_bug", [feature], seed, {"feature": feature, "share": share, "value": value}))
    for seed, at_hour, dropped, version in ((91, 12, 1, "v2.4.0"), (92, 24, 0, "v3.1.2"), (93, 18, 1, "v2.5.0-rc1")):
        out.append(Scenario("model_version", "model_bug", [f"fraud-model {version} deployed"], seed,
                            {"at_hour": at_hour, "dropped": dropped, "version": version}))
    return out


def controls() -> List[Scenario]:
    return [Scenario("healthy", "none", [], seed) for seed in (101, 102, 103, 104)]
