"""Reading and setting stock levels (contract: inventory)."""

import pytest

from inventory.models import Stock
from inventory.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_stock_detail_has_the_contract_fields(api_client):
    StockFactory(sku="CD100", on_hand=12, reserved=5)
    response = api_client.get("/stock/CD100")
    assert response.status_code == 200
    assert response.json() == {"sku": "CD100", "on_hand": 12, "reserved": 5, "available": 7}


def test_unknown_sku_is_404_json(api_client):
    response = api_client.get("/stock/NOPE1")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_list_is_paginated(api_client):
    StockFactory.create_batch(25)
    first = api_client.get("/stock").json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert set(first["results"][0]) == {"sku", "on_hand", "reserved", "available"}
    assert len(api_client.get(first["next"]).json()["results"]) == 5


def test_trailing_slash_is_accepted(api_client):
    StockFactory(sku="CD200")
    assert api_client.get("/stock/").status_code == 200
    assert api_client.get("/stock/CD200/").status_code == 200


def test_anonymous_and_customers_cannot_set_stock(api_client, customer_client):
    StockFactory(sku="CD300", on_hand=1)
    assert api_client.put("/stock/CD300", {"on_hand": 50}, format="json").status_code in (401, 403)
    assert customer_client.patch("/stock/CD300", {"on_hand": 50}, format="json").status_code == 403
    assert Stock.objects.get(sku="CD300").on_hand == 1


def test_staff_put_creates_missing_stock(staff_client):
    response = staff_client.put("/stock/CD400", {"on_hand": 30}, format="json")
    assert response.status_code == 201
    assert response.json() == {"sku": "CD400", "on_hand": 30, "reserved": 0, "available": 30}


def test_staff_put_and_patch_set_existing_stock(staff_client):
    StockFactory(sku="CD401", on_hand=3, reserved=2)
    assert staff_client.put("/stock/CD401", {"on_hand": 9}, format="json").json() == {
        "sku": "CD401",
        "on_hand": 9,
        "reserved": 2,
        "available": 7,
    }
    response = staff_client.patch("/stock/CD401", {"on_hand": 4}, format="json")
    assert response.status_code == 200
    assert response.json()["available"] == 2


def test_patch_of_unknown_sku_is_404(staff_client):
    assert staff_client.patch("/stock/CD499", {"on_hand": 4}, format="json").status_code == 404
    assert not Stock.objects.filter(sku="CD499").exists()


def test_on_hand_below_reserved_is_400(staff_client):
    StockFactory(sku="CD402", on_hand=10, reserved=6)
    response = staff_client.put("/stock/CD402", {"on_hand": 5}, format="json")
    assert response.status_code == 400
    assert "on_hand" in response.json()
    assert Stock.objects.get(sku="CD402").on_hand == 10


@pytest.mark.parametrize("body", [{"on_hand": -1}, {"on_hand": "many"}, {"on_hand": 10**12}, {"on_hand": None}, {}, [1, 2]])
def test_invalid_stock_level_is_400(staff_client, body):
    StockFactory(sku="CD403", on_hand=1)
    response = staff_client.put("/stock/CD403", body, format="json")
    assert response.status_code == 400
    assert Stock.objects.get(sku="CD403").on_hand == 1


def test_put_with_a_malformed_sku_is_400(staff_client):
    response = staff_client.put("/stock/lower-case", {"on_hand": 1}, format="json")
    assert response.status_code == 400
    assert "sku" in response.json()


def test_malformed_json_is_400(staff_client):
    StockFactory(sku="CD404")
    response = staff_client.put("/stock/CD404", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
