"""The monitoring config (``monitoring.yaml``): validate it, and load it once it is valid.

One validator serves ``mlmon validate``, the config hook and every command that reads a config:
``assets/schema.json`` (JSON Schema 2020-12) for shape, then the checks a schema cannot express
(warning thresholds less severe than critical ones, per-column tests that fit the column's type,
durations that parse, secrets written inline). Every problem carries the line and column of the
YAML node it is about, so an editor, a person or Claude can go straight to it.

The hook calls this on every config write, so the module imports only ``yaml`` and
``jsonschema`` (lazily) and nothing of numpy, pandas or scipy.
"""

from mlmon.services.config.durations import DURATION_PATHS, parse_duration
from mlmon.services.config.files import (
    CONFIG_NAMES,
    CONFIG_SUFFIXES,
    DEFAULT_CONFIG_PATH,
    MAX_CHARS,
    SCHEMA_PATH,
    is_config_path,
    load_config,
    load_schema,
    read_config_bytes,
)
from mlmon.services.config.starter import guess_roles, starter_config
from mlmon.services.config.problems import Problem, dotted
from mlmon.services.config.validation import validate_file, validate_text

__all__ = [
    "CONFIG_NAMES", "CONFIG_SUFFIXES", "DEFAULT_CONFIG_PATH", "DURATION_PATHS", "MAX_CHARS", "SCHEMA_PATH", "Problem",
    "dotted", "guess_roles", "is_config_path", "load_config", "load_schema", "parse_duration", "read_config_bytes",
    "starter_config", "validate_file", "validate_text",
]
