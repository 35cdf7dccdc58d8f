"""order's HTTP clients of its peers: catalog (prices) and inventory (reservations).

Each client turns the peer's answers into values or into the errors below, so the business
rules in orders/services.py never see HTTP. Timeouts: connect 2 s, read 5 s. Retries (with
backoff, on connection errors, read timeouts and 502/503/504): catalog's GETs, and inventory's
reserve/release, which the contract makes idempotent per order id -- repeating one cannot
reserve twice. Every call carries order's service credential (settings.SERVICE_TOKEN), which
inventory requires for reserve and release.
"""

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import requests
from django.conf import settings

from musiccorp_common.http import peer_session

logger = logging.getLogger("musiccorp.order.clients")

TIMEOUT = (2.0, 5.0)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


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
        self.session = session or peer_session(timeout=TIMEOUT, service_token=settings.SERVICE_TOKEN)

    def album(self, sku: str) -> Album:
        """The album's title, price and currency; UnknownSku on 404, PeerUnavailable otherwise."""
        response = _call(self.service, self.session.get, f"{self.base_url}/albums/{sku}")
        if response.status_code == 404:
            raise UnknownSku(self.service, sku)
        body = _json_or_unavailable(self.service, response)
        try:
            album = Album(sku=sku, title=str(body["title"]), price=Decimal(str(body["price"])), currency=str(body["currency"]))
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise PeerUnavailable(self.service, f"malformed album: {exc!r}") from exc
        if not album.price.is_finite() or album.price < 0 or not _CURRENCY.match(album.currency):
            raise PeerUnavailable(self.service, f"malformed album price/currency for {sku}")
        return album


class InventoryClient:
    service = "inventory"

    def __init__(self, base_url: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or peer_session(
            timeout=TIMEOUT, retry_methods=frozenset({"POST"}), service_token=settings.SERVICE_TOKEN
        )

    def reserve(self, sku: str, order_id: str, quantity: int) -> None:
        """Reserve ``quantity`` of ``sku`` for the order; OutOfStock (409), UnknownSku (404), PeerUnavailable."""
        url = f"{self.base_url}/stock/{sku}/reserve"
        response = _call(self.service, self.session.post, url, json={"order_id": order_id, "quantity": quantity})
        if response.status_code == 409:
            raise OutOfStock(sku, _detail(response))
        if response.status_code == 404:
            raise UnknownSku(self.service, sku)
        _ensure_success(self.service, response)

    def release(self, sku: str, order_id: str) -> None:
        """Release the order's reservation of ``sku`` (idempotent); PeerUnavailable when it cannot be done."""
        response = _call(self.service, self.session.post, f"{self.base_url}/stock/{sku}/release", json={"order_id": order_id})
        if response.status_code == 404:
            # Nothing to release for a SKU inventory does not know.
            return
        _ensure_success(self.service, response)


def _call(service: str, method, url: str, **kwargs) -> requests.Response:
    try:
        return method(url, **kwargs)
    except requests.RequestException as exc:
        raise PeerUnavailable(service, type(exc).__name__) from exc


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


def _detail(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        return ""
    return str(detail)[:200]


# One client (and connection pool) per process, built on first use from the settings.
@cache
def catalog_client() -> CatalogClient:
    return CatalogClient(settings.CATALOG_URL)


@cache
def inventory_client() -> InventoryClient:
    return InventoryClient(settings.INVENTORY_URL)
