"""Service-to-service credentials: who is calling, when it is another MusicCorp service.

Each service has one secret token of its own (``SERVICE_TOKEN``), sent on every call to a peer
as ``Authorization: Bearer <token>``. A service that takes internal calls knows the tokens of
the callers it accepts (``CALLER_TOKEN_<NAME>``); a request bearing one of them is authenticated
as that service, a :class:`ServicePrincipal`, which is never staff. An endpoint says which
services may call it with :func:`service_or_staff`. Why tokens rather than mTLS:
docs/security.md.
"""

import hmac

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

KEYWORD = b"bearer"
REALM = "musiccorp-services"


class ServicePrincipal:
    """The request.user of a call made by another service with its token."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_anonymous = False

    def __init__(self, service: str):
        self.service = service
        self.username = f"service:{service}"

    def __str__(self) -> str:
        return self.username


def caller_for_token(token: str) -> str | None:
    """The name of the service whose token this is, None when it is nobody's.

    Every configured token is compared, each in constant time, so the answer's timing does
    not tell how much of a guess was right or which caller it was close to.
    """
    found = None
    for service, expected in settings.SERVICE_CALLER_TOKENS.items():
        if hmac.compare_digest(token.encode(), expected.encode()):
            found = service
    return found


class ServiceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` of a known caller -> ServicePrincipal; a wrong token is 401."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Malformed Authorization header: expected 'Bearer <service token>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid service credential.") from None
        service = caller_for_token(token)
        if service is None:
            raise AuthenticationFailed("Invalid service credential.")
        return ServicePrincipal(service), None

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403 when no credential came.
        return f'Bearer realm="{REALM}"'


def service_or_staff(*services: str) -> type[BasePermission]:
    """A permission class letting in the named services (by their token) and staff users."""

    class ServiceOrStaff(BasePermission):
        message = f"Only the {' or '.join(services)} service (with its credential) or a staff user may call this."

        def has_permission(self, request, view):
            user = request.user
            if isinstance(user, ServicePrincipal):
                return user.service in services
            return bool(user and user.is_authenticated and user.is_staff)

    ServiceOrStaff.__name__ = f"ServiceOrStaff_{'_'.join(services)}"
    return ServiceOrStaff


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """The service token in the OpenAPI document (a bearer scheme), registered on import."""

    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Another MusicCorp service's token (docs/security.md)."}
