"""The Django admin shows payments to staff, read-only, and is closed to everyone else."""

import pytest

from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_payments_for_a_superuser(admin_client):
    payment = PaymentFactory()
    assert str(payment.order_id) in admin_client.get("/admin/payments/payment/").content.decode()
    assert admin_client.get("/admin/payments/payment/", {"q": "not-a-uuid"}).status_code == 200
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403


def test_admin_redirects_anonymous_to_login(client):
    response = client.get("/admin/payments/payment/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
