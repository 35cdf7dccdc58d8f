"""order's HTTP clients of its peers: catalog (prices) and inventory (reservations).

Placing an order makes one call to each (issue 10): ``CatalogClient.albums_by_sku`` prices every line
with one ``GET /albums?sku=...``, ``InventoryClient.reserve_order`` reserves every line with one
``POST /reservations`` (all or none), and ``release_order`` gives them back with one call. The
per-SKU calls (``album``, ``reserve``, ``release``) stay for other callers.

Each client turns the peer's answers into values or into the errors below, so the business
rules in orders/services.py never see HTTP. Timeouts: connect 2 s, read 5 s. Retries (with
backoff, on connection errors, timeouts and 502/503/504): catalog's GETs, and inventory's
reserve/release (per SKU or per order), which the contract makes idempotent per order id -- repeating one cannot
reserve twice. Every call carries order's service credential (settings.SERVICE_TOKEN), which
inventory requires for reserve and release.

A caller can bound the total time of its calls with ``peer_deadline(seconds)`` (issue 9: placing
an order must finish well before gunicorn kills the worker): inside it, each attempt's timeouts
are cut to the time left, no attempt or retry starts past the deadline, and a call that runs
out of time raises PeerUnavailable. The retries live here rather than in the session's adapter
so that they can see the deadline.
"""

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import requests
from django.conf import settings

from musiccorp_common.http import peer_session

logger = logging.getLogger("musiccorp.order.clients")

TIMEOUT = (2.0, 5.0)
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
RETRY_STATUSES = frozenset({502, 503, 504})
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# time.monotonic() by which the current placement's peer calls must be done (None: unbounded).
_deadline: ContextVar[float | None] = ContextVar("order_peer_deadline", default=None)


class PeerError(Exception):
    """Base of what a peer call can end in besides success."""


class PeerUnavailable(PeerError):
    """The peer is down, timed out, or answered something it should not (5xx, malformed JSON)."""

    def __init__(self, service: str, reason: str):
        super().__init__(f"{service} is temporarily unavailable ({reason})")
        self.service = service
        self.reason = reason


class UnknownSku(PeerError):
    """The peer does not know the SKU (catalog or inventory answered 404)."""

    def __init__(self, service: str, sku: str):
        super().__init__(f"unknown SKU {sku} in {service}")
        self.service = service
        self.sku = sku


class OutOfStock(PeerError):
    """Inventory cannot reserve the quantity (409)."""

    def __init__(self, sku: str, detail: str = ""):
        super().__init__(f"not enough stock for {sku}" + (f": {detail}" if detail else ""))
        self.sku = sku
        self.detail = detail


@contextmanager
def peer_deadline(seconds: float) -> Iterator[None]:
    """Bound every peer call made inside (retries included) to ``seconds`` from now, in total."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left before the current deadline (None without one); never negative."""
    deadline = _deadline.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


@dataclass(frozen=True)
class Album:
    sku: str
    title: str
    price: Decimal
    currency: str


