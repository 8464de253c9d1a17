"""The pre-signed upload URL: ``PUT /_sim/uploads/<id>``, standing in for cloud storage.

Like a signed storage URL it takes no API key. It does insist on every header listed in
``required_headers``, exactly as given: a wrong or missing one is a 403 whose body says which.
"""

from __future__ import annotations

import shutil
import time
import uuid

from ltxdash.ltx import catalog

from .http import Request, Response, text_response
from .state import Store

URL_TTL = 3600.0  # the upload URL works for an hour
MAX_UPLOAD_BYTES = max(catalog.upload_limits()["upload"].values())  # the documented 100 MB
TOKEN_HEADER = "x-sim-upload-token"  # noqa: S105 (a header name)
RANGE_HEADER = "x-sim-content-length-range"


def required_headers(token: str) -> dict[str, str]:
    return {TOKEN_HEADER: token, RANGE_HEADER: f"0,{MAX_UPLOAD_BYTES}"}


def receive(store: Store, request: Request, upload_id: str) -> Response:
    row = store.upload(upload_id) if upload_id.isalnum() else None
    if row is None:
        return text_response(404, "No such upload URL.")
    if time.time() > row["url_expires_at"]:
        return text_response(403, "Forbidden: this upload URL has expired (they last one hour).")
    for name, expected in required_headers(row["token"]).items():
        sent = request.header(name)
        if sent is None:
            return text_response(
                403,
                f"Forbidden: the PUT lacks the required header {name!r}. "
                "Send every header listed in required_headers, unchanged.",
            )
        if sent != expected:
            return text_response(
                403, f"Forbidden: the header {name!r} does not match required_headers."
            )
    length = request.content_length
    if length is None:
        return text_response(411, "A Content-Length header is required.")
    if length > MAX_UPLOAD_BYTES:
        return text_response(413, f"The file is over the {MAX_UPLOAD_BYTES:,}-byte upload limit.")

    folder = store.dir / "uploads"
    folder.mkdir(exist_ok=True)
    tmp = folder / f".{upload_id}.{uuid.uuid4().hex}.part"
    stream = request.environ["wsgi.input"]
    remaining = length
    try:
        with tmp.open("wb") as out:
            while remaining > 0:
                chunk = stream.read(min(remaining, 1024 * 1024))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)
        if remaining:
            return text_response(400, "The body ended before its Content-Length.")
        tmp.replace(folder / upload_id)
    finally:
        tmp.unlink(missing_ok=True)
    store.mark_uploaded(upload_id, length, request.header("Content-Type") or "", time.time())
    return Response(200, b"", [("Content-Length", "0")])


def clear(store: Store) -> None:
    for name in ("uploads", "data-uris"):
        shutil.rmtree(store.dir / name, ignore_errors=True)
