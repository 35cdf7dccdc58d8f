"""orders.clients over real HTTP against a local stand-in peer: answers mapped to values and errors."""

import time
from decimal import Decimal

import pytest

from musiccorp_common.http import peer_session
from musiccorp_common.testing.http import by_path
from orders.clients import CatalogClient, InventoryClient, OutOfStock, PeerUnavailable, UnknownSku, peer_deadline


@pytest.fixture
def stand_in(stub_peer):
    """A peer answering by path: stand_in({path: (status, payload)}, delay=0.0)."""
    return lambda routes, delay=0.0: stub_peer(by_path(routes), delay)


ALBUM = {"sku": "CD001", "title": "Kind of Blue", "artist": "Miles Davis", "price": "14.99", "currency": "EUR"}


def test_catalog_album_is_parsed(stand_in):
    peer = stand_in({"/albums/CD001": (200, ALBUM)})
    album = CatalogClient(peer.url).album("CD001")
    assert (album.title, album.price, album.currency) == ("Kind of Blue", Decimal("14.99"), "EUR")


def test_catalog_404_is_an_unknown_sku(stand_in):
    peer = stand_in({})
    with pytest.raises(UnknownSku) as raised:
        CatalogClient(peer.url).album("CD999")
    assert raised.value.sku == "CD999"


@pytest.mark.parametrize(
    "answer",
    [(500, {"detail": "boom"}), (200, b"not json"), (200, ["a", "list"]), (200, {"title": "x"}), (200, {**ALBUM, "price": "-1"})],
)
def test_a_broken_catalog_answer_is_unavailable(stand_in, answer):
    peer = stand_in({"/albums/CD001": answer})
    client = CatalogClient(peer.url, session=peer_session(timeout=(1, 1), backoff_factor=0))
    with pytest.raises(PeerUnavailable):
        client.album("CD001")


def test_a_peer_that_is_down_is_unavailable():
    client = CatalogClient("http://127.0.0.1:9", session=peer_session(timeout=(0.5, 0.5), retries=0))
    with pytest.raises(PeerUnavailable) as raised:
        client.album("CD001")
    assert raised.value.service == "catalog"


def test_a_peer_that_stalls_times_out_as_unavailable(stand_in):
    peer = stand_in({"/stock/CD001/reserve": (200, {})}, delay=1.0)
    client = InventoryClient(peer.url, session=peer_session(timeout=(0.5, 0.2), retries=0))
    with pytest.raises(PeerUnavailable):
        client.reserve("CD001", "o-1", 1)


def test_inventory_reserve_sends_the_order_and_maps_409_and_404(stand_in):
    peer = stand_in(
        {
            "/stock/CD001/reserve": (200, {"sku": "CD001"}),
            "/stock/CD002/reserve": (409, {"detail": "Only 1 available."}),
        }
    )
    client = InventoryClient(peer.url)
    client.reserve("CD001", "o-1", 2)
    assert peer.requests[0][:3] == ("POST", "/stock/CD001/reserve", {"order_id": "o-1", "quantity": 2})
    with pytest.raises(OutOfStock) as raised:
        client.reserve("CD002", "o-1", 2)
    assert (raised.value.sku, raised.value.detail) == ("CD002", "Only 1 available.")
    with pytest.raises(UnknownSku):
        client.reserve("CD003", "o-1", 1)


def test_reserve_is_retried_on_503_because_it_is_idempotent(stand_in):
    peer = stand_in({"/stock/CD001/reserve": (503, {"detail": "busy"})})
    client = InventoryClient(peer.url)
    with pytest.raises(PeerUnavailable):
        client.reserve("CD001", "o-1", 1)
    assert len(peer.requests) == 3


def test_no_retry_starts_that_its_backoff_would_take_past_the_deadline(stand_in):
    peer = stand_in({"/stock/CD001/reserve": (503, {"detail": "busy"})})
    client = InventoryClient(peer.url)
    with peer_deadline(0.35), pytest.raises(PeerUnavailable):  # room for the first backoff (0.2 s), not the second (0.4 s)
        client.reserve("CD001", "o-1", 1)
    assert len(peer.requests) == 2


def test_a_call_past_the_deadline_is_not_made(stand_in):
    peer = stand_in({"/albums/CD001": (200, ALBUM)})
    with peer_deadline(0), pytest.raises(PeerUnavailable) as raised:
        CatalogClient(peer.url).album("CD001")
    assert raised.value.reason == "deadline exceeded"
    assert peer.requests == []


def test_a_stalling_peer_is_given_up_on_at_the_deadline_not_its_read_timeout(stand_in):
    peer = stand_in({"/stock/CD001/reserve": (200, {})}, delay=3.0)
    started = time.monotonic()
    with peer_deadline(0.5), pytest.raises(PeerUnavailable):
        InventoryClient(peer.url).reserve("CD001", "o-1", 1)  # read timeout 5 s, no deadline: it would wait 3 s
    assert time.monotonic() - started < 1.5
    assert len(peer.requests) == 1


