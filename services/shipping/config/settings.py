"""Settings of the shipping service: the shared base (read from the environment) plus shipping's app."""

from musiccorp_common.settings import *  # noqa: F403 -- the shared base is the point of this module
from musiccorp_common.settings import INSTALLED_APPS, service_identity

globals().update(service_identity("shipping"))

LOCAL_APPS = ["shipments"]
INSTALLED_APPS = INSTALLED_APPS + LOCAL_APPS
