import json
import time
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


def _supervisor_says(settings, *, running: bool, age: float = 0.0) -> None:
    worker = {"running": running, "pid": None, "restarts": 2, "last_exit": -9, "restart_in": 3.5}
    body = {"updated_at": time.time() - age, "supervisor": 1, "children": {"worker": worker}}
    settings.LTXDASH_SERVE_STATUS_FILE.write_text(json.dumps(body))


def test_it_reports_a_dead_worker_process_at_once_under_serve(client, settings):
    assert Lease.acquire(POLLER_LEASE, "worker-1", timedelta(seconds=30))  # still fresh
    _supervisor_says(settings, running=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == {
        "ok": False,
        "detail": "the worker process is down; it is being restarted",
        "restarts": 2,
        "restart_in_seconds": 3.5,
    }


def test_a_running_worker_process_still_needs_a_fresh_lease(client, settings):
    _supervisor_says(settings, running=True)
    assert client.get("/healthz").status_code == 503  # no lease yet
    assert Lease.acquire(POLLER_LEASE, "worker-1", timedelta(seconds=30))
    assert client.get("/healthz").status_code == 200


def test_it_ignores_a_status_file_no_supervisor_keeps_writing(client, settings):
    assert Lease.acquire(POLLER_LEASE, "worker-1", timedelta(seconds=30))
    _supervisor_says(settings, running=False, age=60)  # serve was SIGKILLed: stale
    assert client.get("/healthz").status_code == 200
    settings.LTXDASH_SERVE_STATUS_FILE.write_text("{not json")
    assert client.get("/healthz").status_code == 200
