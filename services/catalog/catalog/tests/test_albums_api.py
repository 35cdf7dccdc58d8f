"""The album API as a client sees it (contract: catalog)."""

import pytest

from catalog.tests.factories import AlbumFactory

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"sku", "title", "artist", "genre", "release_year", "price", "currency"}


def test_album_detail_has_the_contract_fields(api_client):
    AlbumFactory(sku="CD100", title="Blue Train", artist="John Coltrane", genre="jazz", release_year=1957, price="13.99")
    response = api_client.get("/albums/CD100")
    assert response.status_code == 200
    assert response.json() == {
        "sku": "CD100",
        "title": "Blue Train",
        "artist": "John Coltrane",
        "genre": "jazz",
        "release_year": 1957,
        "price": "13.99",
        "currency": "EUR",
    }


def test_unknown_sku_is_404_json(api_client):
    response = api_client.get("/albums/NOPE1")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_list_is_paginated(api_client):
    AlbumFactory.create_batch(25)
    first = api_client.get("/albums").json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert set(first["results"][0]) == CONTRACT_FIELDS
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert api_client.get("/albums", {"page_size": 5}).json()["results"].__len__() == 5


def test_page_past_the_end_is_404_not_500(api_client):
    AlbumFactory()
    assert api_client.get("/albums", {"page": 99}).status_code == 404
    assert api_client.get("/albums", {"page": "abc"}).status_code == 404


def test_search_matches_title_or_artist(api_client):
    AlbumFactory(title="Kind of Blue", artist="Miles Davis")
    AlbumFactory(title="Blue", artist="Joni Mitchell")
    AlbumFactory(title="Abbey Road", artist="The Beatles")
    by_title = {a["title"] for a in api_client.get("/albums", {"search": "blue"}).json()["results"]}
    assert by_title == {"Kind of Blue", "Blue"}
    by_artist = [a["title"] for a in api_client.get("/albums", {"search": "beatles"}).json()["results"]]
    assert by_artist == ["Abbey Road"]


def test_genre_filter(api_client):
    AlbumFactory(genre="jazz")
    AlbumFactory(genre="jazz")
    AlbumFactory(genre="rock")
    results = api_client.get("/albums", {"genre": "Jazz"}).json()["results"]
    assert len(results) == 2
    assert {a["genre"] for a in results} == {"jazz"}


def test_trailing_slash_is_accepted(api_client):
    AlbumFactory(sku="CD200")
    assert api_client.get("/albums/").status_code == 200
    assert api_client.get("/albums/CD200/").status_code == 200


NEW_ALBUM = {
    "sku": "CD900",
    "title": "New",
    "artist": "Someone",
    "genre": "pop",
    "release_year": 2020,
    "price": "12.50",
    "currency": "EUR",
}


def test_anonymous_cannot_write(api_client):
    response = api_client.post("/albums", NEW_ALBUM, format="json")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_non_staff_cannot_write(customer_client):
    response = customer_client.post("/albums", NEW_ALBUM, format="json")
    assert response.status_code == 403


def test_staff_can_create_update_and_delete(staff_client, api_client):
    assert staff_client.post("/albums", NEW_ALBUM, format="json").status_code == 201
    assert api_client.get("/albums/CD900").json()["title"] == "New"
    assert staff_client.patch("/albums/CD900", {"price": "10.00"}, format="json").json()["price"] == "10.00"
    assert staff_client.delete("/albums/CD900").status_code == 204
    assert api_client.get("/albums/CD900").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "12345678901234"}, "price"),
        ({"price": "abc"}, "price"),
        ({"sku": "lower case"}, "sku"),
        ({"release_year": 1800}, "release_year"),
        ({"release_year": "soon"}, "release_year"),
        ({"currency": "euro"}, "currency"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_album_is_400_with_the_field_named(staff_client, change, field):
    response = staff_client.post("/albums", {**NEW_ALBUM, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_sku_is_400(staff_client):
    AlbumFactory(sku="CD900")
    response = staff_client.post("/albums", NEW_ALBUM, format="json")
    assert response.status_code == 400
    assert "sku" in response.json()


def test_malformed_json_is_400(staff_client):
    response = staff_client.post("/albums", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_albums_are_looked_up_by_several_skus_at_once(api_client):
    """The order service's batch price lookup: one request for every line of an order."""
    AlbumFactory(sku="CD101", price="9.99")
    AlbumFactory(sku="CD102", price="12.50")
    AlbumFactory(sku="CD103")
    response = api_client.get("/albums?sku=CD102&sku=CD101&sku=NOPE9&page_size=3")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {(a["sku"], a["price"]) for a in body["results"]} == {("CD101", "9.99"), ("CD102", "12.50")}
    assert set(body["results"][0]) == CONTRACT_FIELDS


def test_a_sku_lookup_of_nothing_known_is_an_empty_page(api_client):
    AlbumFactory(sku="CD101")
    assert api_client.get("/albums", {"sku": "NOPE9"}).json()["results"] == []


def test_too_many_skus_in_one_lookup_is_400(api_client):
    response = api_client.get("/albums", {"sku": [f"CD{i:03}" for i in range(101)]})
    assert response.status_code == 400
    assert "sku" in response.json()
