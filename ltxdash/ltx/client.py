"""The only code that speaks HTTP to the LTX API (or to the built-in simulator).

Async (v2) generation only: submit a job, poll it, copy its outputs before the 24-hour retention
ends (docs.ltx.video/async-jobs), plus the upload flow for input media
(docs.ltx.video/input-formats). Every call has explicit timeouts. What is retried:

* status polls, the upload POST/PUT and downloads: 5xx, 429 and network failures;
* the submit POST: only when the API certainly created nothing (no connection was made, or it
  answered 429 or a 5xx). A timeout or reset after the request went out raises
  ``OutcomeUnknownError``: the API has no idempotency key, and a blind retry could bill twice.

The API key lives only in the ``Authorization`` header of the API client. Result and upload URLs
are pre-signed storage URLs on other hosts, so a second ``httpx.Client`` without that header
talks to them. Those URLs come from the API's answers, so the storage client reaches only what
``egress.EgressPolicy`` allows (public https hosts, the API's own origin and the configured
extra origins), checked on every request, every redirect and every connection. The API client
follows no redirects at all.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import quote, urlsplit

import httpx

from ltxdash.ltx.downloads import (
    STORAGE_TIMEOUT,
    DownloadedFile,
    display_url,
    download_once,
    refused,
)
from ltxdash.ltx.egress import EgressPolicy, Origin, RefusedTarget, origin_of, parse_origin
from ltxdash.ltx.errors import (
    DownloadError,
    InvalidResponseError,
    LTXError,
    NetworkError,
    OutcomeUnknownError,
    describe_exception,
    error_from_response,
)
from ltxdash.ltx.responses import (
    ENDPOINTS,
    JOB_STATUSES,
    TERMINAL_STATUSES,
    JobFailure,
    JobStatus,
    SubmittedJob,
    UploadTarget,
    check_endpoint,
    check_job_id,
    parse_job_status,
    parse_submitted_job,
    parse_upload_target,
)
from ltxdash.ltx.retry import RetryPolicy
from ltxdash.ltx.transport import proxy_in_environment, storage_transport

__all__ = [
    "ENDPOINTS",
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "DownloadedFile",
    "JobFailure",
    "JobStatus",
    "LTXClient",
    "RetryPolicy",
    "SubmittedJob",
    "UploadTarget",
    "client_from_settings",
]

logger = logging.getLogger(__name__)

# Explicit timeouts (seconds). Submits carry at most a few MB of JSON (data URIs). Reads are per
# socket read, not per response.
API_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
# Enough pooled connections for poll_many's largest batch of threads.
MAX_POOL_CONNECTIONS = 64
_USER_AGENT = "ltxdash"
# When no key is configured the built-in simulator is used; it needs a bearer token, any will do.
SIMULATOR_API_KEY = "ltxdash-simulator"

# Failures that happen before any byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Secret:
    """Holds the API key so that no repr, debug page or ``vars()`` dump shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>"


# --- The client -------------------------------------------------------------------------------


def job_path(endpoint: str, job_id: str) -> str:
    """The path of one job's status, as it is sent: ``/v2/{endpoint}/{id}`` (the id
    percent-encoded). The only place that knows it, beside the simulator that serves it."""
    return f"/v2/{check_endpoint(endpoint)}/{quote(check_job_id(job_id), safe='')}"


