"""Clocks, backoffs and the few tunables of the pipeline.

The tunables are read with ``getattr(settings, NAME, default)`` so that a deployment never needs
them while a test settings module (the end-to-end tests run real clusters) can shrink them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

# How long the API keeps a finished job and its output URLs (docs: async jobs, "Retention").
RETENTION = timedelta(hours=24)
# A copy still missing this long after the job finished is flagged for the admins.
AT_RISK_AFTER = timedelta(hours=2)
# Inputs uploaded through the API are kept 24 h; re-upload before that can bite.
UPLOAD_FRESH_FOR = timedelta(hours=23)


def task_timeout() -> float:
    """django-q2's task timeout (seconds): a task running longer is killed by its cluster."""
    cluster: dict[str, Any] = settings.Q_CLUSTER
    return float(cluster.get("timeout") or 900)


def poll_interval() -> float:
    return float(settings.LTX_POLL_INTERVAL)


def tunable(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def claim_seconds() -> float:
    """A worker busy with a submit or a copy renews its claim this often x3; a claim not renewed
    for this long means the worker died and the loop may hand the work to another one."""
    return tunable("LTXDASH_PIPELINE_CLAIM_SECONDS", 60.0)


def pickup_grace_seconds() -> float:
    """How long an enqueued submit or copy may wait in the broker for a free worker."""
    return tunable("LTXDASH_PIPELINE_PICKUP_SECONDS", 180.0)


def lease_seconds() -> float:
    """The poller lease's time to live: renewed about once a second, so a few intervals."""
    default = max(15.0, 4 * poll_interval())
    return tunable("LTXDASH_POLLER_LEASE_SECONDS", default)


def loop_seconds() -> float:
    """How long one loop task runs before it hands over to a fresh one (< the task timeout).

    Short, because a stopping cluster waits for its running tasks and nothing tells a task
    that its cluster is stopping: a hand-over costs one enqueue, a long loop a slow shutdown.
    """
    timeout = task_timeout()
    return tunable("LTXDASH_POLLER_LOOP_SECONDS", min(30.0, timeout / 2))


def backoff(failures: int, *, base: float, cap: float) -> float:
    """Exponential backoff with up to 50 % jitter (the API's error page recommends jitter)."""
    interval = min(cap, base * 2 ** max(0, failures - 1))
    return interval + interval * 0.5 * random.random()


def later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
