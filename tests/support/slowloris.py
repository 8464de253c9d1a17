"""Slow clients for the web server tests: sockets that send a request head one line at a time."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request


class Slowloris:
    """``count`` connections, each sending one more header line every ``every`` seconds.

    Bounded: it stops after ``for_seconds`` or on ``stop()``, and only ever talks to 127.0.0.1.
    """

    def __init__(self, port: int, count: int, *, every: float = 5.0, for_seconds: float = 60.0):
        self.port, self.count, self.every, self.for_seconds = port, count, every, for_seconds
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Slowloris:
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()

    def _run(self) -> None:
        deadline = time.monotonic() + self.for_seconds
        line = 0
        while not self._stop.wait(self.every) and time.monotonic() < deadline:
            line += 1
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # the server gave up on this one: fine
                    sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())


def time_to_answer(url: str, timeout: float = 10.0) -> float:
    """Seconds until ``url`` answers with any HTTP status (inf if it does not within timeout)."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            pass
    except urllib.error.HTTPError:
        pass  # a 503 is an answer
    except OSError:
        return float("inf")
    return time.monotonic() - start