class LTXClient:
    """A synchronous client for the LTX v2 API; thread-safe, one per worker process is enough."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        result_origins: Iterable[str | Origin] = (),
    ) -> None:
        if (
            not isinstance(api_key, str)
            or not api_key
            or not (api_key.isascii() and api_key.isprintable() and " " not in api_key)
        ):
            # Never echo the value: it may be a real key with a stray character.
            raise ValueError("the LTX API key is empty or contains characters a header cannot hold")
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"LTX base URL must be http(s), got {base_url!r}")
        extra = [o if isinstance(o, Origin) else parse_origin(o) for o in result_origins]
        self.egress = EgressPolicy([origin_of(base_url), *extra])
        self._api_key = _Secret(api_key)
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        limits = httpx.Limits(
            max_connections=MAX_POOL_CONNECTIONS, max_keepalive_connections=MAX_POOL_CONNECTIONS
        )
        self._api = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": _USER_AGENT},
            timeout=timeout or API_TIMEOUT,
            limits=limits,
            transport=transport,
            follow_redirects=False,
        )
        # Storage hosts: no Authorization, redirects followed, no idle connections kept (large
        # one-off transfers; a deadline watchdog may shut a socket down mid-stream).
        # Bodies are read straight off the socket where possible (see transport.py), and each
        # connection is to an address the egress policy checked. The request hook checks every
        # URL, redirects included; through a proxy (no connect of our own) it checks the names.
        storage_limits = httpx.Limits(
            max_connections=MAX_POOL_CONNECTIONS, max_keepalive_connections=0
        )
        storage = transport or storage_transport(storage_limits, self.egress)
        self._check_names = storage is None and proxy_in_environment()
        self._storage = httpx.Client(
            headers={"User-Agent": _USER_AGENT},
            timeout=STORAGE_TIMEOUT,
            limits=storage_limits,
            transport=storage,
            follow_redirects=True,
            event_hooks={"request": [self._check_target]},
        )

    def __repr__(self) -> str:
        return f"<LTXClient {self.base_url}>"

    def _check_target(self, request: httpx.Request) -> None:
        """Every storage request, the first and each redirect: RefusedTarget if not allowed."""
        self.egress.check_url(str(request.url))
        if self._check_names:
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            with contextlib.suppress(OSError):  # the proxy reports a name it cannot resolve
                self.egress.resolve(request.url.host, port)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._storage.close()

    # --- Jobs ---

    def submit(self, endpoint: str, body: Mapping[str, Any]) -> SubmittedJob:
        """Create a job: ``POST /v2/{endpoint}``. Retried only where no job can have been created."""
        path = f"/v2/{check_endpoint(endpoint)}"
        if not isinstance(body, Mapping):
            raise TypeError("the request body must be a mapping")
        payload = dict(body)
        response = self._with_retries(
            lambda: self._api.post(path, json=payload), what=f"POST {path}", submit=True
        )
        job = parse_submitted_job(response)
        logger.info("LTX job %s submitted to %s (request id %s)", job.id, endpoint, job.request_id)
        return job

    def get_status(self, endpoint: str, job_id: str) -> JobStatus:
        """Poll one job: ``GET /v2/{endpoint}/{id}``. 404 (NotFoundError) means expired or unknown."""
        path = job_path(endpoint, job_id)
        response = self._with_retries(lambda: self._api.get(path), what=f"GET {path}")
        return parse_job_status(response, job_id)

    def poll_many(
        self, jobs: Sequence[tuple[str, str]], *, max_connections: int = 16
    ) -> dict[str, JobStatus | LTXError]:
        """Poll many jobs at once; each job id maps to its status or to the error its poll raised.

        Threads share the one pooled ``httpx.Client``: each poll is a short blocking request, and
        the GIL is released while waiting on sockets. Arguments are checked before any request.
        """
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        unique = list(dict.fromkeys((check_endpoint(e), check_job_id(j)) for e, j in jobs))
        if not unique:
            return {}

        def poll_one(job: tuple[str, str]) -> JobStatus | LTXError:
            try:
                return self.get_status(*job)
            except LTXError as error:
                return error

        workers = min(max_connections, len(unique), MAX_POOL_CONNECTIONS)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ltx-poll") as pool:
            outcomes = list(pool.map(poll_one, unique))
        return {job_id: outcome for (_, job_id), outcome in zip(unique, outcomes, strict=True)}

    # --- Uploads ---

    def create_upload(self) -> UploadTarget:
        """Ask for a pre-signed upload URL: ``POST /v1/upload`` (no body; harmless to repeat)."""
        response = self._with_retries(lambda: self._api.post("/v1/upload"), what="POST /v1/upload")
        return parse_upload_target(response)

    def upload_file(self, path: Path, content_type: str) -> str:
        """Upload a local file for use as ``image_uri``/``video_uri``/``audio_uri``.

        Returns the ``storage_uri``. Our ``Content-Type`` goes first and the API's
        ``required_headers`` override it.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no file to upload at {path}")
        return self.upload_stream(
            lambda: path.open("rb"), path.stat().st_size, content_type, name=path.name
        )

    def upload_stream(
        self, open_source: Callable[[], IO[bytes]], size: int, content_type: str, *, name: str
    ) -> str:
        """Upload ``size`` bytes read from ``open_source()`` (opened afresh for each attempt, so a
        retry resends from byte 0; closed after it), sent as they are read, in bounded memory.
        Returns the ``storage_uri``; ``name`` is for the log."""
        target = self.create_upload()
        headers = httpx.Headers({"Content-Type": content_type})
        headers.update(target.required_headers)
        headers["Content-Length"] = str(size)  # known up front: no chunked upload

        def put() -> httpx.Response:
            with open_source() as file:
                try:
                    return self._storage.put(target.upload_url, content=file, headers=headers)
                except RefusedTarget as exc:  # never retried: the answer itself is unusable
                    raise InvalidResponseError(
                        f"upload answer: the upload URL points at {exc}"
                    ) from exc

        # The pre-signed URL's host is storage, not the API: its 403 is an expired link, not a key.
        self._with_retries(put, what=f"PUT {display_url(target.upload_url)}", from_api=False)
        logger.info("Uploaded %s (%d bytes) as %s", name, size, target.storage_uri)
        return target.storage_uri

    # --- Downloads ---

    def download(
        self, url: str, dest_dir: Path, *, max_bytes: int, deadline_seconds: float
    ) -> DownloadedFile:
        """Copy one output URL into a new file in ``dest_dir``, verified and hashed on the way.

        Streams in bounded memory; gives up (DownloadError) past ``max_bytes`` or
        ``deadline_seconds`` in total, retries, waits included. Transient failures (5xx, 429,
        truncated or broken transfers) are retried from the start while time remains. Nothing is
        left in ``dest_dir`` on failure.
        """
        try:
            valid = url.startswith(("https://", "http://")) and bool(
                httpx.URL(url).host and urlsplit(url).hostname
            )
        except (httpx.InvalidURL, ValueError):
            valid = False
        if not valid:
            raise DownloadError("the output URL is not a usable http(s) URL", reason="invalid_url")
        try:
            self.egress.check_url(url)
        except RefusedTarget as exc:
            raise refused(exc) from None
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        clock = self.retry.clock
        deadline = clock() + deadline_seconds
        failures = 0
        while True:
            try:
                return download_once(self._storage, url, dest_dir, max_bytes, deadline, clock)
            except DownloadError as error:
                failures += 1
                # The download's own deadline is its time budget, not the policy's max_elapsed.
                delay = self.retry.next_delay(failures, 0.0, error.retry_after)
                if not error.retryable or delay is None or clock() + delay >= deadline:
                    raise
                logger.warning(
                    "Download of %s failed (%s); retry %d in %.1fs",
                    display_url(url),
                    error,
                    failures,
                    delay,
                )
                self._sleep(delay)

    # --- Retrying ---

    def _with_retries(
        self,
        send: Callable[[], httpx.Response],
        *,
        what: str,
        submit: bool = False,
        from_api: bool = True,
    ) -> httpx.Response:
        """Send until a 2xx arrives, a non-retryable error occurs or the retry budget is spent."""
        policy = self.retry
        started = policy.clock()
        failures = 0
        while True:
            try:
                response = send()
            except _NOT_SENT as exc:
                error: LTXError = NetworkError(
                    f"{what}: could not connect ({describe_exception(exc)})"
                )
                error.__cause__ = exc
            except httpx.RequestError as exc:
                if submit:
                    raise OutcomeUnknownError(
                        f"{what}: the request was sent but no answer arrived "
                        f"({describe_exception(exc)}); a job may have been created"
                    ) from exc
                error = NetworkError(f"{what}: {describe_exception(exc)}")
                error.__cause__ = exc
            else:
                if response.is_success:
                    return response
                error = self._redact(error_from_response(response, from_api=from_api))
                if submit and response.status_code == 504:
                    # A gateway timeout says nothing about whether the API behind it made the job.
                    raise OutcomeUnknownError(
                        f"{what}: gateway timeout; a job may have been created",
                        status=504,
                        request_id=error.request_id,
                    )
            failures += 1
            delay = (
                policy.next_delay(failures, policy.clock() - started, error.retry_after)
                if error.retryable
                else None
            )
            if delay is None:
                raise error
            logger.warning("%s failed (%s); retry %d in %.2fs", what, error, failures, delay)
            self._sleep(delay)

    def _redact(self, error: LTXError) -> LTXError:
        # A server (or proxy) echoing request headers back must not put the key into our logs.
        if self._api_key.value in error.message:
            error.message = error.message.replace(self._api_key.value, "[redacted]")
            error.args = (error.message,)
        return error


def client_from_settings(**overrides: Any) -> LTXClient:
    """A client configured from ``settings.LTX_API_KEY`` and ``settings.LTX_API_BASE_URL``."""
    from django.conf import settings

    key = settings.LTX_API_KEY
    if not key and getattr(settings, "LTX_SIMULATED", False):
        key = SIMULATOR_API_KEY
    options: dict[str, Any] = {
        "api_key": key,
        "base_url": settings.LTX_API_BASE_URL,
        "result_origins": settings.LTXDASH_EXTRA_RESULT_ORIGINS,
    }
    options.update(overrides)
    return LTXClient(**options)
