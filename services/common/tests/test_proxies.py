"""Forwarded headers count only from trusted proxies; HTTPS redirect only for gateway traffic."""

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from musiccorp_common.proxies import GatewaySecurityMiddleware, TrustedProxyMiddleware

FORWARDED = {
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "evil.example.com",
    "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    "HTTP_X_FORWARDED_PREFIX": "/phish",
    "HTTP_FORWARDED": "for=203.0.113.9",
}


def _seen_meta(remote_addr: str) -> dict:
    seen = {}

    def view(request):
        seen.update(request.META)
        return HttpResponse()

    request = RequestFactory().get("/health", REMOTE_ADDR=remote_addr, **FORWARDED)
    TrustedProxyMiddleware(view)(request)
    return seen


@override_settings(TRUSTED_PROXIES=["10.244.0.0/16"])
def test_forwarded_headers_from_an_untrusted_address_are_dropped():
    meta = _seen_meta("192.0.2.7")
    assert not [key for key in meta if key in FORWARDED]


@override_settings(TRUSTED_PROXIES=["10.244.0.0/16"])
def test_forwarded_headers_from_a_trusted_proxy_are_kept():
    meta = _seen_meta("10.244.3.4")
    assert {key: meta[key] for key in FORWARDED} == FORWARDED


@override_settings(TRUSTED_PROXIES=["10.244.0.0/16"], ALLOWED_HOSTS=["testserver"], USE_X_FORWARDED_HOST=True)
def test_untrusted_forwarded_proto_does_not_make_the_request_secure():
    secure = []

    def view(request):
        secure.append(request.is_secure())
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", **FORWARDED)
    TrustedProxyMiddleware(view)(request)
    assert secure == [False]


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["shop.example.com", "order"])
def test_redirect_to_https_only_for_requests_through_the_gateway():
    middleware = GatewaySecurityMiddleware(lambda request: HttpResponse("ok"))
    via_gateway = RequestFactory().get("/orders", HTTP_HOST="shop.example.com", HTTP_X_FORWARDED_PROTO="http")
    in_cluster = RequestFactory().get("/stock/CD001", HTTP_HOST="order")
    redirect = middleware(via_gateway)
    assert redirect.status_code == 301
    assert redirect["Location"] == "https://shop.example.com/orders"
    assert middleware(in_cluster).status_code == 200
