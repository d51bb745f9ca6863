"""A starter ``monitoring.yaml``: the annotated default, with a sample's columns and guessed roles."""

from __future__ import annotations

import os
import re
from typing import Dict, List, Optional, Tuple

from mlmon.services.config.files import DEFAULT_CONFIG_PATH

_TARGET_NAMES = ("label", "labels", "target", "y", "y_true", "class", "outcome", "ground_truth", "truth", "actual",
                 "churn", "churned", "fraud", "default", "survived", "response")
_PREDICTION_NAMES = ("prediction", "predicted", "pred", "y_pred", "y_hat", "yhat", "output")
_PROBA_HINTS = ("proba", "probability", "score")
_TIMESTAMP_NAMES = ("timestamp", "event_time", "ts", "time", "date", "datetime", "created_at")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def guess_roles(columns: List[str], kinds: Dict[str, str]) -> Dict[str, Optional[str]]:
    """Target, prediction, probability, timestamp and id columns, guessed from names and kinds.

    >>> r = guess_roles(["amount", "is_fraud", "fraud_proba", "prediction", "ts", "user_id"],
    ...                 {"ts": "datetime"})
    >>> r["target"], r["prediction"], r["prediction_proba"], r["timestamp"], r["id"]
    ('is_fraud', 'prediction', 'fraud_proba', 'ts', 'user_id')
    """
    lower = {c: c.lower() for c in columns}
    taken: set = set()

    def first(test) -> Optional[str]:
        for c in columns:
            if c not in taken and test(lower[c]):
                taken.add(c)
                return c
        return None

    roles: Dict[str, Optional[str]] = {}
    by_kind = {lower[c]: kinds.get(c) for c in columns}
    roles["timestamp"] = first(lambda n: n in _TIMESTAMP_NAMES) or first(lambda n: by_kind[n] == "datetime")
    roles["id"] = first(lambda n: n == "id" or n.endswith("_id"))
    roles["prediction_proba"] = first(lambda n: any(h in n for h in _PROBA_HINTS))
    roles["prediction"] = first(lambda n: n in _PREDICTION_NAMES or n.startswith(("prediction", "pred_")))
    roles["target"] = first(lambda n: n in _TARGET_NAMES or n.endswith(("_label", "_target", "_true", "_actual"))) or first(
        lambda n: n.startswith(("is_", "label_", "target_")))
    return roles


def starter_config(sample: Optional[str] = None) -> str:
    """Text of a starter ``monitoring.yaml``: the annotated default, with ``sample``'s columns."""
    return starter(sample)[0]


def starter(sample: Optional[str] = None) -> Tuple[str, List[str]]:
    """A starter config's text, and one line per role it guessed from ``sample`` (for the user
    to check: roles are guessed from names and kinds)."""
    with open(DEFAULT_CONFIG_PATH, encoding="utf-8") as fh:
        text = fh.read()
    if sample is None:
        return text, []
    from mlmon.io.columns import assign_types
    from mlmon.io.tables import read_table

    table = read_table(sample, role="sample")
    roles = guess_roles(table.columns, table.kinds)
    role_cols = {c for c in roles.values() if c}
    features = [c for c in table.columns if c not in role_cols]
    typing = assign_types(table, table, exclude=sorted(role_cols))
    types = {c.name: c.type for c in typing.columns}
    fmt = "parquet" if os.path.isdir(sample) or sample.lower().endswith((".parquet", ".pq", ".parq")) else (
        "csv" if sample.lower().endswith((".csv", ".tsv", ".txt")) else "jsonl")
    ext = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}[fmt]
    lines = [
        "data:",
        f"  format: {fmt}",
        "  reference:                     # the data the model was validated on, or a period known to be good",
        f"    path: {_scalar(sample)}",
        "  current:                       # the period being checked; {date} is filled in by scheduled runs",
        f"    path: {_scalar('data/current/{date}' + ext)}",
        '    date_format: "%Y-%m-%d"',
        f"  columns:                       # inferred from {_comment(sample)}; check the roles",
    ]
    for role in ("target", "prediction", "prediction_proba", "timestamp", "id"):
        if roles[role]:
            lines.append(f"    {role}: {_scalar(roles[role])}")
    for kind in ("numerical", "categorical"):
        names = [c for c in features if types.get(c) == kind]
        lines.append(f"    {kind}: [{', '.join(_scalar(c) for c in names)}]")
    skipped = [c for c in features if c in typing.skipped]
    guessed = [f"{role}: {roles[role] if roles[role] else 'none found'}"
               for role in ("target", "prediction", "prediction_proba", "timestamp", "id")]
    guessed += [f"{kind} features: {', '.join(c for c in features if types.get(c) == kind) or 'none'}"
                for kind in ("numerical", "categorical")]
    guessed += [f"left out: {c} ({typing.skipped[c]})" for c in skipped]
    lines.append(f"    exclude: [{', '.join(_scalar(c) for c in skipped)}]" +
                 ("                  # id-like, text or empty columns" if skipped else ""))
    text = _replace_section(text, "data", "\n".join(lines) + "\n")
    target = roles["target"]
    if target:
        text = re.sub(r"(?m)^(  task: )\w+", r"\g<1>" + _task(table, target), text, count=1)
    return re.sub(r"(?m)^(  name: )fraud-detector", r"\g<1>" + "my-model".ljust(len("fraud-detector")), text, count=1), guessed


def _task(table, target: str) -> str:
    kind = table.kinds.get(target)
    n = int(table.frame[target].nunique())
    if kind == "float" and n > 10:
        return "regression"
    return "binary" if n <= 2 else "multiclass"


def _replace_section(text: str, name: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(name + ":"))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_]", lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def _scalar(value: str) -> str:
    r"""``value`` as a YAML scalar: plain when safe, else double-quoted with YAML's escapes
    (JSON's surrogate pairs for characters beyond U+FFFF, as in an emoji, are not YAML).

    >>> _scalar("amount"), _scalar("🚀 score"), _scalar('a"b\\c'), _scalar("x\ty")
    ('amount', '"🚀 score"', '"a\\"b\\\\c"', '"x\\u0009y"')
    """
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF and ch != "\ufeff":
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _comment(value: str) -> str:
    return os.path.basename(os.path.normpath(value)).replace("\n", " ")
