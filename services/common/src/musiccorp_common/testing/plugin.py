"""pytest fixtures every service's test suite gets (registered as a pytest11 plugin).

Only fixtures that need Django import it lazily, so the plugin loads in any pytest run.
"""

import pytest


def pytest_configure(config):
    # Registered here, for every suite, because tox env integration deselects it everywhere.
    config.addinivalue_line("markers", "kafka_auth: needs a broker with SASL/SCRAM and ACLs (the local stack's)")
    config.addinivalue_line("markers", "local_stack: kills and restarts a server of the local stack (ci/stack/*)")


@pytest.fixture
def api_client():
    """An anonymous DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="staff", password="staff-pass", is_staff=True)  # noqa: S106 -- test user


@pytest.fixture
def staff_client(staff_user):
    """A DRF test client logged in as a staff user."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def customer_client(django_user_model):
    """A DRF test client logged in as an ordinary (non-staff) user."""
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user(username="customer", password="customer-pass")  # noqa: S106 -- test user
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def service_client(settings):
    """``service_client("order")``: a DRF test client presenting that service's credential.

    The token is made known to this service (as CALLER_TOKEN_<NAME> would), so the request
    is authenticated as that service; whether it may call an endpoint is the endpoint's rule.
    """
    from rest_framework.test import APIClient

    def make(service: str):
        token = f"test-token-of-{service}"
        settings.SERVICE_CALLER_TOKENS = {**settings.SERVICE_CALLER_TOKENS, service: token}
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def stub_peer():
    """Start stand-in HTTP peers: ``stub_peer(answer, delay=0.0)`` (see testing.http); closed after the test."""
    from musiccorp_common.testing.http import StubPeer

    peers = []

    def start(answer, delay=0.0):
        peers.append(StubPeer(answer, delay))
        return peers[-1]

    yield start
    for peer in peers:
        peer.close()
