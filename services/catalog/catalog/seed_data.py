"""The albums ``manage.py seed`` loads: SKUs CD001... (inventory seeds stock for the same SKUs)."""

from decimal import Decimal

ALBUMS = [
    ("CD001", "Kind of Blue", "Miles Davis", "jazz", 1959, "14.99"),
    ("CD002", "Abbey Road", "The Beatles", "rock", 1969, "17.99"),
    ("CD003", "Rumours", "Fleetwood Mac", "rock", 1977, "15.99"),
    ("CD004", "Blue Train", "John Coltrane", "jazz", 1957, "13.99"),
    ("CD005", "The Dark Side of the Moon", "Pink Floyd", "rock", 1973, "18.99"),
    ("CD006", "Thriller", "Michael Jackson", "pop", 1982, "16.99"),
    ("CD007", "Blue", "Joni Mitchell", "folk", 1971, "14.49"),
    ("CD008", "What's Going On", "Marvin Gaye", "soul", 1971, "15.49"),
    ("CD009", "Goldberg Variations (1981)", "Glenn Gould", "classical", 1982, "19.99"),
    ("CD010", "Homogenic", "Bjork", "electronic", 1997, "16.49"),
    ("CD011", "OK Computer", "Radiohead", "rock", 1997, "17.49"),
    ("CD012", "A Love Supreme", "John Coltrane", "jazz", 1965, "15.99"),
    ("CD013", "Songs in the Key of Life", "Stevie Wonder", "soul", 1976, "21.99"),
    ("CD014", "Selected Ambient Works 85-92", "Aphex Twin", "electronic", 1992, "18.49"),
    ("CD015", "Pet Sounds", "The Beach Boys", "pop", 1966, "16.99"),
]


def album_rows():
    for sku, title, artist, genre, year, price in ALBUMS:
        yield {
            "sku": sku,
            "title": title,
            "artist": artist,
            "genre": genre,
            "release_year": year,
            "price": Decimal(price),
            "currency": "EUR",
        }
