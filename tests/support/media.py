"""Fetching a media URL the way a browser does, whichever storage serves it.

On local disk our view answers with the bytes; with media on S3 it answers 302 to a presigned
URL and the object store sends them. ``fetch`` follows such a redirect over HTTP (the same
method and Range), so a test reads the final status, headers and body either way, and still
sees our own answer (``.ours``: the headers we set, nosniff and the sandbox included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Fetched:
    ours: Any  # the Django test client's response: the file itself, or the redirect
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    @property
    def redirected(self) -> bool:
        return self.ours is not None and self.ours.status_code == 302

    def asks_again(self) -> bool:
        """Every play asks us again (a revoked link bites at once): no-cache or no-store."""
        control = self.ours["Cache-Control"]
        return "no-cache" in control or "no-store" in control


def presigned(response: Any) -> str | None:
    """The presigned URL a media view redirected to (None: not such a redirect)."""
    return _presigned(response)


def _presigned(response: Any) -> str | None:
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    return location if location.startswith(("http://", "https://")) else None


def fetch(client: Any, url: str, *, method: str = "get", **headers: str) -> Fetched:
    """GET (or HEAD) ``url`` with the Django test ``client``; a presigned redirect is followed."""
    response = getattr(client, method)(url, headers=headers)
    target = _presigned(response)
    if target is not None:
        answer = httpx.request(method.upper(), target, headers=headers, timeout=30)
        return Fetched(response, answer.status_code, answer.headers, answer.content)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Fetched(response, response.status_code, response.headers, body)
