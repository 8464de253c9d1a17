"""LTX clients for each kind of work, one set per process and configuration.

The pipeline does its own retrying where a retry is a scheduling decision (a 429 puts a submit
back in the queue; a failed poll backs off that job only), so submits, polls and probes use a
client that never retries or sleeps inside the call. Uploads and downloads keep the client's
retries, which are safe for them.
"""

from __future__ import annotations

import threading
from typing import Literal

from django.conf import settings

from ltxdash.ltx.client import LTXClient, client_from_settings
from ltxdash.ltx.retry import NO_RETRY

Role = Literal["submit", "poll", "transfer"]
_clients: dict[tuple[Role, str, str], LTXClient] = {}
_lock = threading.Lock()


def client_for(role: Role) -> LTXClient:
    key = (role, settings.LTX_API_BASE_URL, settings.LTX_API_KEY)
    with _lock:
        client = _clients.get(key)
        if client is None:
            options = {} if role == "transfer" else {"retry": NO_RETRY}
            client = _clients[key] = client_from_settings(**options)
        return client
