"""The gateway's route table, read from its one home: `gateway.routes` in charts/umbrella/values.yaml.

The nginx generator, the stack scripts and the tests all read the routes through this module, and
the chart renders its Ingress from the same list. Run as a script, `routes.py services` prints
"<service> <port>" and `routes.py prefixes` "<service> <prefix>" per route for the shell scripts.
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


@dataclass(frozen=True)
class Route:
    """One external prefix, forwarded to one service's port."""

    prefix: str
    service: str
    port: int
    admin: bool = False


def _parse_route(index: int, raw: object) -> Route:
    if not isinstance(raw, dict):
        raise RouteTableError(f"gateway.routes[{index}] must be a mapping, got {raw!r}")
    missing = {"prefix", "service", "port"} - raw.keys()
    if missing:
        raise RouteTableError(f"gateway.routes[{index}] lacks {', '.join(sorted(missing))}")
    prefix = str(raw["prefix"]).rstrip("/")
    if not prefix.startswith("/") or any(c in prefix for c in " {};$()|?*+\\"):
        raise RouteTableError(f"gateway.routes[{index}].prefix {raw['prefix']!r} is not a plain path")
    return Route(prefix=prefix, service=str(raw["service"]), port=int(raw["port"]), admin=bool(raw.get("admin", False)))


def load_routes(values_file: Path = VALUES_FILE) -> list[Route]:
    """Return the routes of `gateway.routes`, validated."""
    try:
        values = yaml.safe_load(values_file.read_text()) or {}
    except OSError as exc:
        raise RouteTableError(f"cannot read {values_file}: {exc}") from exc
    raw_routes = (values.get("gateway") or {}).get("routes")
    if not isinstance(raw_routes, list) or not raw_routes:
        raise RouteTableError(f"{values_file}: gateway.routes must be a non-empty list")
    routes = [_parse_route(i, raw) for i, raw in enumerate(raw_routes)]
    for attr in ("prefix", "service"):
        seen = [getattr(r, attr) for r in routes]
        dupes = sorted({v for v in seen if seen.count(v) > 1})
        if dupes:
            raise RouteTableError(f"{values_file}: duplicate {attr} in gateway.routes: {dupes}")
    return routes


def main(argv: list[str]) -> int:
    """`services` prints "service port" lines; `prefixes` prints "service prefix" lines."""
    columns = {"services": "port", "prefixes": "prefix"}
    if len(argv) != 2 or argv[1] not in columns:
        print("usage: routes.py services|prefixes", file=sys.stderr)
        return 2
    for route in load_routes():
        print(route.service, getattr(route, columns[argv[1]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
