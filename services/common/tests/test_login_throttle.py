"""Admin login throttling (django-axes, database handler): N failures lock the (user, client IP)
out, a correct password still works before that, and the client IP is the gateway's
X-Forwarded-For entry only when the peer is a trusted proxy."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = ["10.244.0.0/16"]
    return get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)


def _login(password: str, remote_addr: str = "192.0.2.10", **headers):
    client = Client(REMOTE_ADDR=remote_addr)
    return client.post("/admin/login/?next=/admin/", {"username": "ops", "password": password}, **headers)


def test_normal_login_still_works(staff):
    _login("wrong")
    response = _login(PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_locked_out_after_n_failures_even_with_the_right_password(staff):
    for _ in range(2):
        assert _login("wrong").status_code == 200  # the form again, with an error
    assert _login("wrong").status_code == 429  # the third failure locks
    assert _login(PASSWORD).status_code == 429
    # Another client address is not locked out.
    assert _login(PASSWORD, remote_addr="192.0.2.11").status_code == 302


def test_client_address_comes_from_the_gateways_forwarded_for(staff):
    gateway = "10.244.0.7"
    for _ in range(3):
        _login("wrong", remote_addr=gateway, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert _login(PASSWORD, remote_addr=gateway, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Another client behind the same gateway is someone else.
    assert _login(PASSWORD, remote_addr=gateway, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_lockout(staff):
    for _ in range(3):
        _login("wrong")
    # Claiming another address in X-Forwarded-For does not help a direct client.
    assert _login(PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
