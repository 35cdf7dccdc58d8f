"""Settings of the inventory service: the shared base (read from the environment) plus inventory's app."""

from musiccorp_common.env import env_int, env_str
from musiccorp_common.settings import *  # noqa: F403 -- the shared base is the point of this module
from musiccorp_common.settings import INSTALLED_APPS, service_identity

globals().update(service_identity("inventory"))

LOCAL_APPS = ["inventory"]
INSTALLED_APPS = INSTALLED_APPS + LOCAL_APPS

# How long a reservation may stay unconfirmed (no order.placed for its order seen yet) before
# `manage.py release_expired_reservations` releases it: order never committed that order (a
# worker killed while placing it). Well above a placement's time and the consumer's usual lag.
RESERVATION_TTL_SECONDS = env_int("RESERVATION_TTL_SECONDS", 300)
# The sweeper asks order whether an unconfirmed reservation's order exists before releasing it.
ORDER_URL = env_str("ORDER_URL", default="http://127.0.0.1:5003").rstrip("/")
