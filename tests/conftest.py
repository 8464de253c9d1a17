from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytest_plugins = ["tests.fixtures.simulator"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes media (and temp files) into its own folder, never into ./data."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LTXDASH_TMP_DIR = tmp_path / "tmp"


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("alice", password="alice-pass-123")


@pytest.fixture
def teammate(db):
    return get_user_model().objects.create_user("bob", password="bob-pass-123")


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("mallory", password="mallory-pass-123")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(client, stranger):
    client.force_login(stranger)
    return client
