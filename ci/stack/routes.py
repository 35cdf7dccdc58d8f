"""The gateway's route table, read from its one home: `gateway.routes` in charts/umbrella/values.yaml.

The nginx generator, the stack scripts and the tests all read the routes through this module, and
the chart renders its Ingresses, HTTPRoutes and the bundled profile's nginx.conf from the same list
(tests/charts/test_bundled_gateway.py compares that nginx.conf with this module's table). Run as a
script, `routes.py services` prints "<service> <port>" and `routes.py prefixes` "<service> <prefix>"
per route for the shell scripts.

Besides where a prefix goes, a route says what is exposed (issue 8): `methods` (the HTTP methods
the gateway lets through, all when absent) and `limits` (per-client rate limits on one service
path, optionally one method). `gateway.bodySizeLimit` caps every request body.

A route may lead to a second implementation of a service rather than a service (issue 13:
/api/order-go -> order-go, the Go order service): `implements` names the service and
`implementation` the entry of that service's `implementations` value that enables it. Such a
route has no database, credential or Django project of its own, so `routes.py services|prefixes`
(the stack scripts' lists) leave it out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES_FILE = ROOT / "charts" / "umbrella" / "values.yaml"


class RouteTableError(ValueError):
    """The route table in values.yaml is missing or malformed."""


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
BODY_SIZE_LIMIT = "1m"


@dataclass(frozen=True)
class RateLimit:
    """At most `rpm` requests a minute (plus a burst of `burst`) per client to one service path."""

    name: str
    path: str
    rpm: int
    burst: int
    method: str | None = None


@dataclass(frozen=True)
class Route:
    """One external prefix, forwarded to one service's port."""

    prefix: str
    service: str
    port: int
    admin: bool = False
    methods: tuple[str, ...] = ()
    limits: tuple[RateLimit, ...] = ()
    implements: str | None = None
    implementation: str | None = None

    @property
    def read_only(self) -> bool:
        """True when the route lets only some methods through (e.g. inventory: GET and HEAD)."""
        return bool(self.methods)


def _parse_methods(where: str, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or any(m not in HTTP_METHODS for m in raw):
        raise RouteTableError(f"{where}.methods must be a non-empty list of {', '.join(HTTP_METHODS)}")
    return tuple(raw)


def _parse_limit(where: str, raw: object) -> RateLimit:
    if not isinstance(raw, dict) or not {"name", "path", "rpm"} <= raw.keys():
        raise RouteTableError(f"{where} must be a mapping with name, path and rpm")
    name, path = str(raw["name"]), str(raw["path"])
    if not name.isidentifier() or not path.startswith("/") or any(c in path for c in " {};$()|?*+\\"):
        raise RouteTableError(f"{where}: name must be an identifier and path a plain service path")
    method = raw.get("method")
    if method is not None and method not in HTTP_METHODS:
        raise RouteTableError(f"{where}.method {method!r} is not one of {', '.join(HTTP_METHODS)}")
    rpm, burst = int(raw["rpm"]), int(raw.get("burst", 0))
    if rpm < 1 or burst < 0:
        raise RouteTableError(f"{where}: rpm must be >= 1 and burst >= 0")
    return RateLimit(name=name, path=path, rpm=rpm, burst=burst, method=method)


def _parse_route(index: int, raw: object) -> Route:
    if not isinstance(raw, dict):
        raise RouteTableError(f"gateway.routes[{index}] must be a mapping, got {raw!r}")
    missing = {"prefix", "service", "port"} - raw.keys()
    if missing:
        raise RouteTableError(f"gateway.routes[{index}] lacks {', '.join(sorted(missing))}")
    prefix = str(raw["prefix"]).rstrip("/")
    if not prefix.startswith("/") or any(c in prefix for c in " {};$()|?*+\\"):
        raise RouteTableError(f"gateway.routes[{index}].prefix {raw['prefix']!r} is not a plain path")
    where = f"gateway.routes[{index}]"
    implements, implementation = raw.get("implements"), raw.get("implementation")
    if (implements is None) != (implementation is None):
        raise RouteTableError(f"{where}: implements and implementation go together")
    return Route(
        prefix=prefix,
        service=str(raw["service"]),
        port=int(raw["port"]),
        admin=bool(raw.get("admin", False)),
        methods=_parse_methods(where, raw.get("methods")),
        limits=tuple(_parse_limit(f"{where}.limits[{i}]", lim) for i, lim in enumerate(raw.get("limits") or [])),
        implements=None if implements is None else str(implements),
        implementation=None if implementation is None else str(implementation),
    )


def _load_values(values_file: Path) -> dict:
    try:
        return yaml.safe_load(values_file.read_text()) or {}
    except OSError as exc:
        raise RouteTableError(f"cannot read {values_file}: {exc}") from exc


def load_body_size_limit(values_file: Path = VALUES_FILE) -> str:
    """`gateway.bodySizeLimit` in nginx size syntax (e.g. 1m), the cap of every request body."""
    size = str((_load_values(values_file).get("gateway") or {}).get("bodySizeLimit", BODY_SIZE_LIMIT))
    if not size[:-1].isdigit() and not size.isdigit():
        raise RouteTableError(f"{values_file}: gateway.bodySizeLimit {size!r} is not like 512k or 1m")
    return size


def load_routes(values_file: Path = VALUES_FILE) -> list[Route]:
    """Return the routes of `gateway.routes`, validated."""
    values = _load_values(values_file)
    raw_routes = (values.get("gateway") or {}).get("routes")
    if not isinstance(raw_routes, list) or not raw_routes:
        raise RouteTableError(f"{values_file}: gateway.routes must be a non-empty list")
    routes = [_parse_route(i, raw) for i, raw in enumerate(raw_routes)]
    for attr in ("prefix", "service"):
        seen = [getattr(r, attr) for r in routes]
        dupes = sorted({v for v in seen if seen.count(v) > 1})
        if dupes:
            raise RouteTableError(f"{values_file}: duplicate {attr} in gateway.routes: {dupes}")
    names = [lim.name for r in routes for lim in r.limits]
    if len(names) != len(set(names)):
        raise RouteTableError(f"{values_file}: limit names in gateway.routes must be unique: {names}")
    return routes


def main(argv: list[str]) -> int:
    """`services` prints "service port" lines; `prefixes` prints "service prefix" lines."""
    columns = {"services": "port", "prefixes": "prefix"}
    if len(argv) != 2 or argv[1] not in columns:
        print("usage: routes.py services|prefixes", file=sys.stderr)
        return 2
    for route in load_routes():
        if route.implements:
            continue
        print(route.service, getattr(route, columns[argv[1]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
