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

from ltxdash.ltx.egress import RefusedTarget
from ltxdash.ltx.errors import DownloadError, describe_exception, parse_retry_after
from ltxdash.ltx.transport import HeadFirstStream

# Storage PUTs carry up to 100 MB, so writes get longer than the API's; reads are per socket read.
STORAGE_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=60.0, pool=10.0)

# Disk writes go out in pieces of this size: on this project's Linux test machine (kernel 6.18,
# ext4) a loop writing 512 MiB 1 MiB at a time mostly took 0.7 to 1.0 s, 64 or 128 KiB at a time
# 0.1 s. (Large page-cache folios for large writes, probably; not confirmed.)
WRITE_BYTES = 128 * 1024


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


def refused(exc: RefusedTarget) -> DownloadError:
    """The DownloadError for a target the egress policy refused: permanent, never retried."""
    return DownloadError(
        f"the output link points at {exc}; outputs are copied only from public https hosts "
        "and the API's own origin",
        reason="refused_target",
    )


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
    try:
        with (
            part.open("xb") as out,
            http.stream(
                "GET", url, timeout=timeout, headers={"Accept-Encoding": "identity"}
            ) as response,
        ):
            if not response.is_success:
                raise _download_status_error(response)
            expected = _content_length(response)
            if expected is not None and expected > max_bytes:
                raise DownloadError(
                    f"{shown}: {expected} bytes announced, limit is {max_bytes}", reason="too_large"
                )
            size, sha256 = _receive_body(
                response, out, expected, max_bytes, timeout.read, deadline, clock
            )
            # Content-Length counts bytes on the wire; they differ from the bytes written only if
            # the host compressed the body despite our "Accept-Encoding: identity".
            received = size if _uncompressed(response) else response.num_bytes_downloaded
            if expected is not None and received != expected:
                raise DownloadError(
                    f"{shown}: received {received} of {expected} bytes", reason="truncated"
                )
            content_type = response.headers.get("content-type")
        final = dest_dir / f"{name}{suffix}"
        os.replace(part, final)
    except httpx.RequestError as exc:
        part.unlink(missing_ok=True)
        if clock() >= deadline:
            raise DownloadError(f"{shown}: deadline passed", reason="deadline") from exc
        reason = "truncated" if isinstance(exc, httpx.RemoteProtocolError) else "network"
        raise DownloadError(f"{shown}: {describe_exception(exc)}", reason=reason) from exc
    except RefusedTarget as exc:  # the URL, or a redirect from it, points where we never go
        part.unlink(missing_ok=True)
        raise refused(exc) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return DownloadedFile(path=final, size=size, sha256=sha256, content_type=content_type)


def _receive_body(
    response: httpx.Response,
    out: BinaryIO,
    expected: int | None,
    max_bytes: int,
    read_timeout: float | None,
    deadline: float,
    clock: Callable[[], float],
) -> tuple[int, str]:
    """Write the body to ``out``; (bytes written, their sha256). Stops at the deadline, past
    ``max_bytes``, or at ``expected`` bytes when the body is read straight off the socket."""
    shown = display_url(str(response.url))

    def check_deadline() -> None:
        if clock() > deadline:
            raise DownloadError(f"{shown}: deadline passed", reason="deadline")

    watchdog = DeadlineWatchdog(response, deadline - clock())
    sink = HashingWriter(out)
    stream = response.extensions.get("network_stream")
    try:
        if isinstance(stream, HeadFirstStream) and expected is not None and _plain(response):
            size = _read_direct(stream, sink, expected, read_timeout, check_deadline)
        else:
            size = _read_parsed(response, sink, max_bytes, check_deadline)
    except httpx.RequestError as exc:
        if watchdog.fired:
            raise DownloadError(f"{shown}: deadline passed", reason="deadline") from exc
        raise
    finally:
        watchdog.cancel()
        sink.close()
    if watchdog.fired:  # an HTTP/1.0 body ends at EOF, so a forced close looks complete
        raise DownloadError(f"{shown}: deadline passed", reason="deadline")
    return size, sink.hexdigest()


