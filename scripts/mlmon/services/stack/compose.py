"""The Prometheus server config and the compose file that runs Prometheus, Alertmanager and
Grafana beside ``mlmon serve``."""

from __future__ import annotations

import json
import os
import string
from typing import Optional, Tuple

from mlmon.errors import MlmonError
from mlmon.services.stack.alertmanager import channel_secrets
from mlmon.services.stack.common import TOOLKIT_DIR, StackOptions, slug, template



def prometheus_config(config, options: Optional[StackOptions] = None) -> str:
    options = options or StackOptions()
    prometheus = config.integrations.prometheus
    return string.Template(template("prometheus.yml")).substitute(
        scrape_interval=options.scrape_interval, evaluation_interval=options.evaluation_interval,
        alertmanager=options.alertmanager_target, serve_target=options.serve_target,
        metrics_path="/" + str(prometheus.path).strip("/"))


def compose_file(config, options: StackOptions, config_path: str, out_dir: str) -> str:
    port = int(config.integrations.prometheus.port)
    out = os.path.abspath(out_dir)
    config_abs = os.path.abspath(config_path)
    secrets = channel_secrets(config)
    rel = lambda p: os.path.relpath(p, out)  # noqa: E731 - compose resolves paths from its own directory
    history_arg, serve_environment = _history_for_serve(config, os.path.dirname(config_abs))
    fields = {
        "project": slug(config.model.name or "model"),
        "config_name": os.path.basename(config_abs),
        "config_path": json.dumps("/work/" + os.path.basename(config_abs)),
        "config_dir": rel(os.path.dirname(config_abs)),
        "toolkit_dir": rel(TOOLKIT_DIR),
        "serve_port": str(port),
        "history_arg": history_arg,
        "serve_environment": serve_environment,
        "secret_help": "\n".join(f"#   export {env}=...   (read by Alertmanager as /run/secrets/{name})" for name, env in secrets)
                       or "#   (no notification channel with a secret is enabled)",
        "alertmanager_secrets": ("    secrets: [" + ", ".join(n for n, _ in secrets) + "]") if secrets else "",
        "secrets_section": ("secrets:\n" + "".join(f"  {n}:\n    environment: {env}\n" for n, env in secrets)) if secrets else "",
    }
    for key in ("config_dir", "toolkit_dir"):  # compose reads a bare name as a named volume
        if not fields[key].startswith("."):
            fields[key] = "./" + fields[key]
    return string.Template(template("compose.yaml")).substitute(fields)


def _history_for_serve(config, config_dir: str) -> Tuple[str, str]:
    """How the container's ``mlmon serve`` finds the history: a SQLite file inside the config's
    folder (mounted as /work) by ``--history``; a PostgreSQL store through the environment
    variables that name it, passed on from the host (its password never enters the file)."""
    from mlmon.store.backends import is_postgres

    if is_postgres(_history(config, config_dir)):
        names = ["MLMON_DB_URL"]
        env_name = config.storage.history_url_env if config.given("storage", "history_url_env") else None
        if env_name and env_name not in names:
            names.append(env_name)
        return "", "    environment: [" + ", ".join(names) + "]\n"
    history = "/work/" + "/".join(_history_in_workdir(config, config_dir).split(os.sep))
    return ", " + json.dumps("--history") + ", " + json.dumps(history), ""  # JSON strings are YAML flow strings


def _history(config, config_dir: str) -> str:
    from mlmon.store.location import resolve

    return resolve(config, None, config_dir, os.environ)


def _history_in_workdir(config, config_dir: str) -> str:
    """The history file relative to the config's folder (what the container sees as /work)."""
    path = os.path.relpath(os.path.abspath(_history(config, config_dir)), config_dir)
    if path.startswith(".."):
        raise MlmonError("the compose stack needs the history store inside the config's folder", path,
                         "use a relative storage.history_url such as sqlite:///.mlmon/history.db")
    return path
