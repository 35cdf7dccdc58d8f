"""The Django admin lists albums for staff and is closed to everyone else."""

import pytest

from catalog.tests.factories import AlbumFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_albums_for_a_superuser(admin_client):
    AlbumFactory(sku="CD300", title="Admin Visible")
    response = admin_client.get("/admin/catalog/album/")
    assert response.status_code == 200
    assert "Admin Visible" in response.content.decode()


def test_admin_redirects_anonymous_to_login(client):
    response = client.get("/admin/catalog/album/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
