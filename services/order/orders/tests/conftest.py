"""Fixtures of order's tests: the peers stubbed at the client boundary."""

import pytest

from orders import clients
from orders.tests.fakes import FakeCatalog, FakeInventory


@pytest.fixture
def catalog(monkeypatch):
    fake = FakeCatalog()
    monkeypatch.setattr(clients, "catalog_client", lambda: fake)
    return fake


@pytest.fixture
def inventory(monkeypatch):
    fake = FakeInventory()
    monkeypatch.setattr(clients, "inventory_client", lambda: fake)
    return fake


@pytest.fixture
def peers(catalog, inventory):
    return catalog, inventory
