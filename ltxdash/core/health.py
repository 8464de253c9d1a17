"""What /healthz reports: can we reach the database, the broker and media storage (the bucket,
with media on S3), and is a worker alive?"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ltxdash.core import media_storage, supervision
from ltxdash.core.models import Lease

POLLER_LEASE = "poller"


def worker_stale_after() -> timedelta:
    """A worker that has not renewed the poller lease for this long counts as gone."""
    return timedelta(seconds=max(60.0, 6 * settings.LTX_POLL_INTERVAL))


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not healthy"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    from django_q.brokers import get_broker

    broker = get_broker()
    kind = "redis" if settings.REDIS_URL else "orm"
    try:
        ok = bool(broker.ping())
    except Exception as exc:
        return {"ok": False, "kind": kind, "error": type(exc).__name__}
    return {"ok": ok, "kind": kind}


def check_workers() -> dict[str, Any]:
    # Under `serve`, its supervisor knows within a second that the cluster process died.
    process = supervision.child("worker")
    if process is not None and not process.get("running"):
        return {
            "ok": False,
            "detail": "the worker process is down; it is being restarted",
            "restarts": process.get("restarts"),
            "restart_in_seconds": process.get("restart_in"),
        }
    try:
        lease = Lease.objects.filter(name=POLLER_LEASE).first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if lease is None:
        return {"ok": False, "last_seen": None, "detail": "no worker has reported yet"}
    age = (timezone.now() - lease.renewed_at).total_seconds()
    return {
        "ok": age <= worker_stale_after().total_seconds(),
        "last_seen": lease.renewed_at.isoformat(),
        "age_seconds": round(age, 1),
    }


def health_report() -> tuple[bool, dict[str, Any]]:
    report = {
        "database": check_database(),
        "broker": check_broker(),
        "media": media_storage.check(),
        "workers": check_workers(),
    }
    healthy = all(part["ok"] for part in report.values())
    return healthy, {"status": "ok" if healthy else "fail", **report}
