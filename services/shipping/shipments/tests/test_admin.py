"""The Django admin shows shipments to staff, read-only, and is closed to everyone else."""

import pytest

from shipments.tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_shipments_for_a_superuser(admin_client):
    shipment = ShipmentFactory()
    assert shipment.tracking_number in admin_client.get("/admin/shipments/shipment/").content.decode()
    assert admin_client.get("/admin/shipments/shipment/", {"q": "not-a-uuid"}).status_code == 200


def test_admin_redirects_anonymous_to_login(client):
    response = client.get("/admin/shipments/shipment/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
