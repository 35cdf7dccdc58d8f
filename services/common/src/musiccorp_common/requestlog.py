"""One JSON log line per HTTP request, with status and duration (gunicorn's access log is off)."""

import logging
import time

logger = logging.getLogger("musiccorp.request")

# Probes and scrapes would drown the log; they are visible in metrics instead.
_QUIET_PATHS = ("/health", "/metrics")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if not request.path_info.startswith(_QUIET_PATHS):
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response
