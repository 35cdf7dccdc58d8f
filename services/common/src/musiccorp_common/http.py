"""HTTP calls from one service to another: bounded timeouts, safe retries, the correlation id.

A service that calls a peer (order calls catalog and inventory) builds one ``peer_session`` per
peer and per process. Every request through it:

- has a timeout (connect, read) unless the caller passes its own, so a hung peer cannot hang
  a worker;
- carries ``X-Correlation-ID`` of the current request or message, so the peer logs the same id
  (the W3C ``traceparent`` is added by the requests instrumentation when traces are exported,
  see ``telemetry``);
- carries this service's credential (``Authorization: Bearer``, see ``service_auth``) when one
  is given, so the peer knows which service calls;
- is retried on connection errors, read timeouts and 502/503/504 only for the methods the
  caller declares safe to repeat (GET by default; a POST only when the peer's endpoint is
  idempotent, such as inventory's reserve/release per order id);
- reuses its connection (HTTP keep-alive, the session's pool) and ignores the environment's
  proxy, netrc and CA bundle settings (``trust_env = False``): peers are reached directly, and
  requests would otherwise look those up again on every request (issue 10: CPU per call).
"""

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from musiccorp_common.correlation import HEADER as CORRELATION_HEADER
from musiccorp_common.correlation import current_correlation_id

DEFAULT_TIMEOUT = (2.0, 5.0)


class PeerSession(requests.Session):
    """A requests.Session with a default timeout and the current correlation id on every request."""

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        super().__init__()
        self.timeout = timeout
        self.trust_env = False

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        correlation_id = current_correlation_id()
        if correlation_id:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault(CORRELATION_HEADER, correlation_id)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


def peer_session(
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 2,
    retry_methods: frozenset[str] = frozenset({"GET", "HEAD"}),
    backoff_factor: float = 0.2,
    service_token: str = "",
) -> PeerSession:
    """A PeerSession retrying ``retries`` times (exponential backoff) for ``retry_methods``.

    ``service_token``: this service's credential, presented on every request of the session.

    The final response of a retried 5xx is returned, not raised, so the caller maps it itself.
    """
    session = PeerSession(timeout=timeout)
    if service_token:
        # The scheme musiccorp_common.service_auth.ServiceTokenAuthentication reads.
        session.headers["Authorization"] = f"Bearer {service_token}"
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        status_forcelist=(502, 503, 504),
        allowed_methods=retry_methods,
        backoff_factor=backoff_factor,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
