"""When each status poll left: a transport wrapper the poller's client is built with.

A job's next poll is counted from the moment its last poll left, the only base that keeps two
polls of one job at least an interval apart without making them later than needed.
"""

from __future__ import annotations

import threading
from datetime import datetime

import httpx
from django.utils import timezone

from ltxdash.ltx.client import MAX_POOL_CONNECTIONS, job_path


class SendTimes(httpx.BaseTransport):
    """Remembers when the last request to each URL path left (through ``inner``)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport(
            limits=httpx.Limits(
                max_connections=MAX_POOL_CONNECTIONS,
                max_keepalive_connections=MAX_POOL_CONNECTIONS,
            )
        )
        self._sent: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]  # as sent, still encoded
        with self._lock:
            self._sent[path] = timezone.now()
        return self.inner.handle_request(request)

    def pop_poll(self, endpoint: str, job_id: str) -> datetime | None:
        """When the last status poll of this job left (forgotten once read); None if unseen."""
        with self._lock:
            return self._sent.pop(job_path(endpoint, job_id), None)

    def close(self) -> None:
        self.inner.close()
