"""The Django admin shows stock and reservations to staff and is closed to everyone else."""

import pytest

from inventory.tests.factories import ReservationFactory, StockFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_stock_and_reservations_for_a_superuser(admin_client):
    StockFactory(sku="CD300")
    reservation = ReservationFactory(sku="CD300")
    assert "CD300" in admin_client.get("/admin/inventory/stock/").content.decode()
    assert str(reservation.order_id) in admin_client.get("/admin/inventory/reservation/").content.decode()


def test_admin_redirects_anonymous_to_login(client):
    response = client.get("/admin/inventory/stock/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
