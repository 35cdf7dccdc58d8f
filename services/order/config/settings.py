"""Settings of the order service: the shared base (read from the environment), order's app and its peers."""

from musiccorp_common.env import env_str
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
