"""Forwarded headers believed only from the gateway, and an HTTPS redirect only for gateway traffic.

``TrustedProxyMiddleware`` runs first: when the peer (REMOTE_ADDR) is not within
``settings.TRUSTED_PROXIES`` it removes every ``X-Forwarded-*`` header (Proto, Host, For,
Prefix, ...) and ``Forwarded``, so SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST and the
X-Forwarded-Prefix of musiccorp_common.staticfiles act only on requests the gateway passed on.

``GatewaySecurityMiddleware`` is Django's SecurityMiddleware except that SECURE_SSL_REDIRECT
applies only to requests that came through the gateway (they carry X-Forwarded-Proto from a
trusted proxy). Service-to-service calls, kubelet probes and Prometheus scrapes reach the pod
over plain HTTP without it and must not be redirected to an https:// URL nobody serves.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.middleware.security import SecurityMiddleware


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def is_trusted_proxy(address: str) -> bool:
    """Whether ``address`` lies within one of settings.TRUSTED_PROXIES."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _is_forwarded_header(key: str) -> bool:
    return key.startswith("HTTP_X_FORWARDED_") or key == "HTTP_FORWARDED"


def client_ip(request) -> str:
    """The client's address: the last X-Forwarded-For entry (the one the gateway appended) when a
    trusted proxy passed the request on, else the peer itself. Used by the admin login throttle
    (AXES_CLIENT_IP_CALLABLE). Entries further left were written by the client and mean nothing.
    """
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded_for and is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
        return forwarded_for.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for key in [key for key in request.META if _is_forwarded_header(key)]:
                del request.META[key]
        return self.get_response(request)


class GatewaySecurityMiddleware(SecurityMiddleware):
    def process_request(self, request):
        if "HTTP_X_FORWARDED_PROTO" not in request.META:
            return None
        return super().process_request(request)
