"""Test settings: the product's settings, with what only a test run needs changed."""

import os

from ltxdash.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    # No collectstatic before tests: plain storage resolves {% static %} from the source tree.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# Tests never share a queue with a real cluster running on the same Redis or database.
Q_CLUSTER = {**Q_CLUSTER, "name": "ltxdash-tests"}  # noqa: F405

# Under pytest-xdist (`make test` runs the suite in several processes) each worker has its own
# test database (pytest-django adds the suffix), and here its own broker queue and cache keys.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER:
    Q_CLUSTER["name"] = f"ltxdash-tests-{_WORKER}"
    CACHES = {name: {**cache, "KEY_PREFIX": _WORKER} for name, cache in CACHES.items()}  # noqa: F405
