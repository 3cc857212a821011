"""A Celery worker's metrics on a port of its own (METRICS_WORKER_PORT), for Prometheus to scrape.

The worker's pool processes each count into PROMETHEUS_MULTIPROC_DIR (which must be the worker's
own: one directory per worker, never shared with the web or another worker); the worker's main
process, which runs no task, serves their sum. It asks for the same bearer token as the web's
/metrics. Started on ``worker_init``, before the pool forks, after emptying the directory of a
previous run (a restarted worker starts its counts afresh, which Prometheus reads as a reset)."""

import logging
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery.signals import worker_init
from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .metrics import metrics_authorized, multiprocess_dir, process_registry

log = logging.getLogger(__name__)


def metrics_app(environ, start_response):
    """The WSGI application the port serves: the worker's counts, to a holder of the token."""
    if not settings.METRICS_TOKEN:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found\n"]
    if not metrics_authorized(environ.get("HTTP_AUTHORIZATION")):
        start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
        return [b"Unauthorized\n"]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [generate_latest(process_registry())]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per scrape on stderr would drown the worker's log
        pass


def serve(port: int, address: str = "") -> WSGIServer:
    server = make_server(address, port, metrics_app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    return server


@worker_init.connect(weak=False)
def _start_exporter(**kwargs):
    port = settings.METRICS_WORKER_PORT
    if not port:
        return
    directory = multiprocess_dir()
    if not directory:
        log.warning("METRICS_WORKER_PORT is set without PROMETHEUS_MULTIPROC_DIR: the pool's counts cannot be summed; "
                    "no exporter started")
        return
    for stale in Path(directory).glob("*.db"):
        stale.unlink(missing_ok=True)
    serve(port, settings.METRICS_WORKER_ADDRESS)
    log.info("metrics of this worker on port %s", port)
