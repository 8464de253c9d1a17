"""Fixtures for the client tests that need real sockets."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest


class RawServer:
    """A one-connection-at-a-time TCP server answering every request with ``respond(conn)``."""

    def __init__(self, respond):
        self.respond = respond
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/clip.mp4"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536))
                with contextlib.suppress(OSError):
                    self.respond(conn)

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(respond):
        server = RawServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
