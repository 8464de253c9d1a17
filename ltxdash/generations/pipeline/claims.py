"""A worker's claim on a row while it submits or copies, kept alive by a heartbeat thread.

``claim_until`` says "a live worker is on this"; the loop hands the work to someone else only
once it has passed. A worker killed by SIGKILL stops renewing it, so its work is picked up again
within about one claim period instead of a task-retry timeout of a quarter of an hour.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.utils import timezone

from ltxdash.generations.models import Generation
from ltxdash.generations.timing import claim_seconds, later

logger = logging.getLogger(__name__)


@contextmanager
def heartbeat(pk: int, where: dict[str, Any]) -> Iterator[None]:
    """Renew ``claim_until`` every third of a claim period while the block runs.

    The first beat comes only after a third of the period: short work never touches the
    database from the thread (which also keeps tests inside one transaction simple).
    """
    ttl = claim_seconds()
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(ttl / 3):
                try:
                    Generation.objects.filter(pk=pk, **where).update(
                        claim_until=later(timezone.now(), ttl)
                    )
                except Exception:  # a missed beat only shortens the claim; keep working
                    logger.warning("Claim heartbeat of generation %s failed", pk, exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"claim-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
