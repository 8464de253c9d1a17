"""Serving the simulator with waitress, in the foreground (the command) or in a thread (tests)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from waitress.server import create_server

from .app import SimulatorApp
from .config import startup_config

THREADS = 16
# Waitress sends a file by reading as many bytes as the socket's send buffer holds, then sending
# what fits; whatever did not fit is read again next time. With Linux's default send buffer on
# this machine (4 MiB), a client that reads a little slower than the server writes made the
# simulator read much of a 512 MiB file twice (bench/bench_download.py: 0.7 CPU-s instead of 0.4
# serving our client, and 1.25x curl's time instead of 1.0x). A fixed 1 MiB buffer (the kernel
# doubles it) wastes little.
SOCKET_OPTIONS = [
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),  # waitress's own default
    (socket.SOL_SOCKET, socket.SO_SNDBUF, 1024 * 1024),
]


class SimulatorServer:
    """The simulator on ``host:port`` (port 0 picks a free one); knobs as in SimConfig."""

    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = THREADS,
        **knobs: Any,
    ) -> None:
        self.app = SimulatorApp(Path(state_dir), startup_config(**knobs))
        self._server = create_server(
            self.app,
            host=host,
            port=port,
            threads=threads,
            ident="ltx-simulator",
            connection_limit=1000,
            backlog=1024,
            channel_timeout=300,
            asyncore_use_poll=True,  # select() stops at 1024 file descriptors
            # Whole seconds: waitress reads this as an int, so 0.2 became 0 and the loop spun.
            asyncore_loop_timeout=1,
        )
        # Applied to each accepted connection; create_server() takes no argument for it.
        self._server.adj.socket_options = SOCKET_OPTIONS
        self._thread: threading.Thread | None = None
        self.host = host
        # types-waitress leaves out effective_port (and _map below), and types trigger as an int.
        self.port: int = self._server.effective_port  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="ltx-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection, then wait for the loop to end."""
        server = self._server
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        from waitress import wasyncore

        # Both ignores: types-waitress lacks _map and says trigger is an int (see __init__).
        sockets = server._map  # type: ignore[union-attr]
        woken = False
        if self._thread is not None and self._thread.is_alive():
            # Close everything from inside the loop's own thread: it wakes at once instead of at
            # the end of its poll timeout, and finds nothing left to serve.
            try:
                server.trigger.pull_trigger(  # type: ignore[union-attr]
                    lambda: wasyncore.close_all(sockets, ignore_all=True)
                )
                woken = True
            except OSError:  # the trigger is already closed: the loop is ending on its own
                pass
        if not woken:
            wasyncore.close_all(sockets, ignore_all=True)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
