"""What ``serve``'s supervisor tells ``/healthz``: which of its children run right now.

The supervisor rewrites a small JSON file (``settings.LTXDASH_SERVE_STATUS_FILE``) every half
second; health reads it. The poller lease alone cannot say "the worker died" for up to a minute
(it counts as stale only after max(60 s, 6 x poll interval)); this file says it at once. A file
that has not been rewritten for ``FRESH_FOR`` seconds is ignored (no supervisor: gunicorn and
qcluster started some other way, as in production), and health falls back to the lease.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

FRESH_FOR = 10.0


@dataclass(frozen=True)
class ChildStatus:
    running: bool
    pid: int | None
    restarts: int
    last_exit: int | None
    restart_in: float | None  # seconds until the next start, while it is down


def _path() -> Path:
    return Path(settings.LTXDASH_SERVE_STATUS_FILE)


def write(children: dict[str, ChildStatus]) -> None:
    path = _path()
    body: dict[str, Any] = {
        "updated_at": time.time(),
        "supervisor": os.getpid(),
        "children": {name: asdict(status) for name, status in children.items()},
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(body))
        tmp.replace(path)  # atomic: a reader sees the old file or the new one
    except OSError:
        pass  # a full or read-only disk must not stop the supervisor


def clear() -> None:
    _path().unlink(missing_ok=True)


def child(name: str) -> dict[str, Any] | None:
    """The supervisor's latest word on child ``name``, or None if no live supervisor says any."""
    try:
        body = json.loads(_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or time.time() - float(body.get("updated_at", 0)) > FRESH_FOR:
        return None
    status = body.get("children", {}).get(name)
    return status if isinstance(status, dict) else None
