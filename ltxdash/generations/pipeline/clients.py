"""LTX clients for each kind of work, one set per process and configuration.

The pipeline does its own retrying where a retry is a scheduling decision (a 429 puts a submit
back in the queue; a failed poll backs off that job only), so submits, polls and probes use a
client that never retries or sleeps inside the call. Uploads and downloads keep the client's
retries, which are safe for them.

The poll client notes when each request leaves (``ltx.send_times.SendTimes``): a job's next
poll is counted from the moment its last poll left.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any, Literal

import httpx
from django.conf import settings

from ltxdash.ltx.client import LTXClient, client_from_settings
from ltxdash.ltx.retry import NO_RETRY
from ltxdash.ltx.send_times import SendTimes

if TYPE_CHECKING:
    from ltxdash.workspaces.models import ApiKey

Role = Literal["submit", "poll", "transfer"]
_clients: dict[tuple[Role, str, str, tuple[str, ...]], LTXClient] = {}
_lock = threading.Lock()
_send_times: weakref.WeakKeyDictionary[LTXClient, SendTimes] = weakref.WeakKeyDictionary()


def poll_client(transport: httpx.BaseTransport | None = None, **options: Any) -> LTXClient:
    """A non-retrying client (from settings unless ``options`` say otherwise) whose requests'
    departure times the poller can read."""
    times = SendTimes(transport)
    client = client_from_settings(transport=times, retry=NO_RETRY, **options)
    _send_times[client] = times
    return client


def send_times(client: LTXClient) -> SendTimes | None:
    return _send_times.get(client)


def client_for(role: Role, api_key: ApiKey | None = None) -> LTXClient:
    """The client for ``role`` with a workspace's own key, or with ``LTX_API_KEY`` (None)."""
    origins = tuple(settings.LTXDASH_EXTRA_RESULT_ORIGINS)
    secret = api_key.secret() if api_key is not None else settings.LTX_API_KEY
    key = (role, settings.LTX_API_BASE_URL, secret, origins)
    overrides: dict[str, Any] = {"api_key": secret} if api_key is not None else {}
    with _lock:
        client = _clients.get(key)
        if client is None:
            if role == "poll":
                client = poll_client(**overrides)
            else:
                options = {} if role == "transfer" else {"retry": NO_RETRY}
                client = client_from_settings(**options, **overrides)
            _clients[key] = client
        return client
