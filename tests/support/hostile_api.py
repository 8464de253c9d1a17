"""A hostile stand-in for the LTX API over real sockets, and listeners that must never be reached.

``HostileAPI`` answers job status polls with whatever a test scripts (a result key that climbs
out of a folder, a 300-character key, a failure message full of bidi overrides) and serves
"result files" from its own origin, which is ``LTX_API_BASE_URL`` in these tests and so an
allowed origin: HTML posing as a video, an SVG, a 403 whose body holds a secret, a redirect to a
loopback port. ``Listener`` is a forbidden target (127.0.0.2, ``::1``, another loopback port):
it records every connection and answers a real MP4, so a test fails loudly if anything fetched,
stored or served it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.factories import clip_media

JOB_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ENDPOINT = "text-to-video"


class HostileAPI:
    """``GET /v2/text-to-video/<id>`` answers the scripted status; ``GET /files/<name>`` the
    scripted file. ``hits`` lists every path asked for."""

    def __init__(self) -> None:
        self.statuses: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.hits: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                api.hits.append(self.path)
                status, headers, body = api.answer(self.path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if path.startswith(f"/v2/{ENDPOINT}/"):
            body = self.statuses.get(path.rsplit("/", 1)[1])
            if body is None:
                return _json(404, {"type": "error", "error": {"type": "not_found_error"}})
            return _json(200, body, [("x-request-id", "req-hostile-1")])
        name = path.removeprefix("/files/").split("?", 1)[0]
        if name in self.files:
            return self.files[name]
        return 404, [("Content-Type", "text/plain")], b"no such file"

    # --- scripting -----------------------------------------------------------------------------

    def complete(self, result: dict[str, str], job_id: str = JOB_ID) -> None:
        self.statuses[job_id] = {
            "id": job_id,
            "status": "completed",
            "created_at": "2026-01-15T10:00:00.000Z",
            "completed_at": "2026-01-15T10:01:00.000Z",
            "result": result,
        }

    def fail(self, error: dict[str, Any], job_id: str = JOB_ID) -> None:
        self.statuses[job_id] = {
            "id": job_id,
            "status": "failed",
            "created_at": "2026-01-15T10:00:00.000Z",
            "completed_at": "2026-01-15T10:01:00.000Z",
            "error": error,
        }

    def serve(
        self, name: str, body: bytes, content_type: str = "video/mp4", status: int = 200
    ) -> str:
        """Serve ``body`` at ``/files/<name>`` with that type and status; its URL."""
        self.files[name] = (status, [("Content-Type", content_type)], body)
        return f"{self.url}/files/{name}?X-Amz-Signature=sig"

    def redirect(self, name: str, location: str) -> str:
        """``/files/<name>`` answers 302 to ``location``; its URL."""
        self.files[name] = (302, [("Location", location)], b"")
        return f"{self.url}/files/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A forbidden target: accepts connections on ``host``, records each, answers a real MP4."""

    def __init__(self, host: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        netloc = f"[{host}]" if ":" in host else host
        self.origin = f"http://{netloc}:{self.port}"
        self.hits = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}{self.origin.removeprefix('http')}/latest/meta-data/video.mp4"

    def _serve(self) -> None:
        body = clip_media()[0]
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            with conn, contextlib.suppress(OSError):
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n%s" % (len(body), body)
                )

    def close(self) -> None:
        self.sock.close()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def _json(
    status: int, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    return (
        status,
        [("Content-Type", "application/json"), *(headers or [])],
        json.dumps(body).encode(),
    )
