"""The storage client's transport: httpx, with response bodies readable straight off the socket.

httpx (through httpcore and h11) reads a body 64 KiB at a time and copies every piece three
times on its way out; for a 512 MiB video that parsing, not the network, is the bottleneck
(``bench/bench_download.py``: about twice ``curl``'s time). This transport is a stock
``httpx.HTTPTransport`` on an httpcore network backend whose streams hand h11 the response *head*
only, and keep whatever body bytes arrived with it. A download that sees one of these streams in
``response.extensions["network_stream"]`` and a plain ``Content-Length`` body reads the body
itself with :meth:`HeadFirstStream.readinto`: one ``recv_into`` per megabyte, into buffers it
reuses. The connection is then closed by httpcore (h11 never saw the body end), which is what the
storage client wants anyway: it keeps no idle connections.

Anything else (chunked or compressed bodies, uploads, redirects' small bodies) goes through h11
as usual, unchanged. So does everything when the environment names a proxy: httpx only applies
``HTTP(S)_PROXY`` to clients built without a transport, so :func:`storage_transport` gives none.

Every connection this backend opens is to an address the storage client's
:class:`~ltxdash.ltx.egress.EgressPolicy` has checked: the name is resolved once, here, and the
socket connects to the checked address itself (TLS still verifies the name). That is the check
that a redirect, or a name that resolves differently the second time, cannot get around.
"""

from __future__ import annotations

import re
import socket
import ssl
import urllib.request
from collections.abc import Iterable

import httpcore
import httpx

from ltxdash.ltx.egress import EgressPolicy

# A response head larger than this is passed to h11 as is, for it to refuse.
_MAX_HEAD_BYTES = 64 * 1024
# Where a head ends: a blank line, with or without CR, as h11 itself accepts it.
_HEAD_END = re.compile(rb"\n\r?\n")


class HeadFirstStream(httpcore.NetworkStream):
    """A network stream that returns a response head on its own, without the body bytes that
    arrived with it; those wait in a buffer for the next read or :meth:`readinto`."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self._buffer = bytearray()
        self._awaiting_head = False

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._awaiting_head = True  # a request goes out: its response head is the next read
        self._inner.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._awaiting_head:
            return self._read_head(max_bytes, timeout)
        if self._buffer:
            return self._take(max_bytes)
        return self._inner.read(max_bytes, timeout)

    def readinto(self, view: memoryview, timeout: float | None = None) -> int:
        """Read body bytes into ``view``; 0 at the end of the stream. Raises httpx.ReadTimeout
        or httpx.ReadError, like the reads httpx makes itself."""
        if self._buffer:
            count = min(len(view), len(self._buffer))
            view[:count] = self._buffer[:count]
            del self._buffer[:count]
            return count
        # A plain TCP socket, or the ssl.SSLSocket around one: this pool never tunnels through
        # a proxy, the only case where httpcore layers TLS some other way.
        sock: socket.socket = self._inner.get_extra_info("socket")
        try:
            sock.settimeout(timeout)
            return sock.recv_into(view)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    def _read_head(self, max_bytes: int, timeout: float | None) -> bytes:
        while not (end := _HEAD_END.search(self._buffer)) and len(self._buffer) < _MAX_HEAD_BYTES:
            data = self._inner.read(max(max_bytes, _MAX_HEAD_BYTES), timeout)
            if not data:
                break  # the server closed: h11 decides what a partial head means
            self._buffer += data
        if not end:
            self._awaiting_head = False
            return self._take(max_bytes)
        head = self._take(end.end())
        # "HTTP/1.1 100 Continue" and other informational heads come before the real one.
        status_line = head.split(b"\n", 1)[0].split()
        status = status_line[1] if len(status_line) > 1 else b""
        self._awaiting_head = status.startswith(b"1") and status != b"101"
        return head

    def _take(self, count: int) -> bytes:
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> HeadFirstStream:
        return HeadFirstStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class HeadFirstBackend(httpcore.NetworkBackend):
    """httpcore's own blocking sockets, each wrapped in a :class:`HeadFirstStream`, each to an
    address ``policy`` allows (RefusedTarget otherwise, before anything is sent)."""

    def __init__(self, policy: EgressPolicy) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> HeadFirstStream:
        try:
            addresses = self._policy.resolve(host, port)  # RefusedTarget goes up as it is
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        options = list(socket_options or [])
        for index, address in enumerate(addresses):
            try:
                # An address, not the name: nothing resolves it again between check and connect.
                stream = self._inner.connect_tcp(address, port, timeout, local_address, options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if index == len(addresses) - 1:
                    raise
                continue
            return HeadFirstStream(stream)
        raise httpcore.ConnectError(f"no address to connect to for {host!r}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> HeadFirstStream:
        return HeadFirstStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class StorageTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections come from :class:`HeadFirstBackend`."""

    def __init__(self, limits: httpx.Limits, policy: EgressPolicy) -> None:
        super().__init__(limits=limits)
        # The pool HTTPTransport builds for a direct connection, with our backend: httpx has no
        # argument for it. tests/ltx/test_transport.py fails if an httpx upgrade changes this.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=HeadFirstBackend(policy),
        )


def proxy_in_environment() -> bool:
    return any(key in ("http", "https", "all") for key in urllib.request.getproxies_environment())


def storage_transport(limits: httpx.Limits, policy: EgressPolicy) -> httpx.BaseTransport | None:
    """The storage client's transport: a :class:`StorageTransport`, or None (httpx's default,
    which applies the environment's proxy settings) when the environment names a proxy."""
    if proxy_in_environment():
        return None
    return StorageTransport(limits, policy)


__all__ = [
    "HeadFirstBackend",
    "HeadFirstStream",
    "StorageTransport",
    "proxy_in_environment",
    "storage_transport",
]
