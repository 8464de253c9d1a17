"""Checking a workspace's LTX key before it is stored: one GET of a job id no job has
(``PROBE_JOB_ID``; the dispatcher's probe of a paused key asks the same), with that key, through a client that never retries.

404 means LTX knows the key (and not the job); 401 or 403 means it refused the key; anything else
(no connection, a timeout, a 5xx) means the check could not be made. The key goes into the
request's Authorization header and nowhere else: not into the words of a refusal, a log line or
an error report (``sensitive_variables``).
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.errors import (
    AuthenticationError,
    LTXError,
    NetworkError,
    NotFoundError,
)
from ltxdash.ltx.retry import NO_RETRY

# A job id no job has: GET of it answers 404 with a working key and 401 without one.
PROBE_JOB_ID = "00000000-0000-0000-0000-000000000000"

# A person waits for the answer: shorter than the workers' timeouts.
CHECK_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)


class KeyCheckFailed(Exception):
    """The key was refused (``refused``), or could not be checked; ``str()`` is for people."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


def key_is_well_formed(secret: str) -> bool:
    """Whether ``secret`` can go into an Authorization header (what LTXClient insists on)."""
    return bool(secret) and secret.isascii() and secret.isprintable() and " " not in secret


@sensitive_variables("secret")
def check_api_key(secret: str, *, transport: httpx.BaseTransport | None = None) -> None:
    """Return if LTX accepts ``secret``; raise KeyCheckFailed if it refuses it or cannot be
    asked. ``secret`` must be well formed (``key_is_well_formed``)."""
    try:
        client = LTXClient(
            api_key=secret,
            base_url=settings.LTX_API_BASE_URL,
            result_origins=settings.LTXDASH_EXTRA_RESULT_ORIGINS,
            retry=NO_RETRY,
            timeout=CHECK_TIMEOUT,
            transport=transport,
        )
    except ValueError:
        raise KeyCheckFailed(
            "The key contains characters a key cannot have.", refused=True
        ) from None
    with client:
        try:
            client.get_status("text-to-video", PROBE_JOB_ID)
        except NotFoundError:
            return
        except LTXError as error:
            if isinstance(error, AuthenticationError) or error.status in (401, 403):
                raise KeyCheckFailed("LTX did not accept this key.", refused=True) from None
            raise KeyCheckFailed(
                f"Could not reach LTX to check the key ({what_happened(error)}); try again.",
                refused=False,
            ) from None
    # A status for a job nobody made: LTX took the key, whatever it thinks of the id.


def what_happened(error: LTXError) -> str:
    """A few words of our own on a failed check: never the remote body, never the key."""
    if isinstance(error, NetworkError):
        return "no answer: the connection failed or timed out"
    if error.status is not None:
        return f"LTX answered HTTP {error.status}"
    return "its answer could not be read"
