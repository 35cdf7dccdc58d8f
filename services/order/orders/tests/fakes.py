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
        self.lookups: list[list[str]] = []

    def album(self, sku: str) -> Album:
        if self.down:
            raise PeerUnavailable("catalog", "ConnectionError")
        if sku not in self.albums:
            raise UnknownSku("catalog", sku)
        title, price, currency = self.albums[sku]
        return Album(sku=sku, title=title, price=Decimal(price), currency=currency)

    def albums_by_sku(self, skus: list[str]) -> dict[str, Album]:
        """One lookup for every SKU, like GET /albums?sku=...: UnknownSku names the first unknown one."""
        self.lookups.append(list(skus))
        return {sku: self.album(sku) for sku in skus}


class FakeInventory:
    """Stock per SKU; reservations per (order_id, sku), idempotent like the real inventory.

    ``reserve_order`` holds all lines or none, like POST /reservations; each of its lines is
    recorded in ``reserve_calls`` (and goes through ``reserve``), each line of ``release_order``
    in ``release_calls``; the calls themselves in ``order_calls``.
    """

    def __init__(self, stock: dict[str, int] | None = None, *, down_on: set[str] = frozenset()):
        self.stock = stock if stock is not None else {"CD001": 10, "CD002": 10}
        self.down_on = set(down_on)
        self.reservations: dict[tuple[str, str], int] = {}
        self.reserve_calls: list[tuple[str, str, int]] = []
        self.release_calls: list[tuple[str, str]] = []
        self.order_calls: list[tuple[str, str]] = []

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

    def reserve_order(self, order_id: str, lines: list[tuple[str, int]]) -> None:
        self.order_calls.append(("reserve", order_id))
        failure = self._first_refusal(order_id, lines)
        if failure is not None:
            self.reserve_calls.extend((sku, order_id, quantity) for sku, quantity in lines)
            raise failure
        for sku, quantity in lines:
            self.reserve(sku, order_id, quantity)

    def release_order(self, order_id: str, skus: list[str]) -> None:
        self.order_calls.append(("release", order_id))
        for sku in skus:
            self.release(sku, order_id)

    def _first_refusal(self, order_id: str, lines: list[tuple[str, int]]) -> Exception | None:
        if any(sku in self.down_on for sku, _ in lines):
            return PeerUnavailable("inventory", "ReadTimeout")
        for sku, _ in lines:
            if sku not in self.stock:
                return UnknownSku("inventory", sku)
        for sku, quantity in lines:
            if (order_id, sku) not in self.reservations and self.available(sku) < quantity:
                return OutOfStock(sku, "not enough available")
        return None

    def release(self, sku: str, order_id: str) -> None:
        self.release_calls.append((sku, order_id))
        self.reservations.pop((order_id, sku), None)

    def available(self, sku: str) -> int:
        return self.stock[sku] - sum(q for (_, s), q in self.reservations.items() if s == sku)

    @property
    def reserved(self) -> dict[tuple[str, str], int]:
        return dict(self.reservations)
