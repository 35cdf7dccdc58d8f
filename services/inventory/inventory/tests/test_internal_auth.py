"""Reserve and release are internal: only the order service's credential or a staff user.

Without a credential the answer is 401 with a JSON body and a Bearer challenge; a wrong token
is 401; another service's valid token or a non-staff user is 403. Nothing changes in stock.
"""

import uuid

import pytest

from inventory.models import Reservation, Stock
from inventory.tests.factories import ReservationFactory, StockFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = ["reserve", "release"]


def call(client, endpoint, order_id):
    return client.post(f"/stock/CD001/{endpoint}", {"order_id": str(order_id), "quantity": 1}, format="json")


@pytest.fixture
def stock():
    stock = StockFactory(sku="CD001", on_hand=10)
    ReservationFactory(sku="CD001", quantity=2)
    return Stock.objects.get(pk=stock.pk)


def assert_unchanged(stock):
    assert Stock.objects.get(pk=stock.pk).reserved == stock.reserved
    assert Reservation.objects.filter(status=Reservation.Status.RESERVED).count() == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_without_a_credential_is_401_json_with_a_bearer_challenge(api_client, stock, endpoint):
    response = call(api_client, endpoint, uuid.uuid4())
    assert response.status_code == 401
    assert "credentials were not provided" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_unchanged(stock)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_token_nobody_has_is_401(api_client, service_client, stock, endpoint):
    service_client("order")  # the order service's real token is known; this one is not it
    api_client.credentials(HTTP_AUTHORIZATION="Bearer test-token-of-orde")
    response = call(api_client, endpoint, uuid.uuid4())
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid service credential."}
    assert_unchanged(stock)


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer \u00e9t\u00e9"])
def test_a_malformed_authorization_header_is_401_not_500(api_client, stock, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = call(api_client, "reserve", uuid.uuid4())
    assert response.status_code == 401
    assert response.json()["detail"]
    assert_unchanged(stock)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_services_credential_is_403(service_client, stock, endpoint):
    response = call(service_client("payment"), endpoint, uuid.uuid4())
    assert response.status_code == 403
    assert "Only the order service" in response.json()["detail"]
    assert_unchanged(stock)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_signed_in_customer_is_403(customer_client, stock, endpoint):
    assert call(customer_client, endpoint, uuid.uuid4()).status_code == 403
    assert_unchanged(stock)


def test_the_order_service_reserves(service_client, stock):
    response = call(service_client("order"), "reserve", uuid.uuid4())
    assert response.status_code == 200
    assert Stock.objects.get(pk=stock.pk).reserved == stock.reserved + 1


def test_staff_keep_their_access(staff_client, stock):
    order_id = Reservation.objects.get().order_id
    response = staff_client.post("/stock/CD001/release", {"order_id": str(order_id)}, format="json")
    assert response.status_code == 200
    assert response.json()["released"] == 2


def test_staff_sign_in_with_basic_auth(api_client, staff_user, stock):
    api_client.credentials(HTTP_AUTHORIZATION="Basic c3RhZmY6c3RhZmYtcGFzcw==")  # staff:staff-pass
    assert call(api_client, "reserve", uuid.uuid4()).status_code == 200


def test_stock_reads_stay_open(api_client, stock):
    assert api_client.get("/stock/CD001").json()["reserved"] == stock.reserved
