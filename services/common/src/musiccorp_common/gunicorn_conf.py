"""gunicorn configuration shared by every service: ``gunicorn -c python:musiccorp_common.gunicorn_conf config.wsgi``.

Environment:
- PORT (default 8000) and BIND_HOST (default 0.0.0.0): where to listen.
- WEB_CONCURRENCY (default 2): worker processes; GUNICORN_THREADS (default 1). With more than
  one thread gunicorn runs gthread workers, which keep client connections alive (``keepalive``
  seconds); sync workers close each connection after its response (docs/benchmark.md, issue 10).
- GUNICORN_TIMEOUT (default 30): a worker silent this long is killed and replaced.
- GUNICORN_GRACEFUL_TIMEOUT (default 30): on SIGTERM, workers finish requests in hand for at
  most this long. The chart sets terminationGracePeriodSeconds above it.
- DJANGO_TRUSTED_PROXIES: peers whose X-Forwarded-Proto sets the scheme (the settings' list).
- PROMETHEUS_MULTIPROC_DIR: where workers share metrics (required with several workers, so
  /metrics adds up all of them rather than whichever worker answered).
"""

import ctypes
import os
import shutil
import signal
import sys

from musiccorp_common.env import env_int, env_list, env_str
from musiccorp_common.logging import JsonFormatter

# All interfaces by default: in a pod the kubelet and the Service reach it on the pod IP.
bind = f"{env_str('BIND_HOST', default='0.0.0.0')}:{env_int('PORT', 8000)}"  # noqa: S104
# gunicorn sets wsgi.url_scheme from X-Forwarded-Proto only for these peers: the same
# DJANGO_TRUSTED_PROXIES (CIDRs) the settings trust (musiccorp_common.proxies).
forwarded_allow_ips = ",".join(env_list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"]))
workers = env_int("WEB_CONCURRENCY", 2)
threads = env_int("GUNICORN_THREADS", 1)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow forever; jitter avoids all at once.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# The read-only root filesystem leaves /tmp (an emptyDir) as the only writable place.
worker_tmp_dir = env_str("GUNICORN_WORKER_TMP_DIR", default="/tmp")  # noqa: S108 -- a private emptyDir in the pod
# Request lines are logged by the app as JSON (musiccorp_common.requestlog).
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter, "service": "gunicorn"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}


def on_starting(server):
    """Start with an empty metrics directory: files of dead workers from a previous run would add up."""
    directory = env_str("PROMETHEUS_MULTIPROC_DIR", default="")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, so its live gauges stop counting."""
    if env_str("PROMETHEUS_MULTIPROC_DIR", default=""):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """Linux: a worker gets SIGTERM (finish the request in hand, exit) when its master dies.

    A master killed with SIGKILL (the local stack's supervisord then starts a new one) would
    otherwise leave its workers serving on the inherited socket until they notice, seconds later,
    and the new master cannot bind the port meanwhile. In a pod the container ends with the master.
    """
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
