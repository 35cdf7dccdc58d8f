"""System checks of the shared settings (registered by MusiccorpCommonConfig.ready).

Django's deploy checks of the SecurityMiddleware settings (security.W001, W004, W005, W006,
W008, W021, W022, E023) only run when ``django.middleware.security.SecurityMiddleware`` is in
MIDDLEWARE by that exact name. The services use a subclass
(musiccorp_common.proxies.GatewaySecurityMiddleware), so the settings silence security.W001
and this module runs the same checks, with Django's own messages and ids, for the subclass.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.checks.security import base

GATEWAY_SECURITY_MIDDLEWARE = "musiccorp_common.proxies.GatewaySecurityMiddleware"

W001 = Warning(
    f"{GATEWAY_SECURITY_MIDDLEWARE} is not in MIDDLEWARE: no HSTS, no HTTPS redirect, no "
    "nosniff, referrer or opener policy headers.",
    id="musiccorp.W001",
)


def _security_middleware_findings() -> list:
    findings = []
    if not settings.SECURE_HSTS_SECONDS:
        findings.append(base.W004)
    elif not settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        findings.append(base.W005)
    elif not settings.SECURE_HSTS_PRELOAD:
        findings.append(base.W021)
    if settings.SECURE_CONTENT_TYPE_NOSNIFF is not True:
        findings.append(base.W006)
    if settings.SECURE_SSL_REDIRECT is not True:
        findings.append(base.W008)
    if not settings.SECURE_REFERRER_POLICY:
        findings.append(base.W022)
    return findings


@register(Tags.security, deploy=True)
def check_gateway_security_middleware(app_configs, **kwargs):
    """Django's SecurityMiddleware deploy checks, for the subclass the services use."""
    if GATEWAY_SECURITY_MIDDLEWARE not in settings.MIDDLEWARE:
        return [W001]
    return _security_middleware_findings()