class CatalogClient:
    service = "catalog"

    def __init__(self, base_url: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or peer_session(timeout=TIMEOUT, retries=0, service_token=settings.SERVICE_TOKEN)

    def album(self, sku: str) -> Album:
        """The album's title, price and currency; UnknownSku on 404, PeerUnavailable otherwise."""
        response = _call(self.service, self.session, "GET", f"{self.base_url}/albums/{sku}")
        if response.status_code == 404:
            raise UnknownSku(self.service, sku)
        return _album(sku, _json_or_unavailable(self.service, response))

    def albums_by_sku(self, skus: list[str]) -> dict[str, Album]:
        """Every SKU's album in one request; UnknownSku for the first one catalog does not have."""
        params = [("sku", sku) for sku in skus] + [("page_size", str(max(len(skus), 1)))]
        response = _call(self.service, self.session, "GET", f"{self.base_url}/albums", params=params)
        results = _json_or_unavailable(self.service, response).get("results")
        if not isinstance(results, list):
            raise PeerUnavailable(self.service, "malformed album list")
        found = {}
        for body in results:
            if isinstance(body, dict) and body.get("sku") in skus:
                found[body["sku"]] = _album(body["sku"], body)
        for sku in skus:
            if sku not in found:
                raise UnknownSku(self.service, sku)
        return found


class InventoryClient:
    service = "inventory"

    def __init__(self, base_url: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or peer_session(timeout=TIMEOUT, retries=0, service_token=settings.SERVICE_TOKEN)

    def reserve(self, sku: str, order_id: str, quantity: int) -> None:
        """Reserve ``quantity`` of ``sku`` for the order; OutOfStock (409), UnknownSku (404), PeerUnavailable."""
        url = f"{self.base_url}/stock/{sku}/reserve"
        response = _call(self.service, self.session, "POST", url, json={"order_id": order_id, "quantity": quantity})
        if response.status_code == 409:
            raise OutOfStock(sku, _detail(response))
        if response.status_code == 404:
            raise UnknownSku(self.service, sku)
        _ensure_success(self.service, response)

    def reserve_order(self, order_id: str, lines: list[tuple[str, int]]) -> None:
        """Reserve every (sku, quantity) line for the order, or none: OutOfStock (409) or UnknownSku (404)
        naming the line, PeerUnavailable (then some or all lines may be held: release them)."""
        body = {"order_id": order_id, "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]}
        response = _call(self.service, self.session, "POST", f"{self.base_url}/reservations", json=body)
        if response.status_code in (404, 409):
            sku = _field(response, "sku")
            if not sku:
                raise PeerUnavailable(self.service, f"HTTP {response.status_code} without the SKU")
            if response.status_code == 404:
                raise UnknownSku(self.service, sku)
            raise OutOfStock(sku, _detail(response))
        _ensure_success(self.service, response)

    def release_order(self, order_id: str, skus: list[str]) -> None:
        """Release the order's reservations of ``skus`` in one call (idempotent, final); PeerUnavailable if it cannot."""
        url = f"{self.base_url}/reservations/release"
        response = _call(self.service, self.session, "POST", url, json={"order_id": order_id, "skus": list(skus)})
        _ensure_success(self.service, response)

    def release(self, sku: str, order_id: str) -> None:
        """Release the order's reservation of ``sku`` (idempotent); PeerUnavailable when it cannot be done."""
        response = _call(self.service, self.session, "POST", f"{self.base_url}/stock/{sku}/release", json={"order_id": order_id})
        if response.status_code == 404:
            # Nothing to release for a SKU inventory does not know.
            return
        _ensure_success(self.service, response)


def _call(service: str, session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
    """The request, retried on connection errors, timeouts and 502/503/504 while attempts and time are left.

    Every call here is safe to repeat (GETs, and reserve/release, idempotent per order id).
    """
    for attempt in range(1, ATTEMPTS + 1):
        timeout = _attempt_timeout(getattr(session, "timeout", TIMEOUT))
        if timeout is None:
            raise PeerUnavailable(service, "deadline exceeded")
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            if not _pause_before_retry(attempt):
                raise PeerUnavailable(service, type(exc).__name__) from exc
            logger.info("%s %s failed (%s); retrying", method, url, type(exc).__name__)
            continue
        if response.status_code not in RETRY_STATUSES or not _pause_before_retry(attempt):
            return response
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _attempt_timeout(timeout: tuple[float, float]) -> tuple[float, float] | None:
    """(connect, read) cut to the time left before the deadline; None when no time is left."""
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        return None
    return (min(timeout[0], left), min(timeout[1], left))


def _pause_before_retry(attempt: int) -> bool:
    """Sleep the backoff and return True when another attempt may start (attempts left, time left after the pause)."""
    if attempt >= ATTEMPTS:
        return False
    pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
    left = time_left()
    if left is not None and left <= pause:
        return False
    time.sleep(pause)
    return True


def _ensure_success(service: str, response: requests.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise PeerUnavailable(service, f"HTTP {response.status_code}")


def _json_or_unavailable(service: str, response: requests.Response) -> dict:
    _ensure_success(service, response)
    try:
        body = response.json()
    except ValueError as exc:
        raise PeerUnavailable(service, "response is not JSON") from exc
    if not isinstance(body, dict):
        raise PeerUnavailable(service, "response is not a JSON object")
    return body


def _album(sku: str, body: dict) -> Album:
    """An album of catalog's answer, or PeerUnavailable when it is malformed."""
    try:
        album = Album(sku=sku, title=str(body["title"]), price=Decimal(str(body["price"])), currency=str(body["currency"]))
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise PeerUnavailable("catalog", f"malformed album: {exc!r}") from exc
    if not album.price.is_finite() or album.price < 0 or not _CURRENCY.match(album.currency):
        raise PeerUnavailable("catalog", f"malformed album price/currency for {sku}")
    return album


def _detail(response: requests.Response) -> str:
    return _field(response, "detail")[:200]


def _field(response: requests.Response, name: str) -> str:
    try:
        value = response.json().get(name, "")
    except (ValueError, AttributeError):
        return ""
    return str(value)


# One client (and connection pool) per process, built on first use from the settings.
@cache
def catalog_client() -> CatalogClient:
    return CatalogClient(settings.CATALOG_URL)


@cache
def inventory_client() -> InventoryClient:
    return InventoryClient(settings.INVENTORY_URL)
