"""The pipeline's fixtures (its helpers: tests/support/pipeline.py; rows: tests/factories.py)."""

from __future__ import annotations

import pytest

from tests.support.hostile_api import HostileAPI, Listener
from tests.support.pipeline import drain_broker


@pytest.fixture
def clean_broker():
    """No task left in the broker by an earlier test (a Redis broker outlives transactions)."""
    drain_broker()


@pytest.fixture
def hostile_api(settings):
    """A hostile LTX API (tests/support/hostile_api.py) as LTX_API_BASE_URL, broker empty."""
    api = HostileAPI()
    settings.LTX_API_BASE_URL = api.url
    settings.LTX_API_KEY = "sk-test-key"
    settings.LTX_POLL_INTERVAL = 0.1
    drain_broker()
    yield api
    api.close()


@pytest.fixture
def listener():
    """listener(host): a forbidden target on ``host`` that records every connection."""
    started = []

    def start(host: str) -> Listener:
        started.append(Listener(host))
        return started[-1]

    yield start
    for each in started:
        each.close()
