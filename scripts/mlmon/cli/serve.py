"""``mlmon serve``: the history store's latest results as a Prometheus scrape target."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading

from dataclasses import dataclass

from mlmon.errors import MlmonError
from mlmon.services.options import Options


@dataclass(frozen=True)
class ServeOptions(Options):
    """Where the metrics endpoint listens: ``integrations.prometheus`` of the config, then flags."""

    port: int = 9108
    path: str = "/metrics"

    @classmethod
    def from_config(cls, config) -> "ServeOptions":
        prometheus = config.integrations.prometheus
        return cls().from_fields(port=prometheus.port if config.given("integrations", "prometheus", "port") else None,
                                 path=prometheus.path)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise MlmonError(f"invalid port: {text}", "--port", "give a number from 1 to 65535 (0 picks a free one)")
    return value


def register(sub) -> None:
    s = sub.add_parser(
        "serve", help="serve the latest drift, performance and A/B results as Prometheus metrics",
        description="Expose the latest drift, performance and experiment results of the history store as "
                    "Prometheus metrics, per model (a model and a version label on every series), read afresh at "
                    "every scrape. Binds 127.0.0.1 unless --host says "
                    "otherwise; stops cleanly on SIGTERM or Ctrl-C.")
    s.add_argument("--config", metavar="FILE", required=True, help="monitoring config (storage, integrations.prometheus)")
    s.add_argument("--port", type=_port, help="port to listen on (default: integrations.prometheus.port, else 9108; 0 = any free port)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 to accept remote scrapes)")
    s.add_argument("--history", metavar="PATH", help="history database, a SQLite file or postgresql:// URL (default: "
                                                     "$MLMON_DB_URL, else the config's storage, else .mlmon/history.db)")
    s.add_argument("--model", metavar="NAME", help="expose this model's results only (default: every model in the "
                                                   "history, each series labelled with its model)")
    s.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    s.set_defaults(func=run_serve)


def run_serve(args) -> int:
    from mlmon.services.config import load_config
    from mlmon.services.metrics_from_history import registry_for
    from mlmon.store.backends import redact
    from mlmon.store.location import resolve

    config = load_config(args.config)
    options = ServeOptions.from_config(config).override(port=args.port)
    metrics_path = "/" + options.path.strip("/")
    path = resolve(config, args.history, os.path.dirname(os.path.abspath(args.config)), os.environ)
    registry = registry_for(path, args.model)
    server = _make_server(args.host, options.port, _app(registry, metrics_path))
    host, bound = server.server_address[:2]
    print(f"mlmon: serving metrics on http://{host}:{bound}{metrics_path} (history {redact(path)}); "
          "stop with Ctrl-C or SIGTERM", file=sys.stderr, flush=True)

    def stop(signum, _frame):  # shutdown() waits for serve_forever: call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("mlmon: serve stopped", file=sys.stderr, flush=True)
    return 0


def _app(registry, metrics_path: str):
    from prometheus_client import make_wsgi_app

    metrics = make_wsgi_app(registry)

    def app(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        if path.rstrip("/") == metrics_path.rstrip("/") or (path == "/" and metrics_path == "/"):
            return metrics(environ, start_response)
        if path == "/-/healthy":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"not found; metrics are at {metrics_path}\n".encode()]

    return app


def _make_server(host: str, port: int, app):
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):  # a scrape every few seconds is not news
            pass

    try:
        return make_server(host, port, app, server_class=Server, handler_class=Quiet)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise MlmonError(f"port {port} is already in use", f"{host}:{port}",
                             "stop the other server or pass --port with a free port") from exc
        raise MlmonError(f"cannot listen: {exc.strerror or exc}", f"{host}:{port}",
                         "check --host and --port") from exc
