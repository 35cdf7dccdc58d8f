"""Fixtures of the images smoke suite: the running containers of ci/images/smoke.

These tests check images that ci/images/smoke has started (it exports MUSICCORP_SMOKE_URLS,
"name=url" pairs, and MUSICCORP_SMOKE_PREFIX, the containers' name prefix). Outside that run
there is nothing to test, so the files are not collected at all: run `make images-smoke`.
"""

from __future__ import annotations

import os
import subprocess

import pytest

SAGA_SERVICES = {"catalog", "inventory", "payment", "shipping"}
# The order service: the Django image ("order") and/or order-go's (ORDER_IMPL=go|both, ci/images/smoke).
ORDER_SERVICES = ("order", "order-go")

if not os.environ.get("MUSICCORP_SMOKE_URLS"):
    collect_ignore_glob = ["test_*.py"]


def _urls() -> dict[str, str]:
    pairs = (item.split("=", 1) for item in os.environ.get("MUSICCORP_SMOKE_URLS", "").split())
    return dict(pairs)


def web_services() -> list[str]:
    return sorted(name for name in _urls() if not name.endswith("-consumer"))


def django_web_services() -> list[str]:
    """The web containers of the Django images (order-go's is a static binary FROM scratch)."""
    return [name for name in web_services() if name != "order-go"]


def order_services() -> list[str]:
    """The order services that run: each one places the saga's orders."""
    return [name for name in ORDER_SERVICES if name in _urls()]


def consumers() -> list[str]:
    return sorted(name for name in _urls() if name.endswith("-consumer"))


@pytest.fixture(scope="session")
def urls() -> dict[str, str]:
    return _urls()


@pytest.fixture(scope="session")
def container_name():
    prefix = os.environ.get("MUSICCORP_SMOKE_PREFIX", "musiccorp-smoke")
    return lambda component: f"{prefix}-{component}"


def podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=60, check=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "saga: needs the images of all five services")


def pytest_report_header(config):
    return f"images smoke: {' '.join(web_services())}; consumers: {' '.join(consumers())}"


def pytest_collection_modifyitems(config, items):
    """The saga needs all five services; with fewer images it is left out, and the header says so."""
    missing = SAGA_SERVICES - set(web_services()) | (set() if order_services() else {"order"})
    if not missing:
        return
    kept = [item for item in items if item.get_closest_marker("saga") is None]
    config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("saga")])
    items[:] = kept
    print(f"\nsaga tests left out: no image for {', '.join(sorted(missing))}")
