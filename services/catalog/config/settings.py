"""Settings of the catalog service: the shared base (read from the environment) plus catalog's app."""

from musiccorp_common.settings import *  # noqa: F403 -- the shared base is the point of this module
from musiccorp_common.settings import INSTALLED_APPS, service_identity

globals().update(service_identity("catalog"))

LOCAL_APPS = ["catalog"]
INSTALLED_APPS = INSTALLED_APPS + LOCAL_APPS
