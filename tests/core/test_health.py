from datetime import timedelta

import pytest
from django.utils import timezone

from ltxdash.core.health import POLLER_LEASE
from ltxdash.core.models import Lease

pytestmark = pytest.mark.django_db


def test_it_is_unhealthy_until_a_worker_reports(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["workers"] == {
        "ok": False,
        "last_seen": None,
        "detail": "no worker has reported yet",
    }


def test_it_is_healthy_with_a_live_worker(client):
    assert Lease.acquire(POLLER_LEASE, "worker-1", timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["workers"]["ok"] is True


def test_it_notices_a_worker_that_went_quiet(client):
    Lease.objects.create(
        name=POLLER_LEASE,
        holder="worker-1",
        renewed_at=timezone.now() - timedelta(minutes=10),
        expires_at=timezone.now() - timedelta(minutes=9),
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"]["ok"] is False


def test_a_lease_has_one_holder_at_a_time():
    ttl = timedelta(seconds=30)
    assert Lease.acquire("job", "a", ttl)
    assert not Lease.acquire("job", "b", ttl)
    assert Lease.acquire("job", "a", ttl)  # renewal
    Lease.release("job", "a")
    assert Lease.acquire("job", "b", ttl)
