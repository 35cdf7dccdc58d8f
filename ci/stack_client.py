"""A client of the local stack shared by the load scripts (ci/bench.py, ci/chaos.py) and tests/pods.

What both do the same way: read the run dir's generated secrets, make a fresh album with its own
stock, place an order through the gateway, and sign in once as the stack's admin to observe.
Traffic goes to loopback only.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import requests

GATEWAY = "http://localhost:8080"
# Stock writes are not routable through the gateway (issue 8): they go to inventory's own port.
INVENTORY = "http://127.0.0.1:5002"


def read_secrets() -> dict[str, str]:
    """The local stack's generated secrets (ci/stack/secrets): admin login, database superuser, Kafka admin."""
    lines = Path(os.environ["RUN_DIR"], "secrets.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def staff_auth(secrets: dict[str, str]) -> tuple[str, str]:
    """Basic auth of the stack's admin, for the few staff-only writes a script makes."""
    return secrets["DJANGO_SUPERUSER_USERNAME"], secrets["DJANGO_SUPERUSER_PASSWORD"]


def new_album(
    session: requests.Session,
    staff: tuple[str, str],
    units: int,
    prefix: str = "BENCH",
    gateway: str = GATEWAY,
    inventory: str = INVENTORY,
) -> str:
    """A fresh SKU in catalog with ``units`` on hand in inventory, so the caller owns its stock
    (``gateway`` and ``inventory``: another deployment's addresses, e.g. the pods of tests/pods)."""
    sku = f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
    album = {
        "sku": sku,
        "title": prefix.title(),
        "artist": prefix.title(),
        "genre": prefix.lower(),
        "release_year": 2024,
        "price": "9.99",
        "currency": "EUR",
    }
    session.post(f"{gateway}/api/catalog/albums", json=album, auth=staff, timeout=10).raise_for_status()
    session.put(f"{inventory}/stock/{sku}", json={"on_hand": units}, auth=staff, timeout=10).raise_for_status()
    return sku


TOKEN_VISA = "tok_visa"  # noqa: S105 -- the contract's test token, not a secret


def place_order(
    session: requests.Session,
    sku: str,
    email: str,
    token: str = TOKEN_VISA,
    quantity: int = 1,
    timeout: float = 30,
    route: str = "/api/orders",
    gateway: str = GATEWAY,
    idempotency_key: str | None = None,
    correlation_id: str | None = None,
) -> tuple[int | None, str | None, str | None]:
    """POST one order through the gateway (``route``: /api/order-go for order-go beside the Django
    service; ``gateway``: another deployment's, e.g. the pods' NodePort): (HTTP status or None,
    order id when 201, error kind or None). ``idempotency_key`` and ``correlation_id`` are sent as
    the Idempotency-Key and X-Correlation-ID headers: a retry with the same key places no second order."""
    body = {"customer_email": email, "items": [{"sku": sku, "quantity": quantity}], "payment_token": token}
    headers = {}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if correlation_id is not None:
        headers["X-Correlation-ID"] = correlation_id
    try:
        response = session.post(f"{gateway}{route}/orders", json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return None, None, type(exc).__name__
    if response.status_code != 201:
        return response.status_code, None, f"HTTP {response.status_code}"
    return 201, response.json()["id"], None


# A Django session of the stack's admin in the order database, made by the Django order project
# (what its admin login stores): with ORDER_IMPL=go no Django order web runs to log in through,
# and order-go reads the same django_session rows (services/order-go/internal/api/session.go).
_MINT_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
import os
user = get_user_model().objects.get(username=os.environ["DJANGO_SUPERUSER_USERNAME"])
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def _minted_session() -> str:
    """The key of a new admin session in the order database (manage.py shell of services/order)."""
    root = Path(os.environ["ROOT"])
    env_lines = subprocess.run(
        [str(root / "ci/stack/services"), "env", "order"], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    env = {**os.environ, **dict(line.split("=", 1) for line in env_lines if "=" in line)}
    proc = subprocess.run(
        [f"{os.environ['VENV']}/bin/python", "manage.py", "shell", "-c", _MINT_SESSION],
        cwd=root / "services/order",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"could not make an admin session in the order database: {proc.stderr[-1500:]}")
    return proc.stdout.split()[-1]


def staff_session() -> requests.Session:
    """A session signed in once through the order admin's login form as the stack's admin
    (ORDER_IMPL=go: a session made by the Django order project, the admin's own kind).

    Once, not basic auth on every poll: each basic-auth request hashes the password (PBKDF2,
    about a second of a core), which would make a load script measure its own observation.
    """
    secrets = read_secrets()
    session = requests.Session()
    if os.environ.get("ORDER_IMPL") == "go":
        session.cookies.set("order_sessionid", _minted_session())
        return session
    login = f"{GATEWAY}/api/orders/admin/login/"
    session.get(login, timeout=30)
    form = {
        "username": secrets["DJANGO_SUPERUSER_USERNAME"],
        "password": secrets["DJANGO_SUPERUSER_PASSWORD"],
        "csrfmiddlewaretoken": session.cookies.get("order_csrftoken", ""),
        "next": "/api/orders/admin/",
    }
    session.post(login, data=form, headers={"Referer": login}, timeout=30)
    if "order_sessionid" not in session.cookies:
        raise SystemExit("could not sign in to the order admin as the stack's admin")
    return session
