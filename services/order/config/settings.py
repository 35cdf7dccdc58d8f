"""Settings of the order service: the shared base (read from the environment), order's app and its peers."""

from musiccorp_common.env import env_float, env_int, env_str
from musiccorp_common.settings import *  # noqa: F403 -- the shared base is the point of this module
from musiccorp_common.settings import INSTALLED_APPS, service_identity

globals().update(service_identity("order"))

LOCAL_APPS = ["orders"]
INSTALLED_APPS = INSTALLED_APPS + LOCAL_APPS

# The peers order calls while placing an order (orders/clients.py): catalog for prices,
# inventory for reservations. Base URLs without a trailing slash; the local stack and the
# chart set them to each service's address.
CATALOG_URL = env_str("CATALOG_URL", default="http://127.0.0.1:5001").rstrip("/")
INVENTORY_URL = env_str("INVENTORY_URL", default="http://127.0.0.1:5002").rstrip("/")

# Placing an order (orders/services.py): the total time its calls to catalog and inventory may
# take, retries included, and the separate budget of the releases after a failure. Their sum
# (plus a few database round trips) must stay below gunicorn's worker timeout (GUNICORN_TIMEOUT,
# 30 s), or a slow peer gets the worker killed mid-placement.
ORDER_PEER_BUDGET_SECONDS = env_float("ORDER_PEER_BUDGET_SECONDS", 10.0)
ORDER_RELEASE_BUDGET_SECONDS = env_float("ORDER_RELEASE_BUDGET_SECONDS", 5.0)

# `manage.py expire_orders` cancels PENDING orders without a payment outcome after this long
# (reason payment_timeout). Generous: a payment normally takes seconds, but a backlog after an
# outage can take minutes, and a charge made after the cancel needs a refund (docs/events.md).
ORDER_PAYMENT_TIMEOUT_SECONDS = env_int("ORDER_PAYMENT_TIMEOUT_SECONDS", 900)
# musiccorp_orders_stuck counts orders PENDING or PAID for longer than these (the
# MusicCorpOrdersStuck alert, docs/runbooks/stuck-orders.md).
ORDER_PENDING_DEADLINE_SECONDS = env_int("ORDER_PENDING_DEADLINE_SECONDS", 600)
ORDER_PAID_DEADLINE_SECONDS = env_int("ORDER_PAID_DEADLINE_SECONDS", 1800)
