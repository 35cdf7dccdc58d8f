"""Health endpoints for probes.

- ``/health``: the process can serve (the contract's probe path, used as the startup probe).
- ``/health/live``: liveness; never touches dependencies, so a database outage does not
  make Kubernetes restart every pod.
- ``/health/ready``: readiness; the database answers, so traffic goes only to pods that can
  use it.
"""

import logging

from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger("musiccorp.health")


def alive(request):
    return JsonResponse({"status": "ok"})


def ready(request):
    checks = {"database": _database_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": {k: "ok" if v else "failing" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means not ready; the reason goes to the log
        logger.warning("readiness: database check failed", exc_info=True)
        return False
