"""The load test's deployment: the product's own settings, with static files served by
whitenoise straight from the source tree (no collectstatic into the checkout)."""

from ltxdash.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
