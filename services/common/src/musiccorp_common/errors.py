"""JSON errors everywhere: DRF's handler for API views, plain views for Django's 404/500.

Bad input must give a 4xx with a readable message, never a 5xx. DRF already turns
validation, parse and permission errors into 4xx JSON; this adds database input errors
that slip past a serializer (for example an out-of-range number in a lookup).
"""

import logging

from django.db import DataError, InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("musiccorp.errors")


def json_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, DataError):
        # The database refused a value the request supplied: the client's input, not our fault.
        logger.info("rejected input the database cannot store: %s", exc)
        return Response({"detail": "A value in the request is out of range or malformed."}, status=status.HTTP_400_BAD_REQUEST)
    return None


# Seconds a client is asked to wait when the database is unreachable (contract: 503 + Retry-After).
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached is a 503 with Retry-After and a JSON body, not a 500.

    The service itself is fine and the request may succeed on a retry: the connection is made
    afresh on the next request (CONN_HEALTH_CHECKS), so nothing needs a restart. Readiness
    (/health/ready) fails meanwhile; liveness does not touch the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable, answering 503: %s", exception)
        response = JsonResponse({"detail": "The service's database is temporarily unavailable; retry shortly."}, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied."}, status=403)