def test_release_sends_the_order_and_ignores_an_unknown_sku(stand_in):
    peer = stand_in({"/stock/CD001/release": (200, {"released": 2})})
    client = InventoryClient(peer.url)
    client.release("CD001", "o-1")
    client.release("CD404", "o-1")
    assert [(request.path, request.body) for request in peer.requests] == [
        ("/stock/CD001/release", {"order_id": "o-1"}),
        ("/stock/CD404/release", {"order_id": "o-1"}),
    ]


def test_calls_to_peers_carry_the_order_services_credential(stand_in, settings):
    settings.SERVICE_TOKEN = "order-secret-token"
    peer = stand_in({"/stock/CD001/reserve": (200, {}), "/albums/CD001": (200, ALBUM)})
    InventoryClient(peer.url).reserve("CD001", "o-1", 1)
    CatalogClient(peer.url).album("CD001")
    assert [r.authorization for r in peer.requests] == ["Bearer order-secret-token"] * 2


def test_without_a_token_no_authorization_header_is_sent(stand_in, settings):
    settings.SERVICE_TOKEN = ""
    peer = stand_in({"/stock/CD001/reserve": (200, {})})
    InventoryClient(peer.url).reserve("CD001", "o-1", 1)
    assert peer.requests[0].authorization is None


# One call per order (issue 10): the batch price lookup, the order's reservation and its release.


def _album(sku, price="14.99", currency="EUR"):
    return {"sku": sku, "title": f"Album {sku}", "artist": "A", "price": price, "currency": currency}


def test_catalog_prices_every_sku_in_one_request(stub_peer):
    peer = stub_peer(lambda request: (200, {"count": 2, "results": [_album("CD002", "9.50"), _album("CD001")]}))
    albums = CatalogClient(peer.url).albums_by_sku(["CD001", "CD002"])
    assert {sku: album.price for sku, album in albums.items()} == {"CD001": Decimal("14.99"), "CD002": Decimal("9.50")}
    assert [(r.method, r.path) for r in peer.requests] == [("GET", "/albums?sku=CD001&sku=CD002&page_size=2")]


def test_a_sku_missing_from_the_lookup_is_an_unknown_sku(stub_peer):
    peer = stub_peer(lambda request: (200, {"count": 1, "results": [_album("CD001")]}))
    with pytest.raises(UnknownSku) as raised:
        CatalogClient(peer.url).albums_by_sku(["CD001", "CD999"])
    assert (raised.value.service, raised.value.sku) == ("catalog", "CD999")


@pytest.mark.parametrize(
    "answer",
    [
        (503, {"detail": "busy"}),
        (200, b"not json"),
        (200, {"results": "x"}),
        (200, {"results": [{**_album("CD001"), "price": "-1"}]}),
    ],
)
def test_a_broken_lookup_is_unavailable(stub_peer, answer):
    peer = stub_peer(lambda request: answer)
    client = CatalogClient(peer.url, session=peer_session(timeout=(1, 1), backoff_factor=0))
    with pytest.raises(PeerUnavailable):
        client.albums_by_sku(["CD001"])


def test_reserve_order_sends_every_line_in_one_request(stand_in):
    peer = stand_in({"/reservations": (200, {"order_id": "o-1", "lines": []})})
    InventoryClient(peer.url).reserve_order("o-1", [("CD001", 2), ("CD002", 1)])
    assert peer.requests[0][:3] == (
        "POST",
        "/reservations",
        {"order_id": "o-1", "lines": [{"sku": "CD001", "quantity": 2}, {"sku": "CD002", "quantity": 1}]},
    )


@pytest.mark.parametrize(
    ("answer", "error", "sku"),
    [
        ((409, {"detail": "Not enough stock for CD002: 1 available.", "sku": "CD002"}), OutOfStock, "CD002"),
        ((404, {"detail": "No stock for CD404.", "sku": "CD404"}), UnknownSku, "CD404"),
    ],
)
def test_reserve_order_names_the_refused_line(stand_in, answer, error, sku):
    peer = stand_in({"/reservations": answer})
    with pytest.raises(error) as raised:
        InventoryClient(peer.url).reserve_order("o-1", [("CD001", 1), (sku, 2)])
    assert raised.value.sku == sku


def test_a_refusal_that_does_not_name_the_line_is_unavailable(stand_in):
    peer = stand_in({"/reservations": (404, {"detail": "Not found."})})  # e.g. an inventory without the endpoint
    with pytest.raises(PeerUnavailable):
        InventoryClient(peer.url).reserve_order("o-1", [("CD001", 1)])


def test_reserve_order_is_retried_on_503_within_the_deadline(stand_in):
    peer = stand_in({"/reservations": (503, {"detail": "busy"})})
    with peer_deadline(0.35), pytest.raises(PeerUnavailable):
        InventoryClient(peer.url).reserve_order("o-1", [("CD001", 1)])
    assert len(peer.requests) == 2


def test_release_order_sends_every_sku_in_one_request_with_the_credential(stand_in, settings):
    settings.SERVICE_TOKEN = "order-secret-token"
    peer = stand_in({"/reservations/release": (200, {"order_id": "o-1", "released": []})})
    InventoryClient(peer.url).release_order("o-1", ["CD001", "CD002"])
    assert [(r.path, r.body, r.authorization) for r in peer.requests] == [
        ("/reservations/release", {"order_id": "o-1", "skus": ["CD001", "CD002"]}, "Bearer order-secret-token")
    ]
