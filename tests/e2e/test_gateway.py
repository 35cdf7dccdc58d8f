"""End to end through the gateway (contract: "Gateway", catalog's HTTP API, "Every service").

Needs the whole local stack: the `stack` fixture runs ci/stack/up's steps when a component is not
running. Talks to http://localhost:8080 and to catalog's own port 127.0.0.1:5001 only.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import requests

CATALOG_DIRECT = "http://127.0.0.1:5001"
ALBUM_FIELDS = {"sku", "title", "artist", "genre", "release_year", "price", "currency"}

pytestmark = pytest.mark.e2e


def _get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=10, allow_redirects=False, **kwargs)


def test_gateway_health(stack):
    response = _get(f"{stack}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_album_list_is_a_paginated_json_list(stack):
    response = _get(f"{stack}/api/catalog/albums")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"count", "next", "previous", "results"} <= body.keys()
    assert body["count"] >= 12, "the seed loads at least 12 albums"
    assert isinstance(body["results"], list)
    assert body["results"]
    assert body["results"][0].keys() >= ALBUM_FIELDS


def test_query_string_reaches_the_service(stack):
    everything = _get(f"{stack}/api/catalog/albums").json()["count"]
    one_page = _get(f"{stack}/api/catalog/albums", params={"page_size": 1}).json()
    assert one_page["count"] == everything
    assert len(one_page["results"]) == 1


def test_album_detail_has_the_contract_fields(stack):
    response = _get(f"{stack}/api/catalog/albums/CD001")
    assert response.status_code == 200, response.text
    album = response.json()
    assert album.keys() >= ALBUM_FIELDS
    assert album["sku"] == "CD001"
    assert isinstance(album["price"], str)
    assert Decimal(album["price"]) > 0


def test_unknown_album_is_a_json_404(stack):
    response = _get(f"{stack}/api/catalog/albums/NOPE999")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/catalog/metrics",
        "/api/catalog/metrics/",
        "/api/catalog/admin/",
        "/api/catalog/admin/login/",
        "/api/catalog//metrics",
        "/api/catalog/%6Detrics",
    ],
)
def test_metrics_and_admin_are_not_reachable_through_the_gateway(stack, path):
    response = _get(f"{stack}{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}, "the gateway's own 404, not the service's"


def test_metrics_are_served_on_the_service_port(stack):
    response = _get(f"{CATALOG_DIRECT}/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE" in response.text
    assert "django_http_requests" in response.text


def test_correlation_id_is_echoed_through_the_gateway(stack):
    correlation_id = f"e2e-{uuid.uuid4()}"
    response = _get(f"{stack}/api/catalog/albums/CD001", headers={"X-Correlation-ID": correlation_id})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == correlation_id


def test_correlation_id_is_generated_when_absent(stack):
    first = _get(f"{stack}/api/catalog/albums/CD001").headers.get("X-Correlation-ID")
    second = _get(f"{stack}/api/catalog/albums/CD001").headers.get("X-Correlation-ID")
    assert first
    assert second
    assert first != second
    # The gateway makes it (nginx's $request_id: 32 hex digits), passes it on, the service echoes it.
    assert re.fullmatch(r"[0-9a-f]{32}", first), first


def test_forwarded_headers_reach_the_service(stack):
    """Host and X-Forwarded-Prefix arrive: the service builds its links for the gateway's URL."""
    body = _get(f"{stack}/api/catalog/albums", params={"page_size": 1}).json()
    assert body["next"].startswith(f"{stack}/api/catalog/albums?"), body["next"]


def test_unknown_paths_are_json_404(stack):
    for path in ("/api/nope", "/api/nope/albums", "/", "/api/catalogue/albums"):
        response = _get(f"{stack}{path}")
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert response.json() == {"detail": "Not found."}, path
        assert response.headers.get("X-Correlation-ID"), path
