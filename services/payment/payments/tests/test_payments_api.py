"""The read-only payment API (contract: payment)."""

import uuid

import pytest

from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_payment_detail_has_the_contract_fields(api_client):
    payment = PaymentFactory(amount="19.99", status="DECLINED", reason="card_declined")
    response = api_client.get(f"/payments/{payment.id}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(payment.id),
        "order_id": str(payment.order_id),
        "amount": "19.99",
        "currency": "EUR",
        "status": "DECLINED",
        "reason": "card_declined",
    }


def test_filter_by_order_id(api_client, staff_client):
    wanted = PaymentFactory()
    PaymentFactory.create_batch(3)
    body = api_client.get("/payments", {"order_id": str(wanted.order_id)}).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(wanted.id)
    assert api_client.get("/payments", {"order_id": str(uuid.uuid4())}).json()["count"] == 0
    assert staff_client.get("/payments").json()["count"] == 4


@pytest.mark.parametrize("query", [{}, {"order_id": ""}])
def test_listing_without_an_order_id_takes_a_staff_user(api_client, customer_client, query):
    PaymentFactory()
    for client in (api_client, customer_client):
        response = client.get("/payments", query)
        assert response.status_code in (401, 403)
        assert "staff" in response.json()["detail"]
        assert "results" not in response.json()


@pytest.mark.parametrize("bad", ["nope", "1234", "6f1c1f51-93fb-4c55-a8a6", "' OR 1=1 --"])
def test_malformed_order_id_filter_is_400(api_client, bad):
    response = api_client.get("/payments", {"order_id": bad})
    assert response.status_code == 400
    assert "order_id" in response.json()


@pytest.mark.parametrize("path", [f"/payments/{uuid.uuid4()}", "/payments/not-a-uuid", "/payments/12345"])
def test_unknown_or_malformed_id_is_404_json(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_api_is_read_only(staff_client):
    payment = PaymentFactory()
    assert staff_client.post("/payments", {"order_id": str(uuid.uuid4())}, format="json").status_code == 405
    assert staff_client.delete(f"/payments/{payment.id}").status_code == 405


def test_trailing_slash_is_accepted(api_client, staff_client):
    payment = PaymentFactory()
    assert staff_client.get("/payments/").status_code == 200
    assert api_client.get(f"/payments/{payment.id}/").status_code == 200