def _uncompressed(response: httpx.Response) -> bool:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    return encoding in ("", "identity")


def _plain(response: httpx.Response) -> bool:
    """The body is exactly Content-Length bytes as sent: not chunked, not compressed."""
    return _uncompressed(response) and "transfer-encoding" not in response.headers


def _read_direct(
    stream: HeadFirstStream,
    sink: HashingWriter,
    expected: int,
    read_timeout: float | None,
    check_deadline: Callable[[], None],
) -> int:
    """The body straight off the socket into the sink's buffers (see ltxdash.ltx.transport);
    stops at ``expected`` bytes or at the end of the stream, whichever comes first."""
    size = 0
    while size < expected:
        view = sink.buffer()
        count = stream.readinto(view[: expected - size], read_timeout)
        if not count:
            break
        sink.commit(view, count)
        size += count
        check_deadline()
    return size


def _read_parsed(
    response: httpx.Response,
    sink: HashingWriter,
    max_bytes: int,
    check_deadline: Callable[[], None],
) -> int:
    """The body as httpx decodes it (chunked, compressed, or from a mock transport)."""
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            shown = display_url(str(response.url))
            raise DownloadError(f"{shown}: more than {max_bytes} bytes", reason="too_large")
        sink.write(chunk)
        check_deadline()
    return size


class HashingWriter:
    """Hashes and writes chunks on a helper thread, so SHA-256 and disk overlap the network.

    Both ``hashlib`` and file writes release the GIL on large buffers, so this runs in parallel
    with the socket reads of the downloading thread. The producer either hands over chunks it
    has (:meth:`write`), or borrows one of the writer's buffers, fills it and hands it back
    (:meth:`buffer`, :meth:`commit`), which saves allocating and copying a megabyte at a time.
    Memory stays bounded: at most ``depth`` chunks wait, and at most ``depth`` buffers of
    ``buffer_bytes`` exist.
    """

    def __init__(self, out: BinaryIO, depth: int = 8, buffer_bytes: int = 2**20) -> None:
        self._out = out
        self._digest = hashlib.sha256()
        # (bytes to write, the borrowed buffer they sit in, to reuse after); None ends the thread.
        self._queue: queue.Queue[tuple[bytes | memoryview, memoryview | None] | None] = queue.Queue(
            maxsize=depth
        )
        self._free: queue.Queue[memoryview] = queue.Queue()
        self._buffers_left = depth
        self._buffer_bytes = buffer_bytes
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ltx-download-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            data, borrowed = item
            if self._error is None:  # after an error, keep draining so the producer never blocks
                try:
                    piece = memoryview(data)
                    self._digest.update(piece)
                    for start in range(0, len(piece), WRITE_BYTES):
                        self._out.write(piece[start : start + WRITE_BYTES])
                except BaseException as exc:  # disk full, I/O error: reported to the producer
                    self._error = exc
            if borrowed is not None:
                self._free.put(borrowed)

    def write(self, chunk: bytes) -> None:
        """Hand over a chunk the caller will not touch again."""
        self._raise_error()
        self._queue.put((chunk, None))

    def buffer(self) -> memoryview:
        """A buffer to fill and pass to :meth:`commit`; waits while all of them are in use."""
        self._raise_error()
        if self._free.empty() and self._buffers_left:
            self._buffers_left -= 1
            return memoryview(bytearray(self._buffer_bytes))
        return self._free.get()

    def commit(self, view: memoryview, count: int) -> None:
        """Write the first ``count`` bytes of a buffer from :meth:`buffer`."""
        self._queue.put((view[:count], view))

    def close(self) -> None:
        """Wait until every chunk is written; raises the writer's error, if any."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        self._raise_error()

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error


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


def _download_status_error(response: httpx.Response) -> DownloadError:
    # The body is the storage host's, and the host is whoever the API's answer named: it is
    # never read into a message (an error page may echo credentials, or say anything at all).
    return DownloadError(
        f"storage answered HTTP {response.status_code}",
        reason="http_status",
        status=response.status_code,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
