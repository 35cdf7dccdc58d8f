"""Stand-ins for catalog and inventory at the orders.clients boundary.

They raise the same errors as the real clients (orders/clients.py), so the service and the API
are tested without HTTP; the real HTTP path is tested end to end (tests/e2e) and in test_clients.
"""

from decimal import Decimal

from orders.clients import Album, OutOfStock, PeerUnavailable, UnknownSku


class FakeCatalog:
    def __init__(self, albums: dict[str, tuple[str, str, str]] | None = None, *, down: bool = False):
        # sku -> (title, price, currency)
        self.albums = (
            albums if albums is not None else {"CD001": ("Kind of Blue", "14.99", "EUR"), "CD002": ("Abbey Road", "17.99", "EUR")}
        )
        self.down = down

    def album(self, sku: str) -> Album:
        if self.down:
            raise PeerUnavailable("catalog", "ConnectionError")
        if sku not in self.albums:
            raise UnknownSku("catalog", sku)
        title, price, currency = self.albums[sku]
        return Album(sku=sku, title=title, price=Decimal(price), currency=currency)


class FakeInventory:
    """Stock per SKU; reservations per (order_id, sku), idempotent like the real inventory."""

    def __init__(self, stock: dict[str, int] | None = None, *, down_on: set[str] = frozenset()):
        self.stock = stock if stock is not None else {"CD001": 10, "CD002": 10}
        self.down_on = set(down_on)
        self.reservations: dict[tuple[str, str], int] = {}
        self.reserve_calls: list[tuple[str, str, int]] = []
        self.release_calls: list[tuple[str, str]] = []

    def reserve(self, sku: str, order_id: str, quantity: int) -> None:
        self.reserve_calls.append((sku, order_id, quantity))
        if sku in self.down_on:
            raise PeerUnavailable("inventory", "ReadTimeout")
        if sku not in self.stock:
            raise UnknownSku("inventory", sku)
        if (order_id, sku) in self.reservations:
            return
        if self.available(sku) < quantity:
            raise OutOfStock(sku, "not enough available")
        self.reservations[(order_id, sku)] = quantity

    def release(self, sku: str, order_id: str) -> None:
        self.release_calls.append((sku, order_id))
        self.reservations.pop((order_id, sku), None)

    def available(self, sku: str) -> int:
        return self.stock[sku] - sum(q for (_, s), q in self.reservations.items() if s == sku)

    @property
    def reserved(self) -> dict[tuple[str, str], int]:
        return dict(self.reservations)
