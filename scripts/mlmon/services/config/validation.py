"""The validator: the schema for shape, then the checks a schema cannot express (``semantics``);
every problem at the YAML node it is about. Never raises: a validator bug must not read as valid."""

from __future__ import annotations

import re
from typing import Any, List

from mlmon.services.config.files import MAX_CHARS, NotRegular, load_schema, read_config_bytes
from mlmon.services.config.positions import MAX_NODES, Positions, TooBig, yaml_loader
from mlmon.services.config.problems import Path, Problem, Report, show
from mlmon.services.config.semantics import check_secrets, check_semantics

_VALIDATOR = None  # the compiled schema, built on first use


def validate_file(path: str) -> List[Problem]:
    """Problems in the config at ``path``; a missing or unreadable file is a problem too.

    Reads at most :data:`MAX_CHARS` (+1) bytes, and only from a regular file: a config symlinked
    to ``/dev/zero`` or named by a FIFO is refused at once instead of filling memory or hanging.
    """
    try:
        raw = read_config_bytes(path)
    except FileNotFoundError:
        return [Problem(path, 1, 1, "(file)", "file not found; check the path")]
    except IsADirectoryError:
        return [Problem(path, 1, 1, "(file)", "is a directory; give the config file")]
    except NotRegular:
        return [Problem(path, 1, 1, "(file)", "is not a regular file (a device, FIFO or socket); give the config file")]
    except OSError as exc:
        return [Problem(path, 1, 1, "(file)", f"cannot read the file: {exc.strerror or exc}; check its permissions")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(raw) > MAX_CHARS:
            return [Problem(path, 1, 1, "(file)", f"larger than {MAX_CHARS:,} bytes; a monitoring config is a few KB")]
        line = raw[: exc.start].count(b"\n") + 1
        return [Problem(path, line, 1, "(file)", "not UTF-8 text; save the file as UTF-8")]
    return validate_text(text, path)


def validate_text(text: str, file: str = "monitoring.yaml") -> List[Problem]:
    """Problems in config ``text`` (as if it were ``file``), sorted by position; never raises."""
    try:
        return _validate(text, file)
    except Exception as exc:  # a validator bug must not read as "valid" nor crash a hook
        return [Problem(file, 1, 1, "(document)", f"internal validator error: {type(exc).__name__}: {exc}")]


def _validate(text: str, file: str) -> List[Problem]:
    import yaml

    if len(text) > MAX_CHARS:
        return [Problem(file, 1, 1, "(document)", f"the config is {len(text):,} characters; a monitoring config "
                                                  f"is a few thousand (limit {MAX_CHARS:,})")]

    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(filter(None, [exc.problem, exc.context]))
        return [Problem(file, line, col, "(document)", f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return [Problem(file, 1, 1, "(document)", f"YAML error: {' '.join(str(exc).split())}")]
    finally:
        loader.dispose()
    if data is None:
        return [Problem(file, 1, 1, "(document)", "the config is empty; start from `mlmon init`")]

    try:
        positions = Positions(node)
    except TooBig:
        return [Problem(file, 1, 1, "(document)", f"the config expands to more than {MAX_NODES:,} YAML nodes "
                                                  "(aliases?); write it out plainly")]
    report = Report(file, positions)
    for path, where in report.pos.duplicates:
        report._add(where, path, f"duplicate key '{path[-1]}': YAML keeps only the last one; remove one", "error")
    if isinstance(data, dict):
        check_secrets(data, (), report)
        check_semantics(data, report)
    _check_schema(data, report)
    report.problems.sort(key=lambda p: (p.line, p.col, p.severity != "error", p.message))
    return report.problems


def _check_schema(data: Any, report: Report) -> None:
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator

        _VALIDATOR = Draft202012Validator(load_schema())
    for error in _VALIDATOR.iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            _unknown_keys(error, path, report)
            continue
        if any(path[: len(c)] == c for c in report.claimed):
            continue
        if error.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            name = missing[0] if missing else "?"
            if path + (name,) not in report.claimed:
                report.at_key(path, f"missing required key '{name}'")
        else:
            report.at_value(path, _schema_message(error))


def _unknown_keys(error, path: Path, report: Report) -> None:
    known = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key in error.schema.get("properties", {}):
            continue
        child = path + (key,)
        if child in report.claimed:
            continue
        hint = _did_you_mean(str(key), known)
        if not hint:
            hint = "; known keys: " + ", ".join(known) if known else ""
        report.at_key(child, f"unknown key '{key}'{hint}")


def _did_you_mean(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        lowered = {str(c).lower(): str(c) for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean '{close[0]}'?" if close else ""


_TYPE_NAMES = {"string": "a string", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "a mapping of keys", "array": "a list", "null": "null"}


def _schema_message(error) -> str:
    v, value, schema = error.validator, error.instance, error.schema
    shown = show(value)
    if v == "enum":
        choices = [c for c in error.validator_value]
        names = ", ".join("null" if c is None else str(c) for c in choices)
        return f"{shown} is not one of: {names}" + (_did_you_mean(str(value), [c for c in choices if c is not None]) if isinstance(value, str) else "")
    if v == "const":
        return f"{shown} must be {show(error.validator_value)}"
    if v == "type":
        want = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"expected {' or '.join(_TYPE_NAMES.get(w, w) for w in want)}, got {shown}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum", schema.get("exclusiveMaximum"))
        if lo is not None and hi is not None:
            open_lo, open_hi = "exclusiveMinimum" in schema, "exclusiveMaximum" in schema
            rng = f"{'(' if open_lo else '['}{lo}, {hi}{')' if open_hi else ']'}"
            return f"{shown} is out of range {rng}" + ("; ratios are written 0-1 (5 % is 0.05)" if hi == 1 else "")
        sign = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[v]
        return f"{shown} must be {sign} {error.validator_value}"
    if v == "pattern" and "_env" in str(error.absolute_path[-1] if error.absolute_path else ""):
        # never the value: what is written where a variable's name belongs is often the secret itself
        return "is not an environment variable name; write its NAME (letters, digits, _), e.g. SLACK_WEBHOOK_URL"
    if v == "pattern":
        return f"{shown} does not match {error.validator_value}"
    if v == "minLength":
        return "must not be empty"
    if v == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if v == "minProperties":
        return f"needs at least {error.validator_value} key(s)"
    if v == "uniqueItems":
        return "lists the same item twice"
    return " ".join(error.message.split())
