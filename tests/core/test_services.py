"""The scale-out configuration really is in use when it is configured (CI's second pass)."""

import pytest
from django.conf import settings
from django.db import connection

needs_postgres = pytest.mark.skipif(
    not settings.DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="PostgreSQL not configured: set DATABASE_URL=postgres://... to run",
)
needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="Redis not configured: set REDIS_URL=redis://... to run"
)


@needs_postgres
@pytest.mark.django_db
def test_it_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


@needs_redis
def test_it_uses_the_redis_broker():
    from django_q.brokers import get_broker
    from django_q.brokers.redis_broker import Redis

    broker = get_broker()
    assert isinstance(broker, Redis)
    assert broker.ping()


@needs_redis
@pytest.mark.django_db
def test_healthz_reports_the_redis_broker(client):
    assert client.get("/healthz").json()["broker"] == {"ok": True, "kind": "redis"}
