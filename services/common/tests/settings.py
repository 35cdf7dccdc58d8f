"""A minimal Django project for testing musiccorp_common itself (the event library needs models)."""

from musiccorp_common.settings import *  # noqa: F403 -- the shared base under test
from musiccorp_common.settings import INSTALLED_APPS, service_identity

# The envelope's producer must be a real service name; "order" is one.
globals().update(service_identity("order"))
INSTALLED_APPS = [*INSTALLED_APPS, "tests.effects"]
ROOT_URLCONF = "tests.urls"
