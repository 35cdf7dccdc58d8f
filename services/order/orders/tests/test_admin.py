"""The operators' admin: order list with filters and search, detail with items and the saga timeline."""

import uuid

import pytest
from django.db import transaction

from musiccorp_common.events import build_envelope, publish_event
from musiccorp_common.models import ProcessedEvent
from musiccorp_common.testing.shared_behaviour import call_wsgi
from orders.models import OrderStatus
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


def test_the_list_shows_orders(admin_client):
    order = OrderFactory(customer_email="listed@example.com")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert str(order.id) in body
    assert "listed@example.com" in body


def test_the_list_filters_by_status_and_date(admin_client):
    OrderFactory(customer_email="paid@example.com", status=OrderStatus.PAID)
    OrderFactory(customer_email="pending@example.com", status=OrderStatus.PENDING)
    body = admin_client.get(CHANGELIST, {"status__exact": "PAID"}).content.decode()
    assert "paid@example.com" in body
    assert "pending@example.com" not in body
    assert admin_client.get(CHANGELIST, {"created_at__gte": "2000-01-01 00:00:00+00:00"}).status_code == 200
    assert "created_at__year=" in admin_client.get(CHANGELIST).content.decode()


def test_the_list_searches_by_email_and_id(admin_client):
    ann = OrderFactory(customer_email="ann@example.com")
    OrderFactory(customer_email="bob@example.com")
    by_email = admin_client.get(CHANGELIST, {"q": "ann@"}).content.decode()
    assert "ann@example.com" in by_email
    assert "bob@example.com" not in by_email
    by_id = admin_client.get(CHANGELIST, {"q": str(ann.id)}).content.decode()
    assert "ann@example.com" in by_id
    assert "bob@example.com" not in by_id
    assert admin_client.get(CHANGELIST, {"q": "not-a-uuid"}).status_code == 200


def test_the_detail_page_shows_items_references_and_the_timeline(admin_client):
    item = OrderItemFactory(sku="CD007", title="Blue")
    order = item.order
    order.payment_id, order.tracking_number = "pay-42", "TRACK-42"
    order.save()
    with transaction.atomic():
        publish_event("order.cancelled", key=str(order.id), data={"order_id": str(order.id), "reason": "card_declined"})
    consumed = build_envelope(
        "payment.received",
        {"order_id": str(order.id), "payment_id": "pay-42", "amount": "29.98", "currency": "EUR"},
        producer="payment",
        correlation_id="corr-<timeline>",
    )
    ProcessedEvent.objects.create(
        event_id=consumed.event_id,
        topic="payment.received",
        event_type="payment.received",
        key=str(order.id),
        correlation_id=consumed.correlation_id,
    )
    response = admin_client.get(f"{CHANGELIST}{order.id}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "CD007" in body
    assert "Blue" in body
    assert "pay-42" in body
    assert "TRACK-42" in body
    assert "order.cancelled" in body
    assert "published" in body
    assert "payment.received" in body
    assert "consumed" in body
    # Escaped, not rendered: the correlation id came from outside.
    assert "corr-&lt;timeline&gt;" in body
    assert body.index("order.cancelled") < body.index("payment.received")


def test_saga_fields_are_read_only_and_orders_are_not_added_or_deleted(admin_client):
    order = OrderFactory()
    body = admin_client.get(f"{CHANGELIST}{order.id}/change/").content.decode()
    assert 'name="status"' not in body
    assert 'name="total"' not in body
    assert 'name="payment_id"' not in body
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{order.id}/delete/").status_code == 403


def test_an_unknown_order_in_the_admin_is_not_an_error(admin_client):
    response = admin_client.get(f"{CHANGELIST}{uuid.uuid4()}/change/")
    assert response.status_code in (302, 404)


def test_the_admin_login_redirect_goes_through_the_gateway_prefix():
    through_gateway = call_wsgi(CHANGELIST, {"HTTP_X_FORWARDED_PREFIX": "/api/orders"})
    assert through_gateway.status.startswith("302")
    assert through_gateway.headers["Location"] == f"/api/orders/admin/login/?next=/api/orders{CHANGELIST}"
    login = call_wsgi("/admin/login/", {"HTTP_X_FORWARDED_PREFIX": "/api/orders"})
    assert 'href="/api/orders/static/admin/css/' in login.body
    assert 'action="/api/orders/admin/login/' in login.body
    assert "order_csrftoken" in login.headers.get("Set-Cookie", "")
