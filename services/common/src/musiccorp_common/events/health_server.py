"""A tiny HTTP server in the consumer process: /health/live, /health/ready and /metrics for probes and Prometheus.

The consumer has no web framework around it, so it answers these itself on
EVENTS_CONSUMER_HEALTH_HOST:EVENTS_CONSUMER_HEALTH_PORT. Live means the loop turned recently (it keeps turning while
it backs off); ready also means the consumer is not retrying a transient failure and the database answers. A service
may add collectors of its own (``collectors``), computed at each scrape: a gauge read from the database, say, which
no worker process could keep current.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

logger = logging.getLogger("musiccorp.events.health")


def _registry(multiprocess_dir: str):
    if not multiprocess_dir:
        return DEFAULT_REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return registry


def _metrics(multiprocess_dir: str, collectors: Iterable) -> bytes:
    """The process's (or all processes') metrics, then the extra collectors' (a registry of their own
    per scrape: in multiprocess mode the default registry is not what is served)."""
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return generate_latest(_registry(multiprocess_dir)) + generate_latest(extra)


def serve_health(
    host: str,
    port: int,
    heartbeat: Callable[[], float],
    database_ok: Callable[[], bool],
    multiprocess_dir: str,
    stale_after: float = 60.0,
    consumer_ready: Callable[[], bool] = lambda: True,
    collectors: Iterable = (),
) -> ThreadingHTTPServer:
    """Start the server in a daemon thread and return it (``shutdown()`` stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            alive = time.monotonic() - heartbeat() < stale_after
            if self.path in ("/health", "/health/live"):
                self._answer(200 if alive else 503, b'{"status":"ok"}' if alive else b'{"status":"stalled"}')
            elif self.path == "/health/ready":
                if not alive:
                    self._answer(503, b'{"status":"stalled"}')
                elif not consumer_ready():
                    self._answer(503, b'{"status":"retrying"}')
                elif not database_ok():
                    self._answer(503, b'{"status":"unavailable"}')
                else:
                    self._answer(200, b'{"status":"ok"}')
            elif self.path == "/metrics":
                self._answer(200, _metrics(multiprocess_dir, collectors), CONTENT_TYPE_LATEST)
            else:
                self._answer(404, b'{"detail":"Not found."}')

        def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # probes every few seconds would flood the log
            return

    # EVENTS_CONSUMER_HEALTH_HOST: loopback locally, the pod IP in the chart (probes use it).
    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="consumer-health", daemon=True).start()
    logger.info("consumer health on %s:%d", host, port)
    return server
