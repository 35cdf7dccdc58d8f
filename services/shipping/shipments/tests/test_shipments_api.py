"""The read-only shipment API (contract: shipping)."""

import datetime
import uuid

import pytest

from shipments.tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def test_shipment_detail_has_the_contract_fields(api_client):
    at = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    shipment = ShipmentFactory(carrier="UPS", tracking_number="1Z0000000000000001", dispatched_at=at)
    response = api_client.get(f"/shipments/{shipment.id}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(shipment.id),
        "order_id": str(shipment.order_id),
        "status": "DISPATCHED",
        "carrier": "UPS",
        "tracking_number": "1Z0000000000000001",
        "dispatched_at": "2026-01-02T03:04:05Z",
    }


def test_filter_by_order_id(api_client, staff_client):
    wanted = ShipmentFactory()
    ShipmentFactory.create_batch(3)
    body = api_client.get("/shipments", {"order_id": str(wanted.order_id)}).json()
    assert [s["id"] for s in body["results"]] == [str(wanted.id)]
    assert api_client.get("/shipments", {"order_id": str(uuid.uuid4())}).json()["count"] == 0
    assert staff_client.get("/shipments").json()["count"] == 4


@pytest.mark.parametrize("query", [{}, {"order_id": ""}])
def test_listing_without_an_order_id_takes_a_staff_user(api_client, customer_client, query):
    ShipmentFactory()
    for client in (api_client, customer_client):
        response = client.get("/shipments", query)
        assert response.status_code in (401, 403)
        assert "staff" in response.json()["detail"]
        assert "results" not in response.json()


@pytest.mark.parametrize("bad", ["nope", "42", "6f1c1f51-93fb-4c55-a8a6"])
def test_malformed_order_id_filter_is_400(api_client, bad):
    response = api_client.get("/shipments", {"order_id": bad})
    assert response.status_code == 400
    assert "order_id" in response.json()


@pytest.mark.parametrize("path", [f"/shipments/{uuid.uuid4()}", "/shipments/not-a-uuid"])
def test_unknown_or_malformed_id_is_404_json(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_api_is_read_only(staff_client):
    shipment = ShipmentFactory()
    assert staff_client.post("/shipments", {}, format="json").status_code == 405
    assert staff_client.delete(f"/shipments/{shipment.id}").status_code == 405
