"""Small WSGI helpers: a request view, responses, the API's error envelope and timestamps."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .result_files import FileBody

REASONS = {
    200: "OK",
    202: "Accepted",
    206: "Partial Content",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Reset(Exception):
    """Drop the connection without answering (the connection-reset fault)."""


@dataclass
class Request:
    environ: dict[str, Any]
    _body: bytes | None = None

    @property
    def method(self) -> str:
        return self.environ["REQUEST_METHOD"].upper()

    @property
    def path(self) -> str:
        return self.environ.get("PATH_INFO") or "/"

    def header(self, name: str) -> str | None:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return self.environ.get(key) or None
        return self.environ.get(f"HTTP_{key}")

    @property
    def content_length(self) -> int | None:
        try:
            return int(self.environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None

    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.environ.get("QUERY_STRING", ""))

    def read_body(self, limit: int) -> bytes:
        """The body (at most ``limit`` bytes), read once and kept."""
        if self._body is None:
            length = min(self.content_length or 0, limit)
            self._body = self.environ["wsgi.input"].read(length) if length else b""
        return self._body

    @property
    def base_url(self) -> str:
        host = self.environ.get("HTTP_HOST") or (
            f"{self.environ['SERVER_NAME']}:{self.environ['SERVER_PORT']}"
        )
        return f"{self.environ.get('wsgi.url_scheme', 'http')}://{host}"


@dataclass
class Response:
    status: int
    # A FileBody becomes an iterable in SimulatorApp, which has the environ it needs.
    body: bytes | Iterable[bytes] | FileBody = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def status_line(self) -> str:
        return f"{self.status} {REASONS.get(self.status, 'Unknown')}"


def json_response(status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(
        status,
        body,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *(headers or []),
        ],
    )


def error_response(
    status: int, error_type: str, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    """The API's error envelope."""
    return json_response(
        status, {"type": "error", "error": {"type": error_type, "message": message}}, headers
    )


def text_response(status: int, text: str) -> Response:
    body = text.encode()
    return Response(
        status,
        body,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )


def iso(timestamp: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as the API writes its timestamps."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
