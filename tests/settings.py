"""Test settings: the product's settings, with what only a test run needs changed."""

from ltxdash.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    # No collectstatic before tests: plain storage resolves {% static %} from the source tree.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# Tests never share a queue with a real cluster running on the same Redis or database.
Q_CLUSTER = {**Q_CLUSTER, "name": "ltxdash-tests"}  # noqa: F405
