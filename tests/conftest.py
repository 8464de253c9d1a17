from __future__ import annotations

import threading

import pytest

from tests.factories import make_user
from tests.support.pipeline import drain_broker
from tests.support.s3server import s3_everywhere

pytest_plugins = ["tests.fixtures.simulator", "tests.fixtures.s3"]

# Tests that must not run beside others of their kind when `make test` spreads the suite over
# several processes (pytest-xdist, `--dist loadgroup`): the browser tests share one Chromium's
# worth of CPU and take turns, and the tests that start qcluster or `serve` processes use a
# database and Redis dbs of fixed names (tests/e2e/clusters.py, tests/core/test_serve.py).
_TAKE_TURNS = {"browser": "browser", "e2e": "processes"}


def pytest_collection_modifyitems(items):
    for item in items:
        group = next((g for mark, g in _TAKE_TURNS.items() if item.get_closest_marker(mark)), None)
        if group is None and item.path.name == "test_serve.py":
            group = "processes"
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _media_in_tmp(request, settings, tmp_path):
    """Every test writes media (and temp files) into its own folder, never into ./data; with
    LTXDASH_TEST_S3=1 (CI's scale-out pass), into a bucket of its own on the suite's S3 server
    instead, unless it is marked ``local_media``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LTXDASH_TMP_DIR = tmp_path / "tmp"
    # ... and never reads the status file of a `make run` going on in the same checkout.
    settings.LTXDASH_SERVE_STATUS_FILE = tmp_path / "serve-status.json"
    if s3_everywhere() and not request.node.get_closest_marker("local_media"):
        request.getfixturevalue("s3_media")


@pytest.fixture(autouse=True)
def _live_server_requests_take_turns(request):
    """On SQLite's in-memory test database, the live server serves one request at a time
    (tests.support.browser.serialized says why); PostgreSQL serves them as production does."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from django.db import connection

    from tests.support.browser import serialized

    live = request.getfixturevalue("live_server")
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield
        return
    httpd = live.thread.httpd
    app = httpd.get_app()
    httpd.set_app(serialized(app, threading.RLock()))
    yield
    httpd.set_app(app)


@pytest.fixture
def owner(db):
    return make_user("alice")


@pytest.fixture
def teammate(db):
    return make_user("bob")


@pytest.fixture
def stranger(db):
    return make_user("mallory")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(client, stranger):
    client.force_login(stranger)
    return client


@pytest.fixture
def pipeline_settings(settings, ltx_simulator):  # the pipeline's tests, and the workspaces' keys
    """The pipeline talks to the in-process simulator, polls fast, and has an empty broker."""
    settings.LTX_API_BASE_URL = ltx_simulator.url
    settings.LTX_API_KEY = "sk-test-key"
    settings.LTX_POLL_INTERVAL = 0.1
    settings.LTX_MAX_CONCURRENCY = 2
    drain_broker()
    from ltxdash.generations.estimates import forget_typical_durations

    forget_typical_durations()
    return settings
