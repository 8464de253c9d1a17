"""Copying output files from pre-signed storage URLs to local disk, safely.

One attempt of a download: streamed in bounded memory to a hidden ``.part`` file, stopped early
when the size passes the limit, verified against ``Content-Length``, hashed on the way, renamed
only when complete, removed on any failure. ``LTXClient.download`` adds the retries.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

import httpx

from ltxdash.ltx.errors import DownloadError, describe_exception, parse_retry_after

# Storage PUTs carry up to 100 MB, so writes get longer than the API's; reads are per socket read.
STORAGE_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=60.0, pool=10.0)


@dataclass(frozen=True)
class DownloadedFile:
    path: Path
    size: int
    sha256: str
    content_type: str | None


def display_url(url: str) -> str:
    """A URL fit for logs and messages: pre-signed query strings are credentials, so drop them."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # and never any user:password@
    return f"{parts.scheme}://{host}{parts.path}"


def download_once(
    http: httpx.Client,
    url: str,
    dest_dir: Path,
    max_bytes: int,
    deadline: float,
    clock: Callable[[], float],
) -> DownloadedFile:
    shown = display_url(url)
    remaining = deadline - clock()
    if remaining <= 0:
        raise DownloadError(f"{shown}: deadline passed", reason="deadline")
    # Per-operation timeouts never longer than what is left of the whole deadline.
    timeout = httpx.Timeout(
        connect=min(STORAGE_TIMEOUT.connect or remaining, remaining),
        read=min(STORAGE_TIMEOUT.read or remaining, remaining),
        write=min(STORAGE_TIMEOUT.write or remaining, remaining),
        pool=min(STORAGE_TIMEOUT.pool or remaining, remaining),
    )
    name = f"ltx-{secrets.token_hex(8)}"
    suffix = PurePosixPath(urlsplit(url).path).suffix
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        suffix = ""
    part = dest_dir / f".{name}.part"
    watchdog: DeadlineWatchdog | None = None
    try:
        with (
            part.open("xb") as out,
            http.stream(
                "GET", url, timeout=timeout, headers={"Accept-Encoding": "identity"}
            ) as response,
        ):
            if not response.is_success:
                raise _download_status_error(response, shown)
            expected = _content_length(response)
            if expected is not None and expected > max_bytes:
                raise DownloadError(
                    f"{shown}: {expected} bytes announced, limit is {max_bytes}", reason="too_large"
                )
            watchdog = DeadlineWatchdog(response, deadline - clock())
            sink = HashingWriter(out)
            size = 0
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise DownloadError(
                            f"{shown}: more than {max_bytes} bytes", reason="too_large"
                        )
                    sink.write(chunk)
                    if clock() > deadline:
                        raise DownloadError(f"{shown}: deadline passed", reason="deadline")
            finally:
                watchdog.cancel()
                sink.close()
            sha256 = sink.hexdigest()
            if watchdog.fired:  # an HTTP/1.0 body ends at EOF, so a forced close looks complete
                raise DownloadError(f"{shown}: deadline passed", reason="deadline")
            # Content-Length counts bytes on the wire; they differ from the bytes written only if
            # the host compressed the body despite our "Accept-Encoding: identity".
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            received = size if encoding in ("", "identity") else response.num_bytes_downloaded
            if expected is not None and received != expected:
                raise DownloadError(
                    f"{shown}: received {received} of {expected} bytes", reason="truncated"
                )
            content_type = response.headers.get("content-type")
        final = dest_dir / f"{name}{suffix}"
        os.replace(part, final)
    except httpx.RequestError as exc:
        part.unlink(missing_ok=True)
        if (watchdog is not None and watchdog.fired) or clock() >= deadline:
            raise DownloadError(f"{shown}: deadline passed", reason="deadline") from exc
        reason = "truncated" if isinstance(exc, httpx.RemoteProtocolError) else "network"
        raise DownloadError(f"{shown}: {describe_exception(exc)}", reason=reason) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return DownloadedFile(path=final, size=size, sha256=sha256, content_type=content_type)


class HashingWriter:
    """Hashes and writes chunks on a helper thread, so SHA-256 and disk overlap the network.

    Both ``hashlib`` and file writes release the GIL on large buffers, so this runs in parallel
    with the socket reads and HTTP parsing of the downloading thread. Memory stays bounded: at
    most ``depth`` chunks (64 KiB each from httpcore) wait in the queue.
    """

    def __init__(self, out: BinaryIO, depth: int = 16) -> None:
        self._out = out
        self._digest = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ltx-download-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining so the producer never blocks on a full queue
            try:
                self._digest.update(chunk)
                self._out.write(chunk)
            except BaseException as exc:  # disk full, I/O error: reported to the producer
                self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def close(self) -> None:
        """Wait until every chunk is written; raises the writer's error, if any."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()


class DeadlineWatchdog:
    """Enforces a hard deadline on a streaming response by shutting its socket down.

    httpx timeouts bound each socket operation, not a whole body: a host trickling one byte
    every few seconds would never time out. When the timer fires, the socket under the response
    is shut down, so the blocked read in the downloading thread returns at once. Responses with
    no socket (``httpx.MockTransport``) rely on the per-chunk clock check instead.
    """

    def __init__(self, response: httpx.Response, seconds: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._done = False
        stream = response.extensions.get("network_stream")
        self._sock: socket.socket | None = (
            stream.get_extra_info("socket") if stream is not None else None
        )
        self._timer: threading.Timer | None = None
        if self._sock is not None:
            self._timer = threading.Timer(max(0.0, seconds), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:  # never touch a socket the downloading thread has already released
            if self._done or self._sock is None:
                return
            self.fired = True
            try:
                # Shut down a duplicate of the descriptor: the shutdown reaches the connection,
                # while a TLS wrapper's own state stays untouched for the reading thread.
                with socket.socket(fileno=os.dup(self._sock.fileno())) as duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        with self._lock:
            self._done = True
        if self._timer is not None:
            self._timer.cancel()


def _content_length(response: httpx.Response) -> int | None:
    try:
        value = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _download_status_error(response: httpx.Response, shown: str) -> DownloadError:
    # Storage error pages are small; read a little for the message, never the whole body.
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= 512:
            break
    text = " ".join(head[:300].decode("utf-8", "replace").split())
    return DownloadError(
        f"{shown}: HTTP {response.status_code}" + (f": {text}" if text else ""),
        reason="http_status",
        status=response.status_code,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
