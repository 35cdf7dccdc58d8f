"""GET /orders/<id> (open: the id is the customer's handle) and GET /orders?status=&customer_email= (staff only)."""

import uuid

import pytest

from orders.models import OrderStatus
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def test_an_order_is_read_by_id(api_client):
    item = OrderItemFactory(sku="CD001", title="Kind of Blue", unit_price="14.99", quantity=2, line_total="29.98")
    order = item.order
    response = api_client.get(f"/orders/{order.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(order.id)
    assert body["status"] == "PENDING"
    assert body["items"] == [
        {"sku": "CD001", "title": "Kind of Blue", "unit_price": "14.99", "quantity": 2, "line_total": "29.98"}
    ]
    assert {"total", "currency", "created_at", "payment_id", "shipment_id", "tracking_number", "cancel_reason"} <= set(body)


@pytest.mark.parametrize("order_id", [str(uuid.uuid4()), "not-a-uuid", "123", "x" * 300])
def test_unknown_or_malformed_id_is_404_json(api_client, order_id):
    response = api_client.get(f"/orders/{order_id}")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("query", [{}, {"customer_email": "ann@example.com"}, {"status": "PAID"}])
def test_listing_orders_takes_a_staff_user(api_client, customer_client, query):
    OrderFactory(customer_email="ann@example.com", status=OrderStatus.PAID)
    for client in (api_client, customer_client):
        response = client.get("/orders", query)
        assert response.status_code in (401, 403)
        assert "staff" in response.json()["detail"]
        assert "ann@example.com" not in response.content.decode()


def test_list_filters_by_status_and_email(staff_client):
    OrderFactory(customer_email="ann@example.com", status=OrderStatus.PAID)
    OrderFactory(customer_email="ann@example.com", status=OrderStatus.PENDING)
    OrderFactory(customer_email="bob@example.com", status=OrderStatus.PAID)
    assert staff_client.get("/orders").json()["count"] == 3
    paid = staff_client.get("/orders", {"status": "PAID"}).json()
    assert paid["count"] == 2
    anns = staff_client.get("/orders", {"customer_email": "ANN@example.com"}).json()
    assert {o["customer_email"] for o in anns["results"]} == {"ann@example.com"}
    assert staff_client.get("/orders", {"status": "PAID", "customer_email": "ann@example.com"}).json()["count"] == 1


def test_list_is_paginated_newest_first(staff_client):
    OrderFactory.create_batch(25)
    first = staff_client.get("/orders").json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    created = [o["created_at"] for o in first["results"]]
    assert created == sorted(created, reverse=True)
    assert len(staff_client.get(first["next"]).json()["results"]) == 5


@pytest.mark.parametrize("value", ["SHIPPED", "paid", "x" * 1000])
def test_an_unknown_status_is_400(staff_client, value):
    response = staff_client.get("/orders", {"status": value})
    assert response.status_code == 400
    assert "status" in response.json()


def test_empty_filters_filter_nothing(staff_client):
    OrderFactory()
    assert staff_client.get("/orders", {"status": "", "customer_email": ""}).json()["count"] == 1


def test_trailing_slash_is_accepted(api_client, staff_client):
    order = OrderFactory()
    assert staff_client.get("/orders/").status_code == 200
    assert api_client.get(f"/orders/{order.id}/").status_code == 200
